"""The dashboard's charts, built on the server with plotly (the page only draws them), and the
plotly.js bundle that ships inside the plotly package, served from there (never a CDN)."""

from __future__ import annotations

from pathlib import Path

import plotly
import plotly.graph_objects as go
from django.http import FileResponse, Http404

from syncapp.services.profitability_report import Figures

REVENUE_COLOUR = "#417690"  # the admin's own blue
COST_COLOUR = "#c9a227"
MARGIN_COLOUR = "#2e7d32"
LOSS_COLOUR = "#ba2121"  # the admin's error red
WARN_COLOUR = "#e6a700"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_VERSION = plotly.__version__


def _layout(*, title: str, currency: str, **extra) -> dict:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": 360,
        "autosize": True,
        "legend": {"orientation": "h", "y": -0.15},
        "separators": ".,",
        "yaxis": {"title": {"text": currency}, "tickformat": ",.0f", "zeroline": True},
        **extra,
    }


def chart_by_month(*, months: list[Figures], currency: str) -> go.Figure:
    """Revenue and cost (time and expenses stacked) as bars per month, margin as a line."""
    labels = [f"{m.names['month']:%Y-%m}" for m in months]
    figure = go.Figure(
        data=[
            go.Bar(
                name="Revenue",
                x=labels,
                y=[float(m.revenue) for m in months],
                marker_color=REVENUE_COLOUR,
                offsetgroup="revenue",
            ),
            go.Bar(
                name="Time cost",
                x=labels,
                y=[float(m.time_cost) for m in months],
                marker_color=COST_COLOUR,
                offsetgroup="cost",
            ),
            go.Bar(
                name="Expenses",
                x=labels,
                y=[float(m.expense_cost) for m in months],
                marker_color="#e6cf7e",
                offsetgroup="cost",
                base=[float(m.time_cost) for m in months],
            ),
            go.Scatter(
                name="Margin",
                x=labels,
                y=[float(m.margin) for m in months],
                mode="lines+markers",
                line={"color": MARGIN_COLOUR, "width": 2},
            ),
        ]
    )
    figure.update_layout(
        _layout(title=f"Revenue and cost per month ({currency})", currency=currency),
        barmode="group",
        xaxis={"type": "category"},
    )
    return figure


def chart_margin_by_project(*, projects: list[Figures], currency: str) -> go.Figure:
    """Margin % of the period's biggest projects by revenue, lowest first; losses in red."""
    ranked = sorted(projects, key=lambda p: p.margin_percent)
    labels = [
        f"{p.names['project_name'] or p.names['harvest_project_id']} · {p.names['client_name']}"
        for p in ranked
    ]
    figure = go.Figure(
        data=[
            go.Bar(
                name="Margin %",
                orientation="h",
                x=[float(p.margin_percent) for p in ranked],
                y=labels,
                marker_color=[LOSS_COLOUR if p.margin < 0 else MARGIN_COLOUR for p in ranked],
                customdata=[[float(p.revenue), float(p.cost)] for p in ranked],
                hovertemplate=(
                    "%{y}<br>Margin %{x:.1f} %<br>Revenue %{customdata[0]:,.2f}"
                    "<br>Cost %{customdata[1]:,.2f}<extra></extra>"
                ),
            )
        ]
    )
    figure.update_layout(
        _layout(
            title=f"Margin % of the {len(ranked)} projects with most revenue ({currency})",
            currency=currency,
            height=max(260, 60 + 26 * len(ranked)),
        ),
        xaxis={"title": {"text": "Margin %"}, "ticksuffix": " %", "zeroline": True},
        yaxis={"automargin": True, "type": "category"},
        showlegend=False,
    )
    return figure


def chart_budget_burn(*, budgets: list) -> go.Figure:
    """Budget used by the most-used budgeted projects: over 100 % in red, from 90 % in amber."""
    ranked = sorted(budgets, key=lambda b: b.percent)
    labels = [f"{b.project_name or b.harvest_project_id} · {b.client_name}" for b in ranked]
    colours = [
        LOSS_COLOUR if b.percent > 100 else (WARN_COLOUR if b.percent >= 90 else MARGIN_COLOUR)
        for b in ranked
    ]
    figure = go.Figure(
        data=[
            go.Bar(
                name="Budget used",
                orientation="h",
                x=[float(b.percent) for b in ranked],
                y=labels,
                marker_color=colours,
                customdata=[
                    [float(b.used), float(b.budget), b.unit, b.budget_kind] for b in ranked
                ],
                hovertemplate=(
                    "%{y}<br>%{x:.1f} % used: %{customdata[0]:,.2f} of %{customdata[1]:,.2f} "
                    "%{customdata[2]}<br>%{customdata[3]}<extra></extra>"
                ),
            )
        ]
    )
    figure.update_layout(
        _layout(
            title=f"Budget used: the {len(ranked)} most-used budgets",
            currency="",
            height=max(260, 60 + 26 * len(ranked)),
        ),
        xaxis={"title": {"text": "Budget used"}, "ticksuffix": " %"},
        yaxis={"automargin": True, "type": "category"},
        showlegend=False,
    )
    figure.add_vline(x=100, line_dash="dot", line_color=LOSS_COLOUR)
    return figure


def figure_json(figure: go.Figure) -> str:
    """The figure as JSON that is safe inside a <script> element (names come from Harvest)."""
    text = figure.to_json()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def plotly_js(request):
    """plotly.js from the installed plotly package: the version moves with requirements.txt,
    and the URL carries it, so browsers may keep it."""
    if not PLOTLY_JS.is_file():
        raise Http404("plotly.min.js is not in the installed plotly package; reinstall it.")
    response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response

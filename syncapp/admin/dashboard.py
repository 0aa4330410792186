"""Profitability dashboard (issue 15): revenue, cost, margin and margin % per project and client
per month, with charts, filters, a totals row and a CSV of the same table. It reads ProjectMonth
only: the journals run writes hours and costs, the invoices ledger gives the revenue
(services.profitability, folded on the way in when that ledger moved)."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from syncapp.admin.dashboard_charts import (
    PLOTLY_VERSION,
    chart_budget_burn,
    chart_by_month,
    chart_margin_by_project,
    figure_json,
    plotly_js,
)
from syncapp.admin.readonly import ReadOnlyAdmin
from syncapp.models import Integration, ProjectMonth, SyncLink
from syncapp.services.profitability import (
    REVENUE_KINDS,
    profitability_refresh,
    profitability_refresh_if_stale,
)
from syncapp.services.profitability_report import (
    GROUPINGS,
    Figures,
    ReportFilters,
    report_budget_burn,
    report_by_month,
    report_choices,
    report_has_data,
    report_table,
    report_top_projects,
    report_totals,
)

PAGE_SIZE = 50
TOP_PROJECTS = 15
CSV_HEADER = (
    "Integration",
    "Client",
    "Project",
    "Month",
    "Currency",
    "Hours",
    "Time cost",
    "Expenses",
    "Cost",
    "Revenue",
    "Margin",
    "Margin %",
)


def _month(value: str) -> date | None:
    """'2026-07' (the month input's format) or a full date; None when it is neither."""
    try:
        return date.fromisoformat(f"{value}-01" if len(value) == 7 else value).replace(day=1)
    except ValueError:
        return None


def filters_read(request) -> tuple[ReportFilters, list[str]]:
    """The page's filters from its query string, and what could not be read, said plainly."""
    problems = []
    params = request.GET
    integration = params.get("integration", "")
    months = {}
    for key in ("from", "to"):
        raw = params.get(key, "").strip()
        months[key] = _month(raw) if raw else None
        if raw and months[key] is None:
            problems.append(f"“{raw}” is not a month; write it as 2026-07. Showing every month.")
    return (
        ReportFilters(
            integration_ids=(int(integration),) if integration.isdigit() else (),
            client_id=params.get("client", ""),
            project_id=params.get("project", ""),
            month_from=months["from"],
            month_to=months["to"],
            currency=params.get("currency", "")[:3].upper(),
            grouping=params.get("group", "month") if params.get("group") in GROUPINGS else "month",
        ),
        problems,
    )


def _row(values: dict) -> dict:
    figures = Figures.from_values(values)
    return {**values, "figures": figures}


def _csv_line(row: dict) -> list:
    figures: Figures = row["figures"]
    month = row.get("month")
    return [
        row.get("integration__name", ""),
        row.get("client_name", ""),
        row.get("project_name", ""),
        f"{month:%Y-%m}" if month else "",
        row.get("currency", ""),
        figures.hours,
        figures.time_cost,
        figures.expense_cost,
        figures.cost,
        figures.revenue,
        figures.margin,
        "" if figures.margin_percent is None else figures.margin_percent,
    ]


class _Echo:
    def write(self, value):
        return value


@admin.register(ProjectMonth)
class ProjectMonthAdmin(ReadOnlyAdmin):
    """No list of raw rows: the model's page is the dashboard."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="syncapp_projectmonth_dashboard"),
            path(
                "dashboard/export.csv",
                view(self.export_view),
                name="syncapp_projectmonth_export",
            ),
            path(
                "dashboard/refresh/",
                view(require_POST(self.refresh_view)),
                name="syncapp_projectmonth_refresh",
            ),
            path(
                f"dashboard/plotly-{PLOTLY_VERSION}.min.js",
                view(plotly_js, cacheable=True),
                name="syncapp_projectmonth_plotly",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        return self.dashboard_view(request)

    def _allowed(self, request) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def dashboard_view(self, request):
        self._allowed(request)
        filters, problems = filters_read(request)
        for problem in problems:
            messages.warning(request, problem)
        integrations = list(Integration.objects.order_by("name").only("pk", "name"))
        chosen = [
            i
            for i in integrations
            if not filters.integration_ids or i.pk in filters.integration_ids
        ]
        profitability_refresh_if_stale(integrations=chosen)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Project profitability",
            "filters": filters,
            "integrations": integrations,
            "groupings": [(key, label) for key, (label, _) in GROUPINGS.items()],
            "query": _query(request, drop="p"),
            "page_query": _query(request, drop="p", trailing="&"),
            "plotly_url": reverse("admin:syncapp_projectmonth_plotly"),
            "has_data": report_has_data(filters=filters),
            "without_copy": SyncLink.objects.filter(
                integration__in=chosen, kind__in=REVENUE_KINDS, state=SyncLink.State.SYNCED
            )
            .exclude(snapshot__has_key="harvest")
            .exclude(snapshot__has_key="revenue")
            .count(),
        }
        if context["without_copy"]:
            context["without_copy_sentence"] = _without_copy_sentence(context["without_copy"])
        if context["has_data"]:
            context.update(self._report(request, filters))
        return TemplateResponse(request, "admin/syncapp/dashboard/dashboard.html", context)

    def _report(self, request, filters: ReportFilters) -> dict:
        totals = report_totals(filters=filters)
        # Charts add amounts, so they show one currency: the one asked for, else the biggest.
        currency = filters.currency or (totals[0].names["currency"] if totals else "")
        charted = ReportFilters(**{**filters.__dict__, "currency": currency})
        months = report_by_month(filters=charted)
        projects = report_top_projects(filters=charted, top=TOP_PROJECTS)
        budgets = report_budget_burn(filters=filters, top=TOP_PROJECTS)
        several = len(filters.integration_ids) != 1 and Integration.objects.count() > 1
        page = Paginator(report_table(filters=filters), PAGE_SIZE).get_page(request.GET.get("p"))
        choices = report_choices(filters=filters)
        return {
            "choices": choices,
            # A thousand projects: built here, a template loop over them costs a page's budget.
            "client_options": _options(choices["clients"], filters.client_id),
            "project_options": _options(choices["projects"], filters.project_id),
            "totals": totals,
            "chart_currency": currency,
            "other_currencies": [t.names["currency"] for t in totals[1:]],
            "page": page,
            "rows": [_row(values) for values in page.object_list],
            "grouping": filters.grouping,
            "several_integrations": several,
            "label_columns": several
            + 1
            + (filters.grouping != "client")
            + (filters.grouping == "month"),
            "chart_month": figure_json(chart_by_month(months=months, currency=currency))
            if months
            else "",
            "chart_projects": figure_json(
                chart_margin_by_project(projects=projects, currency=currency)
            )
            if projects
            else "",
            "chart_budgets": figure_json(chart_budget_burn(budgets=budgets)) if budgets else "",
        }

    def export_view(self, request):
        self._allowed(request)
        filters, _ = filters_read(request)
        rows = report_table(filters=filters)
        writer = csv.writer(_Echo())
        lines = (
            writer.writerow(line)
            for line in (
                CSV_HEADER,
                *(_csv_line(_row(values)) for values in rows.iterator(chunk_size=2000)),
            )
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="project-profitability.csv"'
        return response

    def refresh_view(self, request):
        self._allowed(request)
        integrations = Integration.objects.order_by("name")
        chosen = request.POST.get("integration", "")
        if chosen.isdigit():
            integrations = integrations.filter(pk=int(chosen))
        documents = rows = without_copy = 0
        for integration in integrations:
            outcome = profitability_refresh(integration=integration)
            documents += outcome.documents
            rows += outcome.rows
            without_copy += outcome.without_copy
        messages.success(
            request,
            f"Revenue refreshed from {documents} invoices and credit notes in Xero: "
            f"{rows} project months have revenue.",
        )
        if without_copy:
            messages.warning(request, _without_copy_sentence(without_copy))
        url = reverse("admin:syncapp_projectmonth_dashboard")
        query = request.POST.get("query", "")
        return HttpResponseRedirect(f"{url}?{query}" if query else url)


def _options(pairs: list[tuple[str, str]], chosen: str) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((key, mark_safe(" selected") if key == chosen else "", name) for key, name in pairs),  # noqa: S308
    )


def _query(request, *, drop: str, trailing: str = "") -> str:
    params = request.GET.copy()
    params.pop(drop, None)
    encoded = params.urlencode()
    return f"{encoded}{trailing}" if encoded else ""


def _without_copy_sentence(count: int) -> str:
    return (
        f"{count} invoices or credit notes were synced to Xero before hxsync kept what revenue "
        "needs (their month and projects), so their revenue is left out. Resync them once from "
        "Sync › Ledger (kind Invoice, state Synced): nothing changes in Xero unless Harvest "
        "did, and their revenue is counted from then on."
    )

"""What the profitability dashboard and its CSV show: ProjectMonth rows filtered, grouped and
summed in the database (one query per table page, total, or chart), Decimal to the cent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from syncapp.models import ProjectMonth

ZERO = Decimal(0)
SUMS = ("hours", "time_cost", "expense_cost", "revenue")

# How the table groups the months of the period: what finance asks of it.
GROUPINGS = {
    "month": ("Project and month", ("integration__name", "client_name", "project_name", "month")),
    "project": ("Project (whole period)", ("integration__name", "client_name", "project_name")),
    "client": ("Client (whole period)", ("integration__name", "client_name")),
}
ORDER = {
    "month": ("-month", "integration__name", "client_name", "project_name"),
    "project": ("-revenue", "integration__name", "client_name", "project_name"),
    "client": ("-revenue", "integration__name", "client_name"),
}
IDS = {"month": ("harvest_project_id",), "project": ("harvest_project_id",), "client": ()}


@dataclass(frozen=True)
class ReportFilters:
    integration_ids: tuple[int, ...] = ()
    client_id: str = ""
    project_id: str = ""
    month_from: date | None = None
    month_to: date | None = None
    currency: str = ""
    grouping: str = "month"


@dataclass
class Figures:
    """A row of the table, a chart point or the totals: sums and what follows from them."""

    hours: Decimal = ZERO
    time_cost: Decimal = ZERO
    expense_cost: Decimal = ZERO
    revenue: Decimal = ZERO
    names: dict = field(default_factory=dict)

    @classmethod
    def from_values(cls, values: dict) -> Figures:
        sums = {name: values.get(name) or ZERO for name in SUMS}
        names = {key: value for key, value in values.items() if key not in SUMS}
        return cls(**sums, names=names)

    @property
    def cost(self) -> Decimal:
        return self.time_cost + self.expense_cost

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        """Margin as a share of revenue; none without revenue (a cost alone is not a %)."""
        if not self.revenue:
            return None
        return (self.margin * 100 / self.revenue).quantize(Decimal("0.1"))


def report_rows(*, filters: ReportFilters) -> QuerySet:
    """The filtered ProjectMonth rows; every other query starts here."""
    rows = ProjectMonth.objects.all()
    if filters.integration_ids:
        rows = rows.filter(integration_id__in=filters.integration_ids)
    if filters.client_id:
        rows = rows.filter(harvest_client_id=filters.client_id)
    if filters.project_id:
        rows = rows.filter(harvest_project_id=filters.project_id)
    if filters.month_from:
        rows = rows.filter(month__gte=filters.month_from)
    if filters.month_to:
        rows = rows.filter(month__lte=filters.month_to)
    if filters.currency:
        rows = rows.filter(currency=filters.currency)
    return rows


def _sums() -> dict:
    return {name: Sum(name) for name in SUMS}


def report_table(*, filters: ReportFilters) -> QuerySet:
    """The table's rows as dicts (names, currency, sums), grouped as asked, in the database."""
    grouping = filters.grouping if filters.grouping in GROUPINGS else "month"
    keys = (*GROUPINGS[grouping][1], *IDS[grouping], "currency")
    rows = report_rows(filters=filters)
    if grouping == "month":  # one row per ProjectMonth already: no GROUP BY to pay for
        return rows.values(*keys, *SUMS).order_by(*ORDER[grouping])
    return rows.values(*keys).annotate(**_sums()).order_by(*ORDER[grouping])


def report_totals(*, filters: ReportFilters) -> list[Figures]:
    """The totals row, one per currency (amounts in two currencies are never added)."""
    rows = report_rows(filters=filters).values("currency").annotate(**_sums())
    return [Figures.from_values(row) for row in rows.order_by("-revenue", "currency")]


def report_by_month(*, filters: ReportFilters) -> list[Figures]:
    rows = report_rows(filters=filters).values("month").annotate(**_sums()).order_by("month")
    return [Figures.from_values(row) for row in rows]


def report_top_projects(*, filters: ReportFilters, top: int) -> list[Figures]:
    """The period's `top` projects by revenue (those with revenue: a margin % needs it)."""
    rows = (
        report_rows(filters=filters)
        .values("integration__name", "harvest_project_id", "project_name", "client_name")
        .annotate(**_sums())
        .filter(revenue__gt=0)
        .order_by("-revenue", "project_name")[:top]
    )
    return [Figures.from_values(row) for row in rows]


def report_choices(*, filters: ReportFilters) -> dict[str, list[tuple[str, str]]]:
    """The filter menus, by name: clients and projects of the chosen integrations (projects of
    the chosen client), and the currencies found."""
    scope = ReportFilters(integration_ids=filters.integration_ids)
    rows = report_rows(filters=scope).order_by()  # no ordering columns in the DISTINCT
    clients = rows.values_list("harvest_client_id", "client_name").distinct()
    projects = rows
    if filters.client_id:
        projects = projects.filter(harvest_client_id=filters.client_id)
    projects = projects.values_list("harvest_project_id", "project_name").distinct()
    currencies = rows.exclude(currency="").values_list("currency", flat=True).distinct()
    return {
        "clients": sorted(_named(clients), key=lambda pair: pair[1].lower()),
        "projects": sorted(_named(projects), key=lambda pair: pair[1].lower()),
        "currencies": sorted(currencies),
    }


def _named(pairs) -> list[tuple[str, str]]:
    """One entry per id; the name a later month spelt it with wins over a blank."""
    chosen: dict[str, str] = {}
    for key, name in pairs:
        if key and (name or key not in chosen):
            chosen[key] = name or f"(unnamed, Harvest id {key})"
    return list(chosen.items())


def report_has_data(*, filters: ReportFilters) -> bool:
    return report_rows(filters=ReportFilters(integration_ids=filters.integration_ids)).exists()


def report_budget_burn(*, filters: ReportFilters, top: int) -> list:
    """The budgeted projects among the filtered ones, most used first (as the last budgets run
    found them): the dashboard's budget burn."""
    from syncapp.models import ProjectBudget

    projects = report_rows(
        filters=ReportFilters(
            **{**filters.__dict__, "month_from": None, "month_to": None, "currency": ""}
        )
    )
    budgets = ProjectBudget.objects.filter(
        harvest_project_id__in=projects.values("harvest_project_id")
    )
    if filters.integration_ids:
        budgets = budgets.filter(integration_id__in=filters.integration_ids)
    return list(budgets.order_by("-percent", "project_name")[:top])

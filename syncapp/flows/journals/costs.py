"""Cost per project and month, from Harvest's time entries and expenses read by cursor.

Each time entry costs its own `cost_rate` x `hours` (the rate Harvest recorded when the time was
tracked, so a raise in the middle of a month costs the earlier hours at the earlier rate), to the
cent. A project's expenses count when its budget includes them (`cost_budget_include_expenses`).
Harvest's report endpoints allow 100 requests per 15 minutes, so costs never come from them.

A month is only ever rebuilt from a complete read of it (every entry spent in it), never from
an incremental one: the incremental read only says which months changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from syncapp.flows.journals.plan import ProjectCost, cents, entry_cost, month_end
from syncapp.models import Integration, ProjectMonth

ZERO = Decimal("0.00")
COST_FIELDS = (
    "project_name",
    "harvest_client_id",
    "client_name",
    "currency",
    "hours",
    "time_cost",
    "expense_cost",
)


@dataclass
class MonthCost:
    project_id: str
    project_name: str = ""
    client_id: str = ""
    client_name: str = ""
    currency: str = ""
    hours: Decimal = ZERO
    time_cost: Decimal = ZERO
    expense_cost: Decimal = ZERO

    def as_project_cost(self, *, base_currency: str) -> ProjectCost:
        """The journal's view: expenses recorded in another currency than the organisation's
        are not in it (a manual journal is in the base currency only)."""
        expenses = (
            self.expense_cost if not base_currency or self.currency in ("", base_currency) else ZERO
        )
        return ProjectCost(
            project_id=self.project_id,
            project_name=self.project_name or f"Project {self.project_id}",
            client_id=self.client_id,
            client_name=self.client_name,
            hours=self.hours,
            cost=cents(self.time_cost + expenses),
        )


@dataclass
class HarvestDirectory:
    """Projects (does the budget include expenses?) and clients (currency), read once a run."""

    harvest: object
    _projects: dict | None = field(default=None, repr=False)
    _clients: dict | None = field(default=None, repr=False)

    def includes_expenses(self, project_id: str) -> bool:
        if self._projects is None:
            self._projects = {
                str(p.id): bool(p.raw.get("cost_budget_include_expenses"))
                for p in self.harvest.list_projects()
            }
        return self._projects.get(project_id, False)

    def currency(self, client_id: str) -> str:
        if self._clients is None:
            self._clients = {
                str(c.id): (c.raw.get("currency") or "") for c in self.harvest.list_clients()
            }
        return self._clients.get(client_id, "")


def _ref(ref) -> tuple[str, str]:
    return (str(ref.id), ref.name or "") if ref is not None else ("", "")


def month_costs(
    *, entries: Iterable, expenses: Iterable, directory: HarvestDirectory
) -> dict[date, dict[str, MonthCost]]:
    """Month -> project id -> its costs, from complete reads of those months."""
    months: dict[date, dict[str, MonthCost]] = {}

    def row(record) -> MonthCost | None:
        project_id, project_name = _ref(record.project)
        if not project_id or record.spent_date is None:
            return None
        month = record.spent_date.replace(day=1)
        client_id, client_name = _ref(record.client)
        cost = months.setdefault(month, {}).get(project_id)
        if cost is None:
            cost = months[month][project_id] = MonthCost(
                project_id=project_id,
                project_name=project_name,
                client_id=client_id,
                client_name=client_name,
                currency=directory.currency(client_id) if client_id else "",
            )
        return cost

    for entry in entries:
        cost = row(entry)
        if cost is not None:
            cost.hours += entry.hours or ZERO
            cost.time_cost += entry_cost(hours=entry.hours, cost_rate=entry.cost_rate)
    for expense in expenses:
        project_id, _ = _ref(expense.project)
        if project_id and directory.includes_expenses(project_id):
            cost = row(expense)
            if cost is not None:
                cost.expense_cost += cents(expense.total_cost or ZERO)
    return months


def months_read(
    *, harvest, months: Iterable[date] | None, directory: HarvestDirectory
) -> dict[date, dict[str, MonthCost]]:
    """Complete reads: of every month (`months` None: everything Harvest holds), or of each
    month given (from its first to its last day)."""
    if months is None:
        return month_costs(
            entries=harvest.list_time_entries(),
            expenses=harvest.list_expenses(),
            directory=directory,
        )
    found: dict[date, dict[str, MonthCost]] = {}
    for month in sorted(set(months)):
        span = {"from_date": month, "to_date": month_end(month)}
        read = month_costs(
            entries=harvest.list_time_entries(**span),
            expenses=harvest.list_expenses(**span),
            directory=directory,
        )
        found[month] = read.get(month, {})
    return found


def months_store(*, integration: Integration, costs: dict[date, dict[str, MonthCost]]) -> int:
    """Write the cost columns of the months read (revenue is someone else's column): one upsert
    for the batch, and projects no longer costing anything in a month set to zero."""
    if not costs:
        return 0
    rows = [
        ProjectMonth(
            integration=integration,
            harvest_project_id=cost.project_id,
            month=month,
            project_name=cost.project_name[:255],
            harvest_client_id=cost.client_id,
            client_name=cost.client_name[:255],
            currency=cost.currency,
            hours=cents(cost.hours),
            time_cost=cents(cost.time_cost),
            expense_cost=cents(cost.expense_cost),
        )
        for month, projects in costs.items()
        for cost in projects.values()
    ]
    with transaction.atomic():
        ProjectMonth.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "harvest_project_id", "month"],
            update_fields=[*COST_FIELDS, "updated_at"],
            batch_size=500,
        )
        for month, projects in costs.items():
            ProjectMonth.objects.filter(integration=integration, month=month).exclude(
                harvest_project_id__in=list(projects)
            ).update(hours=ZERO, time_cost=ZERO, expense_cost=ZERO)
    return len(rows)

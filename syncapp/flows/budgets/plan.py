"""Budget use per Harvest project and the thresholds it crossed: pure, no Django, no I/O.

Harvest budgets a project by hours (`budget_by` "project", "task" or "person": `budget` is the
project's total hours, task or person budgets summed) or by money ("project_cost" or
"task_fees": `cost_budget`), over the project's life or per month (`budget_is_monthly`), and a
money budget may count the project's expenses (`cost_budget_include_expenses`).
https://help.getharvest.com/api-v2/projects-api/projects/projects/

Use comes from hxsync's own cost table (hours, time cost at each entry's cost rate, expenses),
never from Harvest's report endpoints (100 requests per 15 minutes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

HOURS_BUDGETS = {
    "project": "Hours (whole project)",
    "task": "Hours (task budgets)",
    "person": "Hours (person budgets)",
}
MONEY_BUDGETS = {"project_cost": "Total project cost", "task_fees": "Task fees"}
THRESHOLD_MAX = 999
HOURS = "hours"


class ThresholdsInvalid(ValueError):
    """The integration's budget thresholds cannot be read; the message says how to fix them."""


@dataclass(frozen=True)
class Budget:
    """A project's budget as Harvest defines it."""

    project_id: str
    project_name: str
    client_name: str
    by: str
    amount: Decimal
    monthly: bool
    include_expenses: bool

    @property
    def in_hours(self) -> bool:
        return self.by in HOURS_BUDGETS

    @property
    def kind_label(self) -> str:
        label = HOURS_BUDGETS.get(self.by) or MONEY_BUDGETS[self.by]
        if not self.in_hours:
            label += ", expenses included" if self.include_expenses else ", without expenses"
        return f"{label}, monthly" if self.monthly else f"{label}, total"


@dataclass(frozen=True)
class MonthUse:
    """One project's month, as the cost table holds it."""

    month: date
    hours: Decimal
    time_cost: Decimal
    expense_cost: Decimal
    currency: str = ""


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    period: date | None  # the month of a monthly budget; None for a total one
    used: Decimal
    percent: Decimal  # to one decimal, for people; crossings compare exactly
    unit: str  # "hours" or the currency of the costs
    crossed: tuple[int, ...]


def thresholds_parse(text: str) -> tuple[int, ...]:
    """ "50, 75,90,100" -> (50, 75, 90, 100): sorted, each once."""
    parts = [part.strip() for part in (text or "").split(",")]
    if not any(parts):
        raise ThresholdsInvalid(
            "The integration has no budget thresholds: set them under Integrations › Budgets "
            "(percentages separated by commas, e.g. 50, 75, 90, 100)."
        )
    bad = [part for part in parts if not re.fullmatch(r"\d{1,3}", part) or int(part) == 0]
    if bad:
        raise ThresholdsInvalid(
            f"Budget thresholds {text!r} cannot be read ({', '.join(repr(b) for b in bad)}): "
            "set them under Integrations › Budgets as whole percentages from 1 to "
            f"{THRESHOLD_MAX} separated by commas, e.g. 50, 75, 90, 100."
        )
    return tuple(sorted({int(part) for part in parts}))


def budget_of(
    *,
    project_id: str,
    project_name: str,
    client_name: str,
    budget_by: str,
    hours_budget: Decimal | None,
    cost_budget: Decimal | None,
    monthly: bool,
    include_expenses: bool,
) -> Budget | None:
    """The project's budget, or None when it has none to track ("none", or no amount)."""
    if budget_by in HOURS_BUDGETS:
        amount = hours_budget
    elif budget_by in MONEY_BUDGETS:
        amount = cost_budget
    else:
        return None
    if amount is None or amount <= 0:
        return None
    return Budget(
        project_id=str(project_id),
        project_name=project_name,
        client_name=client_name,
        by=budget_by,
        amount=Decimal(amount),
        monthly=monthly,
        include_expenses=include_expenses and budget_by in MONEY_BUDGETS,
    )


def month_start(day: date) -> date:
    return day.replace(day=1)


def budget_status(
    *, budget: Budget, months: Iterable[MonthUse], today: date, thresholds: tuple[int, ...]
) -> BudgetStatus:
    """How much of the budget is used (this month's for a monthly one) and which thresholds
    that use has reached."""
    period = month_start(today) if budget.monthly else None
    counted = [m for m in months if period is None or month_start(m.month) == period]
    if budget.in_hours:
        used = sum((m.hours for m in counted), Decimal(0))
        unit = HOURS
    else:
        used = sum((m.time_cost for m in counted), Decimal(0))
        if budget.include_expenses:
            used += sum((m.expense_cost for m in counted), Decimal(0))
        unit = next((m.currency for m in counted if m.currency), "")
    percent = (used * 100 / budget.amount).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    # Exact: 74.96 % has not crossed 75 % even though it shows as 75.0 %.
    crossed = tuple(t for t in thresholds if used * 100 >= budget.amount * t)
    return BudgetStatus(
        budget=budget, period=period, used=used, percent=percent, unit=unit, crossed=crossed
    )


def alerts_new(
    *, statuses: Iterable[BudgetStatus], recorded: set[tuple[str, int, date | None]]
) -> list[tuple[BudgetStatus, tuple[int, ...]]]:
    """Per project, the thresholds it crossed that are not recorded yet for its period."""
    found = []
    for status in statuses:
        fresh = tuple(
            t
            for t in status.crossed
            if (status.budget.project_id, t, status.period) not in recorded
        )
        if fresh:
            found.append((status, fresh))
    return found


def recipients_merge(*groups: Iterable[str]) -> list[str]:
    """Addresses in order, each once (case-insensitively), blanks and non-addresses dropped."""
    seen: set[str] = set()
    merged = []
    for group in groups:
        for address in group:
            address = (address or "").strip()
            if "@" not in address or address.lower() in seen:
                continue
            seen.add(address.lower())
            merged.append(address)
    return merged


def emails_split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\s]+", text or "") if part.strip()]

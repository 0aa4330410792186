"""`line_items_import`: an invoice built from a project's uninvoiced billable time and expenses.

https://help.getharvest.com/api-v2/invoices-api/invoices/invoices/#create-an-invoice-based-on-tracked-time-and-expenses
Imported entries become billed and locked ("invoiced"); removing the line or deleting the invoice
releases them again.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from syncapp.sandbox.harvest.common import Ctx, to_date, to_int, unprocessable
from syncapp.sandbox.harvest.money import ZERO, line_amount
from syncapp.sandbox.harvest.state import HarvestState, Record

TIME_SUMMARIES = frozenset({"project", "task", "people", "detailed"})
EXPENSE_SUMMARIES = frozenset({"project", "category", "people", "detailed"})
TIME_LOCK = "Item Invoiced and Approved and Locked for this Time Period"
EXPENSE_LOCK = "Expense is invoiced."


def _category_for(hs: HarvestState, *, expense: bool) -> str:
    flag = "use_as_expense" if expense else "use_as_service"
    for category in hs.invoice_item_categories.values():
        if category[flag]:
            return category["name"]
    return "Product" if expense else "Service"


def _period(spec: dict[str, Any]) -> tuple[str | None, str | None]:
    return to_date(spec.get("from"), field="from"), to_date(spec.get("to"), field="to")


def _in_period(day: str, period: tuple[str | None, str | None]) -> bool:
    start, end = period
    return (start is None or day >= start) and (end is None or day <= end)


def import_line_items(ctx: Ctx, invoice: Record, spec: Any) -> None:
    if not isinstance(spec, dict):
        raise unprocessable("Line items import must be an object")
    hs = ctx.hs
    project_ids = [to_int(p, field="project_ids") for p in spec.get("project_ids") or []]
    if not project_ids or any(p not in hs.projects for p in project_ids):
        raise unprocessable("Line items import project ids can't be blank")
    wanted = set(project_ids)
    time_spec = spec.get("time")
    if isinstance(time_spec, dict):
        summary = time_spec.get("summary_type", "project")
        if summary not in TIME_SUMMARIES:
            raise unprocessable("Time summary type is not included in the list")
        period = _period(time_spec)
        entries = [
            t
            for t in hs.time_entries.values()
            if t["_project_id"] in wanted
            and t["billable"]
            and not t["is_billed"]
            and t["billable_rate"] is not None
            and _in_period(t["spent_date"], period)
        ]
        _add_time_lines(ctx, invoice, entries, summary)
    expense_spec = spec.get("expenses")
    if isinstance(expense_spec, dict):
        summary = expense_spec.get("summary_type", "project")
        if summary not in EXPENSE_SUMMARIES:
            raise unprocessable("Expense summary type is not included in the list")
        period = _period(expense_spec)
        expenses = [
            e
            for e in hs.expenses.values()
            if e["_project_id"] in wanted
            and e["billable"]
            and not e["is_billed"]
            and _in_period(e["spent_date"], period)
        ]
        _add_expense_lines(ctx, invoice, expenses, summary)


def _new_line(ctx: Ctx, **fields: Any) -> Record:
    line = {
        "id": ctx.new_id("line_items"),
        "taxed": False,
        "taxed2": False,
        **fields,
    }
    line["amount"] = line_amount(quantity=line["quantity"], unit_price=line["unit_price"])
    return line


def _add_time_lines(ctx: Ctx, invoice: Record, entries: list[Record], summary: str) -> None:
    hs = ctx.hs
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for entry in sorted(entries, key=lambda t: (t["spent_date"], t["id"])):
        key: tuple = {
            "project": (entry["_project_id"],),
            "task": (entry["_project_id"], entry["_task_id"]),
            "people": (entry["_project_id"], entry["_user_id"]),
            "detailed": (entry["id"],),
        }[summary] + (entry["billable_rate"],)
        groups[key].append(entry)
    kind = _category_for(hs, expense=False)
    for key, group in groups.items():
        first = group[0]
        project = hs.projects[first["_project_id"]]
        label = {
            "project": project["name"],
            "task": f"{project['name']}: {hs.tasks[first['_task_id']]['name']}",
            "people": f"{project['name']}: {_person(hs, first['_user_id'])}",
            "detailed": f"{first['spent_date']} - {hs.tasks[first['_task_id']]['name']}: {first.get('notes') or ''}".rstrip(),
        }[summary]
        hours = sum((t["hours"] for t in group), Decimal("0"))
        line = _new_line(
            ctx,
            _project_id=project["id"],
            _imported=tuple(("time_entries", t["id"]) for t in group),
            kind=kind,
            description=label,
            quantity=hours,
            unit_price=key[-1],
        )
        invoice["_line_items"].append(line)
        for entry in group:
            entry.update(
                is_billed=True, is_locked=True, locked_reason=TIME_LOCK, _invoice_id=invoice["id"]
            )
            entry["updated_at"] = ctx.now


def _add_expense_lines(ctx: Ctx, invoice: Record, expenses: list[Record], summary: str) -> None:
    hs = ctx.hs
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for expense in sorted(expenses, key=lambda e: (e["spent_date"], e["id"])):
        key = {
            "project": (expense["_project_id"],),
            "category": (expense["_project_id"], expense["_expense_category_id"]),
            "people": (expense["_project_id"], expense["_user_id"]),
            "detailed": (expense["id"],),
        }[summary]
        groups[key].append(expense)
    kind = _category_for(hs, expense=True)
    for group in groups.values():
        first = group[0]
        project = hs.projects[first["_project_id"]]
        category = hs.expense_categories[first["_expense_category_id"]]
        label = {
            "project": f"{project['name']}: expenses",
            "category": f"{project['name']}: {category['name']}",
            "people": f"{project['name']}: {_person(hs, first['_user_id'])} expenses",
            "detailed": f"{first['spent_date']} - {category['name']}: {first.get('notes') or ''}".rstrip(),
        }[summary]
        total = sum((e["total_cost"] for e in group), ZERO)
        line = _new_line(
            ctx,
            _project_id=project["id"],
            _imported=tuple(("expenses", e["id"]) for e in group),
            kind=kind,
            description=label,
            quantity=Decimal("1.0"),
            unit_price=total,
        )
        invoice["_line_items"].append(line)
        for expense in group:
            expense.update(
                is_billed=True,
                is_locked=True,
                locked_reason=EXPENSE_LOCK,
                _invoice_id=invoice["id"],
            )
            expense["updated_at"] = ctx.now


def _person(hs: HarvestState, user_id: int) -> str:
    user = hs.users.get(user_id)
    return f"{user['first_name']} {user['last_name']}" if user else "Unknown"


def release_imported(hs: HarvestState, line: Record) -> None:
    """Unlock what a removed line (or deleted invoice) had billed."""
    for kind, record_id in line.get("_imported", ()):
        record = getattr(hs, kind).get(record_id)
        if record is not None:
            approved = bool(record.get("is_closed"))
            record.update(
                is_billed=False,
                is_locked=approved,
                locked_reason="Item Approved and Locked for this Time Period" if approved else None,
                _invoice_id=None,
            )

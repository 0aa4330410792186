"""Time entries (expenses are in expenses.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncapp.sandbox.harvest.common import (
    Ctx,
    query_bool,
    query_date,
    query_int,
    query_updated_since,
    stamp_new,
    text,
    to_date,
    to_decimal,
    to_int,
    unprocessable,
)
from syncapp.sandbox.harvest.crud import Resource, public, ref, require, user_ref
from syncapp.sandbox.harvest.projects import task_assignment_render, user_assignment_render
from syncapp.sandbox.harvest.state import HarvestState, Record

LOCKED_INVOICED = "Item Invoiced and Approved and Locked for this Time Period"
EXPENSE_LOCKED_INVOICED = "Expense is invoiced."


def invoice_ref(hs: HarvestState, invoice_id: int | None) -> dict[str, Any] | None:
    invoice = hs.invoices.get(invoice_id) if invoice_id else None
    return ref(invoice, "number")


def client_of(hs: HarvestState, project: Record | None) -> Record | None:
    return hs.clients.get(project["_client_id"]) if project else None


def locked_guard(record: Record) -> None:
    if record.get("is_locked"):
        # Harvest refuses edits to locked (approved or invoiced) entries with a 422 message.
        raise unprocessable(f"This entry is locked: {record.get('locked_reason') or 'locked'}")


def filter_spent(ctx: Ctx, records: Any, *, date_key: str = "spent_date") -> Any:
    user_id = query_int(ctx, "user_id")
    client_id = query_int(ctx, "client_id")
    project_id = query_int(ctx, "project_id")
    is_billed = query_bool(ctx, "is_billed")
    since = query_updated_since(ctx)
    date_from = query_date(ctx, "from")
    date_to = query_date(ctx, "to")
    if user_id is not None:
        records = (r for r in records if r["_user_id"] == user_id)
    if project_id is not None:
        records = (r for r in records if r["_project_id"] == project_id)
    if client_id is not None:
        records = (r for r in records if r["_client_id"] == client_id)
    if is_billed is not None:
        records = (r for r in records if r["is_billed"] == is_billed)
    if since is not None:
        records = (r for r in records if r["updated_at"] >= since)
    if date_from is not None:
        records = (r for r in records if r[date_key] >= date_from)
    if date_to is not None:
        records = (r for r in records if r[date_key] <= date_to)
    return records


# -- time entries --------------------------------------------------------------------------


def time_entry_render(hs: HarvestState, record: Record) -> dict[str, Any]:
    out = public(record)
    project = hs.projects.get(record["_project_id"])
    ua = hs.user_assignments.get(record.get("_user_assignment_id"))
    ta = hs.task_assignments.get(record.get("_task_assignment_id"))
    out["user"] = user_ref(hs.users.get(record["_user_id"]))
    out["client"] = ref(client_of(hs, project), "name", "currency")
    out["project"] = ref(project, "name", "code")
    out["task"] = ref(hs.tasks.get(record["_task_id"]), "name")
    out["user_assignment"] = user_assignment_render(hs, ua) if ua else None
    out["task_assignment"] = task_assignment_render(hs, ta) if ta else None
    out["invoice"] = invoice_ref(hs, record.get("_invoice_id"))
    return out


def billable_rate(hs: HarvestState, *, project: Record, ta: Record | None, ua: Record | None):
    """Harvest picks the rate by the project's `bill_by`."""
    bill_by = project["bill_by"]
    if bill_by == "Project":
        return project["hourly_rate"]
    if bill_by == "Tasks":
        return ta["hourly_rate"] if ta else None
    if bill_by == "People":
        return ua["hourly_rate"] if ua else None
    return None


def _assignments(ctx: Ctx, *, project_id: int, task_id: int, user_id: int):
    hs = ctx.hs
    ta = next(
        (
            a
            for a in hs.task_assignments.values()
            if a["_project_id"] == project_id and a["_task_id"] == task_id
        ),
        None,
    )
    if ta is None:
        raise unprocessable("Task isn't assigned to this project")
    ua = next(
        (
            a
            for a in hs.user_assignments.values()
            if a["_project_id"] == project_id and a["_user_id"] == user_id
        ),
        None,
    )
    if ua is None:
        raise unprocessable("User isn't assigned to this project")
    return ta, ua


def _hours(value: Any, *, field: str) -> Decimal:
    hours = to_decimal(value, field=field, allow_none=False)
    if hours < 0 or hours >= 24:
        raise unprocessable("Hours must be between 0 and 24")
    return hours


def time_entry_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "project_id", "task_id", "spent_date")
    hs = ctx.hs
    user_id = to_int(body.get("user_id", ctx.user_id), field="user_id")
    if user_id not in hs.users:
        raise unprocessable("User can't be blank")
    project = get_or_404_422(hs.projects, body["project_id"], "Project")
    task = get_or_404_422(hs.tasks, body["task_id"], "Task")
    ta, ua = _assignments(ctx, project_id=project["id"], task_id=task["id"], user_id=user_id)
    running = "hours" not in body and not body.get("started_time")
    hours = _hours(body["hours"], field="hours") if "hours" in body else Decimal("0")
    record: Record = {
        "id": ctx.new_id("time_entries"),
        "_user_id": user_id,
        "_project_id": project["id"],
        "_client_id": project["_client_id"],
        "_task_id": task["id"],
        "_user_assignment_id": ua["id"],
        "_task_assignment_id": ta["id"],
        "_invoice_id": None,
        "spent_date": to_date(body["spent_date"], field="spent_date"),
        "hours": hours,
        "hours_without_timer": hours,
        "rounded_hours": hours,
        "notes": text(body.get("notes"), field="notes"),
        "is_locked": False,
        "locked_reason": None,
        "is_closed": False,
        "is_billed": False,
        "timer_started_at": ctx.now if running else None,
        "started_time": body.get("started_time"),
        "ended_time": body.get("ended_time"),
        "is_running": running,
        "billable": bool(project["is_billable"] and ta["billable"]),
        "budgeted": project["budget_by"] != "none",
        "billable_rate": billable_rate(hs, project=project, ta=ta, ua=ua),
        "cost_rate": hs.users[user_id].get("cost_rate"),
        "external_reference": body.get("external_reference"),
    }
    return stamp_new(ctx, record)


def get_or_404_422(collection: dict[int, Record], value: Any, label: str) -> Record:
    record = collection.get(to_int(value, field=label.lower() + "_id"))
    if record is None:
        raise unprocessable(f"{label} can't be blank")
    return record


def time_entry_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    locked_guard(record)
    hs = ctx.hs
    if "project_id" in body or "task_id" in body:
        project = get_or_404_422(
            hs.projects, body.get("project_id", record["_project_id"]), "Project"
        )
        task = get_or_404_422(hs.tasks, body.get("task_id", record["_task_id"]), "Task")
        ta, ua = _assignments(
            ctx, project_id=project["id"], task_id=task["id"], user_id=record["_user_id"]
        )
        record.update(
            _project_id=project["id"],
            _client_id=project["_client_id"],
            _task_id=task["id"],
            _task_assignment_id=ta["id"],
            _user_assignment_id=ua["id"],
            billable_rate=billable_rate(hs, project=project, ta=ta, ua=ua),
        )
    if "hours" in body:
        hours = _hours(body["hours"], field="hours")
        record.update(hours=hours, hours_without_timer=hours, rounded_hours=hours)
    if "spent_date" in body:
        record["spent_date"] = to_date(body["spent_date"], field="spent_date")
    for key in ("notes", "started_time", "ended_time"):
        if key in body:
            record[key] = text(body[key], field=key)
    if "external_reference" in body:
        record["external_reference"] = body["external_reference"]


def _time_select(ctx: Ctx, records: Any) -> Any:
    records = filter_spent(ctx, records)
    task_id = query_int(ctx, "task_id")
    is_running = query_bool(ctx, "is_running")
    ext = ctx.request.args.get("external_reference_id")
    if task_id is not None:
        records = (r for r in records if r["_task_id"] == task_id)
    if is_running is not None:
        records = (r for r in records if r["is_running"] == is_running)
    if ext:
        records = (r for r in records if (r.get("external_reference") or {}).get("id") == ext)
    return records


TIME_ENTRIES = Resource(
    name="time_entries",
    collection=lambda hs: hs.time_entries,
    render=time_entry_render,
    create=time_entry_create,
    update=time_entry_update,
    select=_time_select,
    sort_key=lambda r: r["spent_date"],
    delete_blocker=lambda ctx, r: (
        f"This entry is locked: {r.get('locked_reason') or 'locked'}"
        if r.get("is_locked")
        else None
    ),
)

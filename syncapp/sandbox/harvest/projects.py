"""Projects, and the task and user assignments that hang off them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.core.http import json_response
from syncapp.sandbox.harvest.common import (
    Ctx,
    body_dict,
    get_or_404,
    query_int,
    stamp_new,
    text,
    to_bool,
    to_date,
    to_decimal,
    to_int,
    unprocessable,
)
from syncapp.sandbox.harvest.crud import Resource, filter_common, public, ref, require, user_ref
from syncapp.sandbox.harvest.pagination import paginate
from syncapp.sandbox.harvest.state import HarvestState, Record

BILL_BY = frozenset({"Project", "Tasks", "People", "none"})
BUDGET_BY = frozenset({"project", "project_cost", "task", "task_fees", "person", "none"})


def _choice(options: frozenset[str]):
    def convert(value: Any, *, field: str) -> str:
        if value not in options:
            raise unprocessable(
                f"{field.replace('_', ' ').capitalize()} is not included in the list"
            )
        return value

    return convert


_PROJECT_FIELDS = {
    "name": text,
    "code": text,
    "is_active": to_bool,
    "is_billable": to_bool,
    "is_fixed_fee": to_bool,
    "bill_by": _choice(BILL_BY),
    "hourly_rate": to_decimal,
    "budget": to_decimal,
    "budget_by": _choice(BUDGET_BY),
    "budget_is_monthly": to_bool,
    "notify_when_over_budget": to_bool,
    "over_budget_notification_percentage": to_decimal,
    "show_budget_to_all": to_bool,
    "cost_budget": to_decimal,
    "cost_budget_include_expenses": to_bool,
    "fee": to_decimal,
    "notes": text,
    "starts_on": to_date,
    "ends_on": to_date,
}


def _apply(record: Record, body: dict[str, Any], converters: dict[str, Any]) -> None:
    for key, convert in converters.items():
        if key in body:
            record[key] = convert(body[key], field=key) if convert else body[key]


def project_render(hs: HarvestState, record: Record) -> dict[str, Any]:
    out = public(record)
    out["client"] = ref(hs.clients.get(record["_client_id"]), "name", "currency")
    return out


def _client_id(ctx: Ctx, value: Any) -> int:
    client_id = to_int(value, field="client_id")
    if client_id not in ctx.hs.clients:
        raise unprocessable("Client can't be blank")
    return client_id


def project_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "client_id", "name", "is_billable", "bill_by", "budget_by")
    record: Record = {
        "id": ctx.new_id("projects"),
        "_client_id": _client_id(ctx, body["client_id"]),
        "name": None,
        "code": None,
        "is_active": True,
        "is_billable": True,
        "is_fixed_fee": False,
        "bill_by": "none",
        "hourly_rate": None,
        "budget": None,
        "budget_by": "none",
        "budget_is_monthly": False,
        "notify_when_over_budget": False,
        "over_budget_notification_percentage": Decimal("80.0"),
        "over_budget_notification_date": None,
        "show_budget_to_all": False,
        "cost_budget": None,
        "cost_budget_include_expenses": False,
        "fee": None,
        "notes": "",
        "starts_on": None,
        "ends_on": None,
    }
    _apply(record, body, _PROJECT_FIELDS)
    stamp_new(ctx, record)
    # Harvest assigns the default tasks (is_default) to every new project.
    for task in ctx.hs.tasks.values():
        if task["is_default"] and task["is_active"]:
            assignment = task_assignment_new(ctx, project_id=record["id"], task=task)
            ctx.hs.task_assignments[assignment["id"]] = assignment
    return record


def project_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    if "client_id" in body:
        record["_client_id"] = _client_id(ctx, body["client_id"])
    _apply(record, body, _PROJECT_FIELDS)


def _project_select(ctx: Ctx, records: Any) -> Any:
    client_id = query_int(ctx, "client_id")
    records = filter_common(ctx, records)
    if client_id is not None:
        records = (r for r in records if r["_client_id"] == client_id)
    return records


def _project_blocker(ctx: Ctx, record: Record) -> str | None:
    hs = ctx.hs
    pid = record["id"]
    if any(t["_project_id"] == pid for t in hs.time_entries.values()) or any(
        e["_project_id"] == pid for e in hs.expenses.values()
    ):
        return "This project is not removable, it has time or expenses tracked to it"
    return None


def _project_on_delete(ctx: Ctx, record: Record) -> None:
    hs = ctx.hs
    for coll in (hs.task_assignments, hs.user_assignments):
        for key in [k for k, a in coll.items() if a["_project_id"] == record["id"]]:
            del coll[key]


PROJECTS = Resource(
    name="projects",
    collection=lambda hs: hs.projects,
    render=project_render,
    create=project_create,
    update=project_update,
    select=_project_select,
    delete_blocker=_project_blocker,
    on_delete=_project_on_delete,
)


# -- task assignments ----------------------------------------------------------------------

_TA_FIELDS = {
    "is_active": to_bool,
    "billable": to_bool,
    "hourly_rate": to_decimal,
    "budget": to_decimal,
}


def task_assignment_render(hs: HarvestState, record: Record) -> dict[str, Any]:
    out = public(record)
    out["project"] = ref(hs.projects.get(record["_project_id"]), "name", "code")
    out["task"] = ref(hs.tasks.get(record["_task_id"]), "name")
    return out


def task_assignment_new(ctx: Ctx, *, project_id: int, task: Record) -> Record:
    record: Record = {
        "id": ctx.new_id("task_assignments"),
        "_project_id": project_id,
        "_task_id": task["id"],
        "billable": task["billable_by_default"],
        "is_active": True,
        "hourly_rate": task["default_hourly_rate"],
        "budget": None,
    }
    return stamp_new(ctx, record)


def user_assignment_render(hs: HarvestState, record: Record) -> dict[str, Any]:
    out = public(record)
    out["project"] = ref(hs.projects.get(record["_project_id"]), "name", "code")
    out["user"] = user_ref(hs.users.get(record["_user_id"]))
    return out


_UA_FIELDS = {
    "is_active": to_bool,
    "is_project_manager": to_bool,
    "use_default_rates": to_bool,
    "hourly_rate": to_decimal,
    "budget": to_decimal,
}


def user_assignment_new(ctx: Ctx, *, project_id: int, user: Record) -> Record:
    record: Record = {
        "id": ctx.new_id("user_assignments"),
        "_project_id": project_id,
        "_user_id": user["id"],
        "is_active": True,
        "is_project_manager": False,
        "use_default_rates": True,
        "hourly_rate": user.get("default_hourly_rate"),
        "budget": None,
    }
    return stamp_new(ctx, record)


def _nested_select(ctx: Ctx, records: Any, project_id: int | None) -> Any:
    records = filter_common(ctx, records)
    if project_id is not None:
        records = (r for r in records if r["_project_id"] == project_id)
    user_id = query_int(ctx, "user_id")
    if user_id is not None:
        records = (r for r in records if r.get("_user_id") == user_id)
    return records


def _assignment_list(kind: str, render: Any):
    def handler(ctx: Ctx, *, project_id: int | None = None, **_: Any) -> Response:
        if project_id is not None:
            get_or_404(ctx.hs.projects, project_id)
        hs = ctx.hs
        records = _nested_select(ctx, getattr(hs, kind).values(), project_id)
        return json_response(
            paginate(ctx, name=kind, records=records, render=lambda r: render(hs, r))
        )

    return handler


task_assignments_list = _assignment_list("task_assignments", task_assignment_render)
user_assignments_list = _assignment_list("user_assignments", user_assignment_render)


def _nested_get(ctx: Ctx, kind: str, project_id: int, record_id: int) -> Record:
    record = get_or_404(getattr(ctx.hs, kind), record_id)
    if record["_project_id"] != project_id:
        get_or_404({}, record_id)
    return record


def task_assignment_get(ctx: Ctx, *, project_id: int, record_id: int, **_: Any) -> Response:
    record = _nested_get(ctx, "task_assignments", project_id, record_id)
    return json_response(task_assignment_render(ctx.hs, record))


def task_assignment_post(ctx: Ctx, *, project_id: int, **_: Any) -> Response:
    get_or_404(ctx.hs.projects, project_id)
    body = body_dict(ctx)
    require(body, "task_id")
    task = ctx.hs.tasks.get(to_int(body["task_id"], field="task_id"))
    if task is None:
        raise unprocessable("Task can't be blank")
    if any(
        a["_project_id"] == project_id and a["_task_id"] == task["id"]
        for a in ctx.hs.task_assignments.values()
    ):
        raise unprocessable("Task has already been taken")
    record = task_assignment_new(ctx, project_id=project_id, task=task)
    _apply(record, body, _TA_FIELDS)
    ctx.hs.task_assignments[record["id"]] = record
    return json_response(task_assignment_render(ctx.hs, record), status=201)


def task_assignment_patch(ctx: Ctx, *, project_id: int, record_id: int, **_: Any) -> Response:
    record = _nested_get(ctx, "task_assignments", project_id, record_id)
    _apply(record, body_dict(ctx), _TA_FIELDS)
    record["updated_at"] = ctx.now
    return json_response(task_assignment_render(ctx.hs, record))


def task_assignment_delete(ctx: Ctx, *, project_id: int, record_id: int, **_: Any) -> Response:
    record = _nested_get(ctx, "task_assignments", project_id, record_id)
    if any(t.get("_task_assignment_id") == record["id"] for t in ctx.hs.time_entries.values()):
        raise unprocessable("This task assignment has time tracked to it and cannot be removed")
    del ctx.hs.task_assignments[record["id"]]
    return Response(b"", status=200, mimetype="application/json")


def user_assignment_get(ctx: Ctx, *, project_id: int, record_id: int, **_: Any) -> Response:
    record = _nested_get(ctx, "user_assignments", project_id, record_id)
    return json_response(user_assignment_render(ctx.hs, record))


def user_assignment_post(ctx: Ctx, *, project_id: int, **_: Any) -> Response:
    get_or_404(ctx.hs.projects, project_id)
    body = body_dict(ctx)
    require(body, "user_id")
    user = ctx.hs.users.get(to_int(body["user_id"], field="user_id"))
    if user is None:
        raise unprocessable("User can't be blank")
    if any(
        a["_project_id"] == project_id and a["_user_id"] == user["id"]
        for a in ctx.hs.user_assignments.values()
    ):
        raise unprocessable("User has already been taken")
    record = user_assignment_new(ctx, project_id=project_id, user=user)
    _apply(record, body, _UA_FIELDS)
    ctx.hs.user_assignments[record["id"]] = record
    return json_response(user_assignment_render(ctx.hs, record), status=201)


def user_assignment_patch(ctx: Ctx, *, project_id: int, record_id: int, **_: Any) -> Response:
    record = _nested_get(ctx, "user_assignments", project_id, record_id)
    _apply(record, body_dict(ctx), _UA_FIELDS)
    record["updated_at"] = ctx.now
    return json_response(user_assignment_render(ctx.hs, record))


def user_assignment_delete(ctx: Ctx, *, project_id: int, record_id: int, **_: Any) -> Response:
    record = _nested_get(ctx, "user_assignments", project_id, record_id)
    del ctx.hs.user_assignments[record["id"]]
    return Response(b"", status=200, mimetype="application/json")

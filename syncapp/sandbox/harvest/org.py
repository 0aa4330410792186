"""Company, users, clients, contacts, tasks and the two category lists."""

from __future__ import annotations

import hashlib
from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.core.http import json_response
from syncapp.sandbox.harvest.common import (
    Ctx,
    body_dict,
    query_int,
    query_updated_since,
    stamp_new,
    text,
    to_bool,
    to_decimal,
    to_int,
    unprocessable,
)
from syncapp.sandbox.harvest.crud import Resource, public, ref, require
from syncapp.sandbox.harvest.state import HarvestState, Record

CURRENCIES = frozenset(
    "USD EUR GBP AUD NZD CAD CHF SEK NOK DKK JPY SGD HKD ZAR INR BRL MXN PLN CZK".split()
)


def _apply(record: Record, body: dict[str, Any], converters: dict[str, Any]) -> None:
    for key, convert in converters.items():
        if key in body:
            record[key] = convert(body[key], field=key) if convert else body[key]


def _currency(value: Any, *, field: str) -> str:
    code = str(value or "").upper()
    if code not in CURRENCIES:
        raise unprocessable(f"Currency {value!r} is not a valid currency")
    return code


# -- company -------------------------------------------------------------------------------


def company_get(ctx: Ctx, **_: Any) -> Response:
    return json_response(ctx.hs.company)


def company_patch(ctx: Ctx, **_: Any) -> Response:
    body = body_dict(ctx)
    _apply(ctx.hs.company, body, {"wants_timestamp_timers": to_bool, "weekly_capacity": to_int})
    return json_response(ctx.hs.company)


# -- users ---------------------------------------------------------------------------------

_USER_FIELDS = {
    "first_name": text,
    "last_name": text,
    "email": text,
    "telephone": text,
    "timezone": text,
    "has_access_to_all_future_projects": to_bool,
    "is_contractor": to_bool,
    "is_active": to_bool,
    "weekly_capacity": to_int,
    "default_hourly_rate": to_decimal,
    "cost_rate": to_decimal,
    "roles": None,
    "access_roles": None,
}


def _email_taken(hs: HarvestState, email: str, exclude: int | None = None) -> bool:
    email = email.lower()
    return any(u["email"].lower() == email and u["id"] != exclude for u in hs.users.values())


def user_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "first_name", "last_name", "email")
    if _email_taken(ctx.hs, str(body["email"])):
        raise unprocessable("Email has already been taken")
    record: Record = {
        "id": ctx.new_id("users"),
        "first_name": None,
        "last_name": None,
        "email": None,
        "telephone": "",
        "timezone": ctx.hs.company.get("_timezone", "Eastern Time (US & Canada)"),
        "weekly_capacity": ctx.hs.company.get("weekly_capacity", 126000),
        "has_access_to_all_future_projects": False,
        "is_contractor": False,
        "is_active": True,
        "calendar_integration_enabled": False,
        "calendar_integration_source": None,
        "can_create_projects": False,
        "default_hourly_rate": None,
        "cost_rate": None,
        "roles": [],
        "access_roles": ["member"],
        "permissions_claims": ["expenses:read:own", "expenses:write:own", "timers:read:own"],
        "avatar_url": "https://d3s3969qhosaug.cloudfront.net/v2/user.png",
    }
    _apply(record, body, _USER_FIELDS)
    return stamp_new(ctx, record)


def user_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    if "email" in body and _email_taken(ctx.hs, str(body["email"]), exclude=record["id"]):
        raise unprocessable("Email has already been taken")
    _apply(record, body, _USER_FIELDS)


def users_me(ctx: Ctx, **_: Any) -> Response:
    return json_response(public(ctx.user or {}))


USERS = Resource(
    name="users",
    collection=lambda hs: hs.users,
    render=lambda hs, r: public(r),
    create=user_create,
    update=user_update,
    delete_blocker=lambda ctx, r: (
        "This user is not removable, they have tracked time or expenses"
        if any(t["_user_id"] == r["id"] for t in ctx.hs.time_entries.values())
        else None
    ),
)


# -- clients -------------------------------------------------------------------------------

_CLIENT_FIELDS = {"name": text, "is_active": to_bool, "address": text, "currency": _currency}


def _client_name_taken(hs: HarvestState, name: str, exclude: int | None = None) -> bool:
    return any(c["name"] == name and c["id"] != exclude for c in hs.clients.values())


def client_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "name")
    if _client_name_taken(ctx.hs, str(body["name"])):
        raise unprocessable("Name has already been taken")
    client_id = ctx.new_id("clients")
    record: Record = {
        "id": client_id,
        "name": None,
        "is_active": True,
        "address": None,
        "statement_key": hashlib.sha1(
            f"client:{client_id}".encode(), usedforsecurity=False
        ).hexdigest(),
        "currency": ctx.hs.company.get("_currency", "USD"),
    }
    _apply(record, body, _CLIENT_FIELDS)
    return stamp_new(ctx, record)


def client_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    if "name" in body:
        require(body, "name")
        if _client_name_taken(ctx.hs, str(body["name"]), exclude=record["id"]):
            raise unprocessable("Name has already been taken")
    _apply(record, body, _CLIENT_FIELDS)


def _client_delete_blocker(ctx: Ctx, record: Record) -> str | None:
    hs = ctx.hs
    if any(p["_client_id"] == record["id"] for p in hs.projects.values()) or any(
        i["_client_id"] == record["id"] for i in hs.invoices.values()
    ):
        return "This client is not removable. It still has projects and/or invoices or estimates."
    return None


def _client_on_delete(ctx: Ctx, record: Record) -> None:
    for contact_id in [
        c["id"] for c in ctx.hs.contacts.values() if c["_client_id"] == record["id"]
    ]:
        del ctx.hs.contacts[contact_id]


CLIENTS = Resource(
    name="clients",
    collection=lambda hs: hs.clients,
    render=lambda hs, r: public(r),
    create=client_create,
    update=client_update,
    delete_blocker=_client_delete_blocker,
    on_delete=_client_on_delete,
)


# -- contacts ------------------------------------------------------------------------------

_CONTACT_FIELDS = {
    "title": text,
    "first_name": text,
    "last_name": text,
    "email": text,
    "phone_office": text,
    "phone_mobile": text,
    "fax": text,
}


def contact_render(hs: HarvestState, record: Record) -> dict[str, Any]:
    out = public(record)
    out["client"] = ref(hs.clients.get(record["_client_id"]), "name")
    return out


def _contact_client(ctx: Ctx, value: Any) -> int:
    client_id = to_int(value, field="client_id")
    if client_id not in ctx.hs.clients:
        raise unprocessable("Client can't be blank")
    return client_id


def contact_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "client_id", "first_name")
    record: Record = {
        "id": ctx.new_id("contacts"),
        "_client_id": _contact_client(ctx, body["client_id"]),
        "title": None,
        "first_name": None,
        "last_name": None,
        "email": None,
        "phone_office": "",
        "phone_mobile": "",
        "fax": "",
    }
    _apply(record, body, _CONTACT_FIELDS)
    return stamp_new(ctx, record)


def contact_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    if "client_id" in body:
        record["_client_id"] = _contact_client(ctx, body["client_id"])
    _apply(record, body, _CONTACT_FIELDS)


def _contact_select(ctx: Ctx, records: Any) -> Any:
    client_id = query_int(ctx, "client_id")
    since = query_updated_since(ctx)
    if client_id is not None:
        records = (r for r in records if r["_client_id"] == client_id)
    if since is not None:
        records = (r for r in records if r["updated_at"] >= since)
    return records


CONTACTS = Resource(
    name="contacts",
    collection=lambda hs: hs.contacts,
    render=contact_render,
    create=contact_create,
    update=contact_update,
    select=_contact_select,
)


# -- tasks ---------------------------------------------------------------------------------

_TASK_FIELDS = {
    "name": text,
    "billable_by_default": to_bool,
    "default_hourly_rate": to_decimal,
    "is_default": to_bool,
    "is_active": to_bool,
}


def task_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "name")
    if any(t["name"] == body["name"] for t in ctx.hs.tasks.values()):
        raise unprocessable("Name has already been taken")
    record: Record = {
        "id": ctx.new_id("tasks"),
        "name": None,
        "billable_by_default": True,
        "default_hourly_rate": None,
        "is_default": False,
        "is_active": True,
    }
    _apply(record, body, _TASK_FIELDS)
    return stamp_new(ctx, record)


TASKS = Resource(
    name="tasks",
    collection=lambda hs: hs.tasks,
    render=lambda hs, r: public(r),
    create=task_create,
    update=lambda ctx, r, body: _apply(r, body, _TASK_FIELDS),
    delete_blocker=lambda ctx, r: (
        "This task is not removable, it has time tracked to it"
        if any(t["_task_id"] == r["id"] for t in ctx.hs.time_entries.values())
        else None
    ),
)


# -- expense categories / invoice item categories ------------------------------------------

_EXPENSE_CATEGORY_FIELDS = {
    "name": text,
    "unit_name": text,
    "unit_price": to_decimal,
    "is_active": to_bool,
}


def expense_category_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "name")
    record: Record = {
        "id": ctx.new_id("expense_categories"),
        "name": None,
        "unit_name": None,
        "unit_price": None,
        "is_active": True,
    }
    _apply(record, body, _EXPENSE_CATEGORY_FIELDS)
    return stamp_new(ctx, record)


EXPENSE_CATEGORIES = Resource(
    name="expense_categories",
    collection=lambda hs: hs.expense_categories,
    render=lambda hs, r: public(r),
    create=expense_category_create,
    update=lambda ctx, r, body: _apply(r, body, _EXPENSE_CATEGORY_FIELDS),
    delete_blocker=lambda ctx, r: (
        "This expense category is not removable, it has expenses"
        if any(e["_expense_category_id"] == r["id"] for e in ctx.hs.expenses.values())
        else None
    ),
)


def invoice_item_category_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "name")
    if any(c["name"] == body["name"] for c in ctx.hs.invoice_item_categories.values()):
        raise unprocessable("Name has already been taken")
    record: Record = {
        "id": ctx.new_id("invoice_item_categories"),
        "name": text(body["name"], field="name"),
        "use_as_service": False,
        "use_as_expense": False,
    }
    return stamp_new(ctx, record)


def _updated_since_only(ctx: Ctx, records: Any) -> Any:
    since = query_updated_since(ctx)
    return records if since is None else (r for r in records if r["updated_at"] >= since)


def _item_category_blocker(ctx: Ctx, record: Record) -> str | None:
    # Harvest refuses to delete the categories it uses itself (docs: "Delete an invoice item
    # category ... Deleting an invoice item category is only possible if use_as_service and
    # use_as_expense are both false").
    if record["use_as_service"] or record["use_as_expense"]:
        return "This invoice item category is used for services or expenses and cannot be deleted"
    return None


INVOICE_ITEM_CATEGORIES = Resource(
    name="invoice_item_categories",
    collection=lambda hs: hs.invoice_item_categories,
    render=lambda hs, r: public(r),
    create=invoice_item_category_create,
    update=lambda ctx, r, body: _apply(r, body, {"name": text}),
    select=_updated_since_only,
    delete_blocker=_item_category_blocker,
)

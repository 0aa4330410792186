"""Invoices and their line items (payments and messages are in invoice_events.py).

The state of an invoice is never written directly: it moves only through messages (send, close,
re-open, draft) and payments, as in Harvest.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from syncapp.sandbox.harvest.common import (
    Ctx,
    query_date,
    query_int,
    query_updated_since,
    stamp_new,
    text,
    to_bool,
    to_date,
    to_decimal,
    to_int,
    unprocessable,
)
from syncapp.sandbox.harvest.crud import Resource, public, ref, require, user_ref
from syncapp.sandbox.harvest.imports import import_line_items, release_imported
from syncapp.sandbox.harvest.money import ZERO, invoice_totals, line_amount, money
from syncapp.sandbox.harvest.state import HarvestState, Record

STATES = frozenset({"draft", "open", "paid", "closed"})
NET_TERMS = {"upon receipt": 0, "net 15": 15, "net 30": 30, "net 45": 45, "net 60": 60}
PAYMENT_OPTIONS = frozenset({"ach", "credit_card", "paypal"})


def line_item_render(hs: HarvestState, item: Record) -> dict[str, Any]:
    out = public(item)
    project = hs.projects.get(item.get("_project_id")) if item.get("_project_id") else None
    out["project"] = ref(project, "name", "code")
    return out


def invoice_render(hs: HarvestState, record: Record) -> dict[str, Any]:
    out = public(record)
    out["client"] = ref(hs.clients.get(record["_client_id"]), "name")
    out["creator"] = user_ref(hs.users.get(record["_creator_id"]))
    out["estimate"] = {"id": record["_estimate_id"]} if record.get("_estimate_id") else None
    out["retainer"] = {"id": record["_retainer_id"]} if record.get("_retainer_id") else None
    out["line_items"] = [line_item_render(hs, item) for item in record["_line_items"]]
    return out


def invoice_recompute(record: Record) -> None:
    """Amounts from the lines, and what is still due after the payments."""
    totals = invoice_totals(
        lines=((i["amount"], i["taxed"], i["taxed2"]) for i in record["_line_items"]),
        tax=record["tax"],
        tax2=record["tax2"],
        discount=record["discount"],
    )
    paid = sum((p["amount"] for p in record["_payments"]), ZERO)
    record["amount"] = totals.amount
    record["tax_amount"] = totals.tax_amount
    record["tax2_amount"] = totals.tax2_amount
    record["discount_amount"] = totals.discount_amount
    record["due_amount"] = money(totals.amount - paid)


def _kind(hs: HarvestState, value: Any) -> str:
    kind = text(value, field="kind")
    names = {c["name"] for c in hs.invoice_item_categories.values()}
    if not kind or (names and kind not in names):
        raise unprocessable("Line items kind is not included in the list")
    return kind


def _line_item_fields(ctx: Ctx, item: Record, data: dict[str, Any]) -> None:
    hs = ctx.hs
    if "project_id" in data:
        project_id = data["project_id"]
        if project_id is not None:
            project_id = to_int(project_id, field="project_id")
            if project_id not in hs.projects:
                raise unprocessable("Line items project can't be blank")
        item["_project_id"] = project_id
    if "kind" in data:
        item["kind"] = _kind(hs, data["kind"])
    if "description" in data:
        item["description"] = text(data["description"], field="description")
    if "quantity" in data:
        item["quantity"] = to_decimal(data["quantity"], field="quantity", allow_none=False)
    if "unit_price" in data:
        item["unit_price"] = to_decimal(data["unit_price"], field="unit_price", allow_none=False)
    for flag in ("taxed", "taxed2"):
        if flag in data:
            item[flag] = to_bool(data[flag], field=flag)
    item["amount"] = line_amount(quantity=item["quantity"], unit_price=item["unit_price"])


def line_item_new(ctx: Ctx, data: dict[str, Any]) -> Record:
    if not isinstance(data, dict):
        raise unprocessable("Line items must be objects")
    if data.get("unit_price") is None:
        raise unprocessable("Line items unit price can't be blank")
    if not data.get("kind"):
        raise unprocessable("Line items kind can't be blank")
    item: Record = {
        "id": ctx.new_id("line_items"),
        "_project_id": None,
        "_imported": (),
        "kind": None,
        "description": "",
        "quantity": Decimal("1.0"),
        "unit_price": ZERO,
        "amount": ZERO,
        "taxed": False,
        "taxed2": False,
    }
    _line_item_fields(ctx, item, data)
    return item


def _line_items_patch(ctx: Ctx, record: Record, changes: Any) -> None:
    """Harvest patches line items by id: with `_destroy: true` it removes the line, without an id
    it adds one, otherwise it updates only the fields given."""
    if not isinstance(changes, list):
        raise unprocessable("Line items must be a list")
    by_id = {item["id"]: item for item in record["_line_items"]}
    for change in changes:
        if not isinstance(change, dict):
            raise unprocessable("Line items must be objects")
        item_id = change.get("id")
        if item_id is None:
            record["_line_items"].append(line_item_new(ctx, change))
            continue
        item = by_id.get(to_int(item_id, field="id"))
        if item is None:
            raise unprocessable(f"Line item {item_id} does not belong to this invoice")
        if to_bool(change.get("_destroy", False), field="_destroy"):
            release_imported(ctx.hs, item)
            record["_line_items"].remove(item)
        else:
            _line_item_fields(ctx, item, change)


def _next_number(hs: HarvestState) -> str:
    number = hs.invoice_number_max + 1
    while hs.invoice_number_taken(str(number)):
        number += 1
    return str(number)


def _percent(value: Any, *, field: str) -> Decimal | None:
    result = to_decimal(value, field=field)
    if result is not None and not (ZERO <= result <= 100):
        raise unprocessable(f"{field.capitalize()} must be between 0 and 100")
    return result


def _payment_options(value: Any, *, field: str) -> list[str]:
    if not isinstance(value, list) or any(v not in PAYMENT_OPTIONS for v in value):
        raise unprocessable("Payment options is not included in the list")
    return list(value)


_INVOICE_FIELDS = {
    "purchase_order": text,
    "tax": _percent,
    "tax2": _percent,
    "discount": _percent,
    "subject": text,
    "notes": text,
    "payment_options": _payment_options,
}


def _apply_terms(record: Record, body: dict[str, Any]) -> None:
    # Harvest: due_date defaults to the issue date when no payment_term is given, and the term
    # becomes "custom" when a due_date is assigned.
    term = body.get("payment_term", record.get("payment_term"))
    if "due_date" in body and "payment_term" not in body:
        term = "custom"
    if term is not None and term != "custom" and term not in NET_TERMS:
        raise unprocessable("Payment term is not included in the list")
    issue = date.fromisoformat(record["issue_date"])
    if term == "custom":
        due = to_date(body.get("due_date", record.get("due_date")), field="due_date")
        record["due_date"] = due or record["issue_date"]
    else:
        term = term or "upon receipt"
        record["due_date"] = (issue + timedelta(days=NET_TERMS[term])).isoformat()
    record["payment_term"] = term


def invoice_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "client_id")
    hs = ctx.hs
    client = hs.clients.get(to_int(body["client_id"], field="client_id"))
    if client is None:
        raise unprocessable("Client can't be blank")
    number = text(body.get("number"), field="number") or _next_number(hs)
    if hs.invoice_number_taken(number):
        raise unprocessable("Number has already been taken")
    invoice_id = ctx.new_id("invoices")
    hs.invoice_number_claim(number, invoice_id)
    record: Record = {
        "id": invoice_id,
        "_client_id": client["id"],
        "_creator_id": ctx.user_id,
        "_estimate_id": body.get("estimate_id"),
        "_retainer_id": body.get("retainer_id"),
        "_line_items": [],
        "_messages": [],
        "_payments": [],
        "client_key": hashlib.sha1(
            f"invoice:{invoice_id}".encode(), usedforsecurity=False
        ).hexdigest(),
        "number": number,
        "purchase_order": None,
        "amount": ZERO,
        "due_amount": ZERO,
        "tax": None,
        "tax_amount": ZERO,
        "tax2": None,
        "tax2_amount": ZERO,
        "discount": None,
        "discount_amount": ZERO,
        "subject": None,
        "notes": None,
        "currency": (text(body.get("currency"), field="currency") or client["currency"]).upper(),
        "state": "draft",
        "period_start": None,
        "period_end": None,
        "issue_date": to_date(body.get("issue_date"), field="issue_date")
        or ctx.clock.today().isoformat(),
        "due_date": None,
        "payment_term": None,
        "payment_options": [],
        "sent_at": None,
        "paid_at": None,
        "paid_date": None,
        "closed_at": None,
        "recurring_invoice_id": None,
    }
    for key, convert in _INVOICE_FIELDS.items():
        if key in body:
            record[key] = convert(body[key], field=key)
    _apply_terms(record, body)
    lines = body.get("line_items") or []
    if not isinstance(lines, list):
        raise unprocessable("Line items must be a list")
    record["_line_items"] = [line_item_new(ctx, data) for data in lines]
    if body.get("line_items_import"):
        import_line_items(ctx, record, body["line_items_import"])
    invoice_recompute(record)
    return stamp_new(ctx, record)


def invoice_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    hs = ctx.hs
    if "client_id" in body:
        client = hs.clients.get(to_int(body["client_id"], field="client_id"))
        if client is None:
            raise unprocessable("Client can't be blank")
        record["_client_id"] = client["id"]
    if "number" in body:
        number = text(body["number"], field="number")
        if not number:
            raise unprocessable("Number can't be blank")
        if hs.invoice_number_taken(number, exclude=record["id"]):
            raise unprocessable("Number has already been taken")
        record["number"] = number
        hs.invoice_number_claim(number, record["id"])
    for key, convert in _INVOICE_FIELDS.items():
        if key in body:
            record[key] = convert(body[key], field=key)
    if "currency" in body:
        record["currency"] = str(body["currency"]).upper()
    if "issue_date" in body:
        record["issue_date"] = (
            to_date(body["issue_date"], field="issue_date") or record["issue_date"]
        )
    for key in ("estimate_id", "retainer_id"):
        if key in body:
            record["_" + key] = body[key]
    if {"issue_date", "due_date", "payment_term"} & body.keys():
        _apply_terms(record, body)
    if "line_items" in body:
        _line_items_patch(ctx, record, body["line_items"])
    invoice_recompute(record)
    if record["due_amount"] < 0:
        raise unprocessable("Amount can't be less than the payments already recorded")


def _invoice_select(ctx: Ctx, records: Any) -> Any:
    client_id = query_int(ctx, "client_id")
    project_id = query_int(ctx, "project_id")
    since = query_updated_since(ctx)
    date_from = query_date(ctx, "from")
    date_to = query_date(ctx, "to")
    state = ctx.request.args.getlist("state")
    if client_id is not None:
        records = (r for r in records if r["_client_id"] == client_id)
    if project_id is not None:
        records = (
            r for r in records if any(i.get("_project_id") == project_id for i in r["_line_items"])
        )
    if since is not None:
        records = (r for r in records if r["updated_at"] >= since)
    if date_from is not None:
        records = (r for r in records if r["issue_date"] >= date_from)
    if date_to is not None:
        records = (r for r in records if r["issue_date"] <= date_to)
    if state:
        wanted = {s for value in state for s in value.split(",")}
        records = (r for r in records if r["state"] in wanted)
    return records


def _invoice_on_delete(ctx: Ctx, record: Record) -> None:
    for item in record["_line_items"]:
        release_imported(ctx.hs, item)


INVOICES = Resource(
    name="invoices",
    collection=lambda hs: hs.invoices,
    render=invoice_render,
    create=invoice_create,
    update=invoice_update,
    select=_invoice_select,
    sort_key=lambda r: r["issue_date"],
    on_delete=_invoice_on_delete,
)

"""Expenses and their receipts (uploaded as multipart/form-data, downloaded from the account host)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syncapp.sandbox.harvest.common import (
    Ctx,
    cents,
    stamp_new,
    text,
    to_bool,
    to_date,
    to_decimal,
    to_int,
    unprocessable,
)
from syncapp.sandbox.harvest.crud import Resource, public, ref, require, user_ref
from syncapp.sandbox.harvest.projects import user_assignment_render
from syncapp.sandbox.harvest.state import HarvestState, Record
from syncapp.sandbox.harvest.timesheets import (
    client_of,
    filter_spent,
    get_or_404_422,
    invoice_ref,
    locked_guard,
)

# -- expenses ------------------------------------------------------------------------------


def receipt_url(ctx_or_base: str, hs: HarvestState, expense_id: int) -> str:
    domain = hs.company.get("full_domain") or "sandbox.harvestapp.com"
    return f"{ctx_or_base}/{domain}/expenses/{expense_id}/receipt"


def expense_render_for(base: str):
    def render(hs: HarvestState, record: Record) -> dict[str, Any]:
        out = public(record)
        project = hs.projects.get(record["_project_id"])
        category = hs.expense_categories.get(record["_expense_category_id"])
        ua = hs.user_assignments.get(record.get("_user_assignment_id"))
        out["client"] = ref(client_of(hs, project), "name", "currency")
        out["project"] = ref(project, "name", "code")
        out["expense_category"] = ref(category, "name", "unit_price", "unit_name")
        out["user"] = user_ref(hs.users.get(record["_user_id"]))
        out["user_assignment"] = user_assignment_render(hs, ua) if ua else None
        out["invoice"] = invoice_ref(hs, record.get("_invoice_id"))
        receipt = hs.receipts.get(record["id"])
        out["receipt"] = (
            {
                "url": receipt_url(base, hs, record["id"]),
                "file_name": receipt[0],
                "file_size": len(receipt[2]),
                "content_type": receipt[1],
            }
            if receipt
            else None
        )
        return out

    return render


def _expense_cost(category: Record, body: dict[str, Any]) -> tuple[Decimal | None, Decimal]:
    if category.get("unit_price") is not None:
        units = to_decimal(body.get("units"), field="units", allow_none=False)
        return units, cents(units * category["unit_price"])
    total = to_decimal(body.get("total_cost"), field="total_cost", allow_none=False)
    return None, cents(total)


def _store_receipt(ctx: Ctx, expense_id: int) -> None:
    upload = ctx.request.files.get("receipt")
    if upload is not None:
        data = upload.read()
        ctx.hs.receipts[expense_id] = (
            upload.filename or "receipt",
            upload.mimetype or "application/octet-stream",
            data,
        )


def expense_create(ctx: Ctx, body: dict[str, Any]) -> Record:
    require(body, "project_id", "expense_category_id", "spent_date")
    hs = ctx.hs
    user_id = to_int(body.get("user_id", ctx.user_id), field="user_id")
    if user_id not in hs.users:
        raise unprocessable("User can't be blank")
    project = get_or_404_422(hs.projects, body["project_id"], "Project")
    category = get_or_404_422(
        hs.expense_categories, body["expense_category_id"], "Expense category"
    )
    ua = next(
        (
            a
            for a in hs.user_assignments.values()
            if a["_project_id"] == project["id"] and a["_user_id"] == user_id
        ),
        None,
    )
    if ua is None:
        raise unprocessable("User isn't assigned to this project")
    units, total = _expense_cost(category, body)
    record: Record = {
        "id": ctx.new_id("expenses"),
        "_user_id": user_id,
        "_project_id": project["id"],
        "_client_id": project["_client_id"],
        "_expense_category_id": category["id"],
        "_user_assignment_id": ua["id"],
        "_invoice_id": None,
        "notes": text(body.get("notes"), field="notes"),
        "units": units,
        "total_cost": total,
        "billable": to_bool(body.get("billable", project["is_billable"]), field="billable"),
        "is_closed": False,
        "is_locked": False,
        "is_billed": False,
        "locked_reason": None,
        "spent_date": to_date(body["spent_date"], field="spent_date"),
    }
    stamp_new(ctx, record)
    _store_receipt(ctx, record["id"])
    return record


def expense_update(ctx: Ctx, record: Record, body: dict[str, Any]) -> None:
    locked_guard(record)
    hs = ctx.hs
    if "project_id" in body:
        project = get_or_404_422(hs.projects, body["project_id"], "Project")
        record.update(_project_id=project["id"], _client_id=project["_client_id"])
    if "expense_category_id" in body:
        category = get_or_404_422(
            hs.expense_categories, body["expense_category_id"], "Expense category"
        )
        record["_expense_category_id"] = category["id"]
    if "units" in body or "total_cost" in body or "expense_category_id" in body:
        category = hs.expense_categories[record["_expense_category_id"]]
        merged = {"units": record["units"], "total_cost": record["total_cost"], **body}
        record["units"], record["total_cost"] = _expense_cost(category, merged)
    if "spent_date" in body:
        record["spent_date"] = to_date(body["spent_date"], field="spent_date")
    if "notes" in body:
        record["notes"] = text(body["notes"], field="notes")
    if "billable" in body:
        record["billable"] = to_bool(body["billable"], field="billable")
    if to_bool(body.get("delete_receipt", False), field="delete_receipt"):
        hs.receipts.pop(record["id"], None)
    _store_receipt(ctx, record["id"])


def expense_resource(base: str) -> Resource:
    return Resource(
        name="expenses",
        collection=lambda hs: hs.expenses,
        render=expense_render_for(base),
        create=expense_create,
        update=expense_update,
        select=filter_spent,
        sort_key=lambda r: r["spent_date"],
        delete_blocker=lambda ctx, r: (
            f"This entry is locked: {r.get('locked_reason')}" if r.get("is_locked") else None
        ),
        on_delete=lambda ctx, r: ctx.hs.receipts.pop(r["id"], None),
    )


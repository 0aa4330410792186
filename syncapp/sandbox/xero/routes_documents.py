"""Invoices, credit notes (with allocations) and payments."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.allocations import allocation_apply
from syncapp.sandbox.xero.batch import batch_write
from syncapp.sandbox.xero.documents import CREDIT_NOTE, INVOICE, DocKind, doc_commit, doc_prepare
from syncapp.sandbox.xero.formats import money_json, parse_decimal
from syncapp.sandbox.xero.http import (
    RequestContext,
    XeroError,
    field_getter,
    id_list,
    listing,
    not_found,
)
from syncapp.sandbox.xero.payments import (
    payment_commit,
    payment_delete,
    payment_prepare,
)
from syncapp.sandbox.xero.serialize import (
    allocation_json,
    document_json,
    generic_json,
    payment_json,
)
from syncapp.sandbox.xero.state import XeroState


def _document_getter(state: XeroState):
    def get(record: dict[str, Any], fields: tuple[str, ...]) -> Any:
        if fields[0] == "Contact":
            if len(fields) == 1:
                return record.get("ContactID")
            if fields[1] == "ContactID":
                return record.get("ContactID")
            return field_getter(state.contacts.get(record.get("ContactID") or "", {}), fields[1:])
        return field_getter(record, fields)

    return get


def _find(state: XeroState, kind: DocKind, ref: str) -> dict[str, Any] | None:
    collection = getattr(state, kind.collection)
    found = collection.get(ref.lower())
    if found is None:
        key = getattr(state, kind.index).get(ref.strip().lower())
        found = collection.get(key) if key else None
    return found


def _collection_key(kind: DocKind) -> str:
    return "Invoices" if kind is INVOICE else "CreditNotes"


def documents_list(rc: RequestContext, kind: DocKind) -> Response:
    state = rc.state
    records: Any = getattr(state, kind.collection).values()
    ids = id_list(rc.args.get("IDs"))
    if ids:
        wanted = set(ids)
        records = [r for r in records if r[kind.id_field] in wanted]
    if kind is INVOICE:
        numbers = {n.lower() for n in id_list(rc.args.get("InvoiceNumbers"))}
        if numbers:
            records = [r for r in records if (r.get("InvoiceNumber") or "").lower() in numbers]
        contacts = set(id_list(rc.args.get("ContactIDs")))
        if contacts:
            records = [r for r in records if r["ContactID"] in contacts]
        statuses = {s.upper() for s in id_list(rc.args.get("Statuses"))}
        if statuses:
            records = [r for r in records if r["Status"] in statuses]
        if rc.flag("createdByMyApp"):
            records = [r for r in records if r.get("CreatedByApp") == rc.client_id]
    term = (rc.args.get("searchTerm") or "").strip().lower()
    if term:
        records = [
            r for r in records
            if term in (r.get(kind.number_field) or "").lower() or term in (r.get("Reference") or "").lower()
        ]
    selected, pagination = listing(rc, records=records, getter=_document_getter(state))
    summary = rc.flag("summaryOnly")
    # Xero returns line items in a list only when paging ("page=1 - Up to 100 invoices will be
    # returned ... with line items shown for each invoice").
    lines = pagination is not None
    unitdp = rc.batch().unitdp
    items = [document_json(state, kind, r, lines=lines, summary=summary, unitdp=unitdp) for r in selected]
    extra = {"pagination": pagination} if pagination is not None else None
    return rc.envelope(_collection_key(kind), items, extra)


def document_get(rc: RequestContext, kind: DocKind, ref: str) -> Response:
    record = _find(rc.state, kind, ref)
    if record is None:
        raise not_found()
    return rc.envelope(_collection_key(kind), [document_json(rc.state, kind, record, unitdp=rc.batch().unitdp)])


def documents_write(rc: RequestContext, kind: DocKind, *, create_only: bool, path_id: str | None = None) -> Response:
    state = rc.state
    ctx = rc.batch()
    if path_id is not None and _find(state, kind, path_id) is None:
        raise not_found()
    if path_id is not None:
        path_id = _find(state, kind, path_id)[kind.id_field]
    items = rc.items(_collection_key(kind))
    return batch_write(
        rc,
        key=_collection_key(kind),
        items=items,
        prepare=lambda raw: doc_prepare(state, kind, raw, ctx=ctx, allow_update=not create_only or
                                        bool(isinstance(raw, dict) and raw.get(kind.id_field)),
                                        path_id=path_id),
        commit=lambda p: doc_commit(state, p, ctx=ctx),
        render=lambda record: document_json(state, kind, record, unitdp=ctx.unitdp),
        render_failed=lambda p: document_json(state, kind, p.record, unitdp=ctx.unitdp),
        summarize=True if path_id is not None else None,
    )


# -- payments ----------------------------------------------------------------------------------

def _payment_getter(state: XeroState):
    def get(record: dict[str, Any], fields: tuple[str, ...]) -> Any:
        if fields[0] == "Invoice" and len(fields) > 1:
            invoice = state.invoices.get(record.get("InvoiceID") or "", {})
            if fields[1] == "Contact":
                return _document_getter(state)(invoice, fields[1:])
            return field_getter(invoice, fields[1:])
        if fields[0] == "Account" and len(fields) > 1:
            return field_getter(state.accounts.get(record.get("AccountID") or "", {}), fields[1:])
        return field_getter(record, fields)

    return get


def payments_list(rc: RequestContext) -> Response:
    state = rc.state
    selected, pagination = listing(rc, records=state.payments.values(), getter=_payment_getter(state))
    extra = {"pagination": pagination} if pagination is not None else None
    return rc.envelope("Payments", [payment_json(state, p) for p in selected], extra)


def payment_get(rc: RequestContext, payment_id: str) -> Response:
    payment = rc.state.payments.get(payment_id.lower())
    if payment is None:
        raise not_found()
    return rc.envelope("Payments", [payment_json(rc.state, payment)])


def _payment_failed(prepared: Any) -> dict[str, Any]:
    data = {k: generic_json(prepared.raw[k]) if isinstance(prepared.raw[k], dict) else prepared.raw[k]
            for k in ("Invoice", "Account", "Reference") if k in prepared.raw}
    if prepared.record.get("Amount") is not None:
        data["Amount"] = money_json(prepared.record["Amount"])
    data["Status"] = "AUTHORISED"
    return data


def payments_write(rc: RequestContext) -> Response:
    state = rc.state
    ctx = rc.batch()
    return batch_write(
        rc,
        key="Payments",
        items=rc.items("Payments"),
        prepare=lambda raw: payment_prepare(state, raw, ctx=ctx),
        commit=lambda p: payment_commit(state, p, ctx=ctx),
        render=lambda record: payment_json(state, record),
        render_failed=_payment_failed,
        error_flag="HasValidationErrors",
    )


def payment_update(rc: RequestContext, payment_id: str) -> Response:
    state = rc.state
    payment = state.payments.get(payment_id.lower())
    if payment is None:
        raise not_found()
    items = rc.items("Payments")
    status = str((items[0] if items and isinstance(items[0], dict) else {}).get("Status", "")).upper()
    if status != "DELETED":
        errors = ["Payments can only be deleted by setting Status to DELETED"]
    else:
        errors = payment_delete(state, payment=payment, ctx=rc.batch())
    if errors:
        element = payment_json(state, payment)
        element["ValidationErrors"] = [{"Message": m} for m in errors]
        element["HasValidationErrors"] = True
        raise XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                              "Message": "A validation exception occurred", "Elements": [element]})
    return rc.envelope("Payments", [payment_json(state, payment)])


def _decimal_or_zero(raw: Any) -> Decimal:
    try:
        return parse_decimal(raw) or Decimal("0.00")
    except (InvalidOperation, ValueError):
        return Decimal("0.00")


def allocations_write(rc: RequestContext, credit_note_id: str, *, source_kind: str = "CreditNote") -> Response:
    state = rc.state
    if source_kind == "CreditNote":
        note = _find(state, CREDIT_NOTE, credit_note_id)
    else:
        note = state.overpayments.get(credit_note_id.lower())
    if note is None:
        raise not_found()
    ctx = rc.batch()
    out = []
    failed = []
    for raw in rc.items("Allocations"):
        allocation, errors = allocation_apply(state, source=note, source_kind=source_kind, raw=raw, ctx=ctx)
        if errors:
            raw = raw if isinstance(raw, dict) else {}
            invoice_ref = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
            element = {
                "Invoice": {k: str(v) for k, v in invoice_ref.items() if k in ("InvoiceID", "InvoiceNumber")},
                "Amount": money_json(_decimal_or_zero(raw.get("Amount"))),
                "Date": str(raw.get("Date") or rc.now.date().isoformat()),
            }
            element["ValidationErrors"] = [{"Message": m} for m in errors]
            element["StatusAttributeString"] = "ERROR"
            failed.append(element)
        else:
            out.append(allocation_json(state, allocation))
    if failed and not out:
        raise XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                              "Message": "A validation exception occurred", "Elements": failed})
    return rc.envelope("Allocations", out + failed)

"""Invoices and credit notes: create, update, status changes, in two steps.

`doc_prepare` validates one element against the state without changing it; `doc_commit` applies
it. A batch with summarizeErrors=true prepares every element first and commits only if none
failed (Xero then answers 400 and saves nothing); with summarizeErrors=false each valid element is
committed and the failed ones come back with their ValidationErrors.

Status rules (https://developer.xero.com/documentation/api/accounting/invoices#deleting-and-voiding-invoices):
DRAFT and SUBMITTED may be edited, approved or DELETED; AUTHORISED may be edited while nothing is
paid or credited, and VOIDED only then; PAID, VOIDED and DELETED documents cannot be modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from syncapp.sandbox.xero.doc_kinds import (  # noqa: F401 - re-exported for callers
    CREDIT_NOTE,
    EDITABLE,
    FINAL,
    INVOICE,
    NIL_ID,
    BatchContext,
    DocKind,
)
from syncapp.sandbox.xero.doc_rules import (
    action_needed,
    contact_resolve,
    history_for,
    status_change_ok,
)
from syncapp.sandbox.xero.events import event_emit
from syncapp.sandbox.xero.formats import DateParseError, parse_date, parse_decimal
from syncapp.sandbox.xero.limits import CREDIT_NOTE as CREDIT_NOTE_LIMITS
from syncapp.sandbox.xero.limits import INVOICE as INVOICE_LIMITS
from syncapp.sandbox.xero.limits import length_errors
from syncapp.sandbox.xero.lines import lines_build
from syncapp.sandbox.xero.lookups import currency_check, lock_date_check
from syncapp.sandbox.xero.money import ZERO
from syncapp.sandbox.xero.state import XeroState

# Fields that may still change on an AUTHORISED document with payments or credits applied.
_HARMLESS = {"Reference", "DueDate", "SentToContact", "ExpectedPaymentDate", "PlannedPaymentDate",
             "Url", "BrandingThemeID", "Status"}


@dataclass
class Prepared:
    kind: DocKind
    raw: dict[str, Any]
    record: dict[str, Any]
    existing: dict[str, Any] | None
    errors: list[str]
    new_contact_name: str | None = None


def doc_prepare(
    state: XeroState,
    kind: DocKind,
    raw: Any,
    *,
    ctx: BatchContext,
    allow_create: bool = True,
    allow_update: bool = True,
    path_id: str | None = None,
) -> Prepared:
    if not isinstance(raw, dict):
        return Prepared(kind, {}, {}, None, [f"{kind.label} must be an object."])
    errors: list[str] = length_errors(raw, INVOICE_LIMITS if kind is INVOICE else CREDIT_NOTE_LIMITS)
    collection = getattr(state, kind.collection)
    index = getattr(state, kind.index)
    existing = None
    doc_id = path_id or raw.get(kind.id_field)
    number = raw.get(kind.number_field)
    number = str(number).strip() if number not in (None, "") else None
    if doc_id:
        existing = collection.get(str(doc_id).lower())
        if existing is None:
            errors.append(f"{kind.label} could not be found with {kind.id_field} '{doc_id}'")
            return Prepared(kind, raw, _echo(kind, raw), None, errors)
    elif number and allow_update and raw.get("Type", kind.unique_type) == kind.unique_type:
        found = index.get(number.lower())
        existing = collection.get(found) if found else None
    if existing is not None and not allow_update:
        existing = None
    if existing is None and not allow_create:
        errors.append(f"{kind.label} could not be found")
        return Prepared(kind, raw, _echo(kind, raw), None, errors)

    record: dict[str, Any] = dict(existing) if existing is not None else {}
    creating = existing is None
    status = str(raw.get("Status") or record.get("Status") or "DRAFT").upper()
    if existing is not None and not status_change_ok(kind, existing, status, raw, errors):
        return Prepared(kind, raw, record, existing, errors)

    doc_type = raw.get("Type") or record.get("Type")
    if doc_type not in kind.types:
        errors.append(f"A valid {kind.label} Type must be specified (one of {', '.join(kind.types)}).")
        return Prepared(kind, raw, record, existing, errors)
    record["Type"] = doc_type
    if creating and status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        errors.append(f"{kind.label} not of valid status for creation")
    action = action_needed(kind, doc_type, status, creating, existing)
    if action and state.actions.get(action, "ALLOWED") != "ALLOWED":
        # Organisation/Actions tells clients in advance (e.g. a partner edition organisation).
        errors.append(f"This organisation is not allowed to perform the action {action}.")

    new_contact_name = contact_resolve(state, raw, record, creating, ctx, errors)
    for name in ("Reference", "Url", "BrandingThemeID"):
        if name in raw:
            record[name] = raw[name]
    if "SentToContact" in raw:
        record["SentToContact"] = bool(raw["SentToContact"]) and status == "AUTHORISED"
    for name in ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"):
        if raw.get(name):
            try:
                record[name] = parse_date(raw[name])
            except DateParseError:
                errors.append(f"The {name} '{raw[name]}' is not a valid date.")
    record.setdefault("Date", ctx.now.date())
    if kind is INVOICE and status == "AUTHORISED" and not record.get("DueDate"):
        # Approved invoices need a due date (drafts may leave it out).
        errors.append("The document DueDate field must be specified.")
    lat = raw.get("LineAmountTypes") or record.get("LineAmountTypes") or "Exclusive"
    if lat not in ("Exclusive", "Inclusive", "NoTax"):
        errors.append(f"LineAmountTypes '{lat}' is not valid.")
        lat = "Exclusive"
    currency = raw.get("CurrencyCode") or record.get("CurrencyCode")
    if not currency:
        contact = state.contacts.get(record.get("ContactID") or "")
        currency = (contact or {}).get("DefaultCurrency") or state.base_currency
    currency_check(state, code=currency, errors=errors)
    record["CurrencyCode"] = currency
    if raw.get("CurrencyRate") is not None:
        try:
            record["CurrencyRate"] = parse_decimal(raw["CurrencyRate"])
        except (InvalidOperation, ValueError):
            errors.append(f"The currency rate '{raw['CurrencyRate']}' is not valid.")
    record.setdefault("CurrencyRate", Decimal("1.000000"))

    lines_changed = "LineItems" in raw or lat != record.get("LineAmountTypes")
    record["LineAmountTypes"] = lat
    if lines_changed:
        raw_lines = raw.get("LineItems")
        if raw_lines is None:
            raw_lines = [_line_as_input(line) for line in record.get("LineItems", [])]
        built = lines_build(
            state,
            raw_lines=raw_lines,
            line_amount_types=lat,
            allow_discounts=doc_type == "ACCREC",
            discount_message=kind.discount_message,
            require_accounts=status == "AUTHORISED",
            unitdp=ctx.unitdp,
            existing={line["LineItemID"]: line for line in record.get("LineItems", [])},
            sales=doc_type in ("ACCREC", "ACCRECCREDIT"),
        )
        errors.extend(built.errors)
        if built.totals is not None:
            record["LineItems"] = built.lines
            record["SubTotal"] = built.totals.sub_total
            record["TotalTax"] = built.totals.total_tax
            record["Total"] = built.totals.total
            record["TotalDiscount"] = built.totals.total_discount
    elif status == "AUTHORISED" and any(not line.get("AccountCode") for line in record.get("LineItems", [])):
        errors.append("Account code or ID must be specified.")
    record.setdefault("LineItems", [])
    for money_field in ("SubTotal", "TotalTax", "Total", "TotalDiscount"):
        record.setdefault(money_field, ZERO)
    if record["Total"] < 0:
        errors.append(f"The {kind.label.lower()} total cannot be negative.")

    if number and doc_type == kind.unique_type:
        key = number.lower()
        holder = getattr(state, kind.index).get(key)
        own_id = existing[kind.id_field] if existing is not None else None
        if (holder is not None and holder != own_id) or (key in ctx.numbers and creating):
            errors.append(f"{'Invoice' if kind is INVOICE else 'Credit Note'} # must be unique.")
        ctx.numbers.add(key)
    if number:
        record[kind.number_field] = number

    if existing is not None and existing["Status"] == "AUTHORISED":
        applied = (existing.get("AmountPaid", ZERO) + existing.get("AmountCredited", ZERO)
                   + existing.get("AppliedAmount", ZERO))
        touched = {k for k in raw if k not in _HARMLESS and k != kind.id_field and k != kind.number_field}
        if applied and touched:
            errors.append(
                "This document cannot be edited as it has a payment or credit note allocated to it."
            )
    posted = status in ("AUTHORISED",) or (existing is not None and existing["Status"] == "AUTHORISED")
    if posted:
        lock_date_check(state, when=record["Date"], errors=errors)
        if existing is not None and existing["Date"] != record["Date"]:
            lock_date_check(state, when=existing["Date"], errors=errors)
    record["Status"] = status
    _settle(kind, record)
    # Report each message once (a batch may repeat the same line problem).
    errors = list(dict.fromkeys(errors))
    return Prepared(kind, raw, record, existing, errors, new_contact_name)


def _echo(kind: DocKind, raw: dict[str, Any]) -> dict[str, Any]:
    """What a failed element echoes back of the request (only plain fields)."""
    echo = {k: raw[k] for k in (kind.number_field, "Reference") if isinstance(raw.get(k), str)}
    if raw.get("Type") in kind.types:
        echo["Type"] = raw["Type"]
    return echo


def _line_as_input(line: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in line.items() if k not in ("LineAmount", "TaxAmount", "Item")}
    if line.get("TaxType") == "NONE":
        data.pop("TaxType")
    return data


def _settle(kind: DocKind, record: dict[str, Any]) -> None:
    """Derive AmountDue/RemainingCredit from Total and what has been paid or allocated."""
    paid = record.setdefault("AmountPaid", ZERO)
    if kind is CREDIT_NOTE:
        # A credit note's allocations to invoices are its AppliedAmount.
        used = record.setdefault("AppliedAmount", ZERO)
    else:
        used = record.setdefault("AmountCredited", ZERO)
    due = ZERO if record["Status"] in ("VOIDED", "DELETED") else record["Total"] - paid - used
    record["RemainingCredit" if kind is CREDIT_NOTE else "AmountDue"] = due


def doc_commit(state: XeroState, prepared: Prepared, *, ctx: BatchContext) -> dict[str, Any]:
    from syncapp.sandbox.xero.contacts import contact_create_named

    kind, record, existing = prepared.kind, prepared.record, prepared.existing
    collection = getattr(state, kind.collection)
    index = getattr(state, kind.index)
    if prepared.new_contact_name is not None and record["ContactID"] not in state.contacts:
        contact_create_named(state, contact_id=record["ContactID"], name=prepared.new_contact_name, now=ctx.now)
    creating = existing is None
    if creating:
        record[kind.id_field] = state.new_id(kind.collection)
        record.setdefault("PaymentIDs", [])
        record.setdefault("Allocations", [])
        record.setdefault("SentToContact", False)
        record.setdefault("HasAttachments", False)
        record["CreatedByApp"] = ctx.client_id
        if not record.get(kind.number_field) and record["Type"] == kind.unique_type:
            record[kind.number_field] = _next_number(state, kind)
    else:
        old_number = existing.get(kind.number_field)
        if old_number and old_number != record.get(kind.number_field):
            index.pop(old_number.lower(), None)
    doc_id = record[kind.id_field]
    record["UpdatedDateUTC"] = ctx.now
    collection[doc_id] = record
    if record["Type"] == kind.unique_type and record.get(kind.number_field):
        if record["Status"] == "DELETED":
            # A deleted invoice frees its number (Xero lets it be reused).
            index.pop(record[kind.number_field].lower(), None)
        else:
            index[record[kind.number_field].lower()] = doc_id
    contact = state.contacts.get(record["ContactID"])
    if contact is not None:
        flag = "IsCustomer" if record["Type"] in ("ACCREC", "ACCRECCREDIT") else "IsSupplier"
        contact[flag] = True
    history_for(state, kind, record, existing, ctx.now)
    event_emit(
        state, category=kind.category, event_type="CREATE" if creating else "UPDATE",
        resource_id=doc_id, when=ctx.now,
        data={"Type": record["Type"], "Status": record["Status"]} if kind is CREDIT_NOTE else None,
    )
    return record


def _next_number(state: XeroState, kind: DocKind) -> str:
    index = getattr(state, kind.index)
    while True:
        candidate = f"{kind.number_prefix}{state.next_number(kind.collection + ':number'):04d}"
        if candidate.lower() not in index:
            return candidate

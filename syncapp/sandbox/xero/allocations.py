"""Allocating credit (credit notes, overpayments) to invoices.

Only AUTHORISED credit can be allocated, to an AUTHORISED invoice in the same currency, for no
more than either side has left; each side is PAID when nothing remains
(https://developer.xero.com/documentation/api/accounting/creditnotes#allocations).
"""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from syncapp.sandbox.xero.doc_kinds import CREDIT_NOTE, INVOICE, BatchContext
from syncapp.sandbox.xero.events import event_emit, history_add
from syncapp.sandbox.xero.formats import DateParseError, parse_date, parse_decimal
from syncapp.sandbox.xero.lookups import lock_date_check
from syncapp.sandbox.xero.money import ZERO, money_round
from syncapp.sandbox.xero.state import XeroState

# source kind -> (id field, label used in messages)
SOURCES = {"CreditNote": ("CreditNoteID", "credit note"), "Overpayment": ("OverpaymentID", "overpayment")}


def _amount(raw: Any) -> Any:
    try:
        return money_round(parse_decimal(raw) or ZERO)
    except (InvalidOperation, ValueError):
        return ZERO


def allocation_apply(
    state: XeroState, *, source: dict[str, Any], source_kind: str, raw: Any, ctx: BatchContext
) -> tuple[dict[str, Any] | None, list[str]]:
    id_field, label = SOURCES[source_kind]
    if not isinstance(raw, dict):
        return None, ["Allocation must be an object."]
    invoice_raw = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    invoice = state.invoices.get(str(invoice_raw.get("InvoiceID", "")).lower())
    if invoice is None:
        return None, ["Invoice could not be found"]
    errors: list[str] = []
    amount = _amount(raw.get("Amount"))
    if amount <= 0:
        errors.append("Allocation amount must be greater than zero")
    if source["Status"] != "AUTHORISED" or invoice["Status"] != "AUTHORISED":
        errors.append(f"{label.capitalize()}s can only be allocated against Authorised documents")
    receivable = source["Type"] in ("ACCRECCREDIT", "RECEIVE-OVERPAYMENT")
    if (invoice["Type"] == "ACCREC") != receivable:
        errors.append(f"A {label} can only be allocated to an invoice on the same side of the ledger")
    if invoice["CurrencyCode"] != source["CurrencyCode"]:
        errors.append(f"The currency of the {label} must match the currency of the invoice")
    if amount > source["RemainingCredit"]:
        errors.append(f"The amount applied exceeds the remaining credit on this {label}")
    if amount > invoice["AmountDue"]:
        errors.append("The amount applied exceeds the amount outstanding on the invoice")
    try:
        when = parse_date(raw["Date"]) if raw.get("Date") else ctx.now.date()
    except DateParseError:
        when = ctx.now.date()
        errors.append("The allocation date is not valid.")
    lock_date_check(state, when=when, errors=errors)
    if errors:
        return None, errors
    allocation = {"AllocationID": state.new_id("allocation"), "Amount": amount, "Date": when,
                  "InvoiceID": invoice["InvoiceID"], id_field: source[id_field]}
    source.setdefault("Allocations", []).append(allocation)
    invoice.setdefault("Allocations", []).append(allocation)
    source["RemainingCredit"] -= amount
    source["AppliedAmount"] = source.get("AppliedAmount", ZERO) + amount
    invoice["AmountCredited"] = invoice.get("AmountCredited", ZERO) + amount
    invoice["AmountDue"] -= amount
    for document, due_field in ((source, "RemainingCredit"), (invoice, "AmountDue")):
        if document[due_field] == 0:
            document["Status"] = "PAID"
            document["FullyPaidOnDate"] = when
        document["UpdatedDateUTC"] = ctx.now
    event_emit(state, category=INVOICE.category, event_type="UPDATE", resource_id=invoice["InvoiceID"],
               when=ctx.now)
    if source_kind == "CreditNote":
        event_emit(state, category=CREDIT_NOTE.category, event_type="UPDATE", resource_id=source["CreditNoteID"],
                   when=ctx.now, data={"Type": source["Type"], "Status": source["Status"]})
    history_add(state, object_id=invoice["InvoiceID"], changes="Credit Applied",
                details=f"Credit of {amount} applied from {label}.", when=ctx.now)
    return allocation, []

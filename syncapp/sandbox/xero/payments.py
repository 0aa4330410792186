"""Payments against invoices and credit notes, payment deletion, credit note allocations.

A payment lowers the document's AmountDue and raises AmountPaid; at zero due the document is PAID
(with FullyPaidOnDate). Deleting a payment (POST /Payments/{id} with Status DELETED) reverses it and
an invoice returns to AUTHORISED (https://developer.xero.com/documentation/api/accounting/payments).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from syncapp.sandbox.xero.documents import CREDIT_NOTE, INVOICE, BatchContext
from syncapp.sandbox.xero.events import event_emit, history_add
from syncapp.sandbox.xero.formats import DateParseError, parse_date, parse_decimal
from syncapp.sandbox.xero.limits import PAYMENT, length_errors
from syncapp.sandbox.xero.lookups import account_resolve, lock_date_check
from syncapp.sandbox.xero.money import ZERO, money_round
from syncapp.sandbox.xero.state import XeroState

_PAYMENT_TYPES = {
    "ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT",
    "ACCRECCREDIT": "ARCREDITPAYMENT", "ACCPAYCREDIT": "APCREDITPAYMENT",
}


@dataclass
class PreparedPayment:
    raw: dict[str, Any]
    record: dict[str, Any]
    errors: list[str]
    target: dict[str, Any] | None = None


def _target_resolve(state: XeroState, raw: dict[str, Any], errors: list[str]) -> dict[str, Any] | None:
    invoice = raw.get("Invoice") if isinstance(raw.get("Invoice"), dict) else {}
    credit = raw.get("CreditNote") if isinstance(raw.get("CreditNote"), dict) else {}
    if invoice.get("InvoiceID"):
        found = state.invoices.get(str(invoice["InvoiceID"]).lower())
    elif invoice.get("InvoiceNumber") or raw.get("InvoiceNumber"):
        number = str(invoice.get("InvoiceNumber") or raw.get("InvoiceNumber")).strip().lower()
        key = state.invoice_by_number.get(number)
        found = state.invoices.get(key) if key else None
    elif credit.get("CreditNoteID"):
        found = state.credit_notes.get(str(credit["CreditNoteID"]).lower())
    elif credit.get("CreditNoteNumber") or raw.get("CreditNoteNumber"):
        number = str(credit.get("CreditNoteNumber") or raw.get("CreditNoteNumber")).strip().lower()
        key = state.credit_note_by_number.get(number)
        found = state.credit_notes.get(key) if key else None
    else:
        errors.append("You must specify either an Invoice or a Credit Note for the payment.")
        return None
    if found is None:
        errors.append("Invoice could not be found")
    return found


def _rate(raw: Any, errors: list[str]) -> Decimal:
    try:
        return parse_decimal(raw) or Decimal("1.000000")
    except (InvalidOperation, ValueError):
        errors.append(f"The currency rate '{raw}' is not valid.")
        return Decimal("1.000000")


def payment_prepare(state: XeroState, raw: Any, *, ctx: BatchContext) -> PreparedPayment:
    if not isinstance(raw, dict):
        return PreparedPayment({}, {}, ["Payment must be an object."])
    errors: list[str] = length_errors(raw, PAYMENT)
    target = _target_resolve(state, raw, errors)
    account_raw = raw.get("Account") if isinstance(raw.get("Account"), dict) else {}
    account = account_resolve(
        state, code=account_raw.get("Code") or raw.get("Code"), account_id=account_raw.get("AccountID"),
        errors=errors,
    )
    if account is None and not errors:
        errors.append("Account code or ID must be specified.")
    elif account is not None and not (account["Type"] == "BANK" or account.get("EnablePaymentsToAccount")):
        errors.append(f"Account type is invalid for making a payment to/from account code '{account.get('Code')}'.")
    try:
        amount = parse_decimal(raw.get("Amount"))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or amount <= 0:
        errors.append("Payment amounts must be positive amounts")
        amount = ZERO
    amount = money_round(amount)
    try:
        when = parse_date(raw["Date"]) if raw.get("Date") else ctx.now.date()
    except DateParseError:
        errors.append(f"The Date '{raw.get('Date')}' is not a valid date.")
        when = ctx.now.date()
    if target is not None:
        if target["Status"] != "AUTHORISED":
            errors.append("Payments can only be made against Authorised documents")
        else:
            due = target["AmountDue"] if "AmountDue" in target else target["RemainingCredit"]
            if amount > due:
                errors.append("Payment amount exceeds the amount outstanding on this document")
    lock_date_check(state, when=when, errors=errors)
    record = {
        "Date": when,
        "Amount": amount,
        "BankAmount": amount,
        "Reference": raw.get("Reference"),
        "CurrencyRate": _rate(raw.get("CurrencyRate"), errors),
        "IsReconciled": bool(raw.get("IsReconciled", False)),
        "Status": "AUTHORISED",
        "AccountID": account["AccountID"] if account else None,
        "PaymentType": _PAYMENT_TYPES.get((target or {}).get("Type", "ACCREC"), "ACCRECPAYMENT"),
    }
    if target is not None:
        id_field = "InvoiceID" if "InvoiceID" in target else "CreditNoteID"
        record[id_field] = target[id_field]
    return PreparedPayment(raw, record, list(dict.fromkeys(errors)), target)


def _document_apply(state: XeroState, target: dict[str, Any], delta: Decimal, when, now) -> None:
    """Move `delta` (positive pays, negative reverses) through the target document."""
    is_invoice = "InvoiceID" in target
    target["AmountPaid"] = target.get("AmountPaid", ZERO) + delta
    due_field = "AmountDue" if is_invoice else "RemainingCredit"
    target[due_field] = target[due_field] - delta
    if target[due_field] == 0 and target["Status"] == "AUTHORISED":
        target["Status"] = "PAID"
        target["FullyPaidOnDate"] = when
    elif target[due_field] > 0 and target["Status"] == "PAID":
        target["Status"] = "AUTHORISED"
        target.pop("FullyPaidOnDate", None)
    target["UpdatedDateUTC"] = now
    kind = INVOICE if is_invoice else CREDIT_NOTE
    event_emit(
        state, category=kind.category, event_type="UPDATE", resource_id=target[kind.id_field], when=now,
        data=None if is_invoice else {"Type": target["Type"], "Status": target["Status"]},
    )


def payment_commit(state: XeroState, prepared: PreparedPayment, *, ctx: BatchContext) -> dict[str, Any]:
    record = prepared.record
    record["PaymentID"] = state.new_id("payment")
    record["UpdatedDateUTC"] = ctx.now
    state.payments[record["PaymentID"]] = record
    target = prepared.target
    target.setdefault("PaymentIDs", []).append(record["PaymentID"])
    _document_apply(state, target, record["Amount"], record["Date"], ctx.now)
    contact = state.contacts.get(target["ContactID"], {})
    history_add(
        state, object_id=target.get("InvoiceID") or target.get("CreditNoteID"), changes="Payment Received",
        details=f"Payment received from {contact.get('Name', '')} on {record['Date']:%d %B %Y} for "
        f"{record['Amount']}.", when=ctx.now,
    )
    history_add(state, object_id=record["PaymentID"], changes="Created",
                details=f"Payment of {record['Amount']} created.", when=ctx.now)
    return record


def payment_delete(state: XeroState, *, payment: dict[str, Any], ctx: BatchContext) -> list[str]:
    """Reverse a payment; returns Xero's validation messages (empty when deleted)."""
    errors: list[str] = []
    if payment["Status"] == "DELETED":
        errors.append("Payment has already been deleted")
        return errors
    lock_date_check(state, when=payment["Date"], errors=errors)
    if errors:
        return errors
    payment["Status"] = "DELETED"
    payment["UpdatedDateUTC"] = ctx.now
    target = state.invoices.get(payment.get("InvoiceID") or "") or state.credit_notes.get(
        payment.get("CreditNoteID") or ""
    )
    if target is not None:
        _document_apply(state, target, -payment["Amount"], payment["Date"], ctx.now)
        history_add(state, object_id=target.get("InvoiceID") or target.get("CreditNoteID"),
                    changes="Payment Deleted", details=f"Payment of {payment['Amount']} deleted.",
                    when=ctx.now)
    history_add(state, object_id=payment["PaymentID"], changes="Deleted",
                details=f"Payment of {payment['Amount']} deleted.", when=ctx.now)
    return errors


def allocation_apply(
    state: XeroState, *, credit_note: dict[str, Any], raw: Any, ctx: BatchContext
) -> tuple[dict[str, Any] | None, list[str]]:
    """Allocate a credit note to an invoice (kept for callers; see allocations.py)."""
    from syncapp.sandbox.xero.allocations import allocation_apply as apply

    return apply(state, source=credit_note, source_kind="CreditNote", raw=raw, ctx=ctx)

"""Reading a Xero sales invoice's settlements: payments and applied credit (pure, no I/O).

See plan.py for how each settlement becomes one Harvest payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from syncapp.flows.payments.types import (
    ALLOCATIONS,
    SOURCE_PAYMENT,
    ZERO,
    Settlement,
    XeroInvoiceView,
)
from syncapp.providers.xero.dates import XeroDateError, xero_date_parse


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _day(value: Any) -> date | None:
    try:
        return xero_date_parse(value) if isinstance(value, str) else None
    except XeroDateError:
        return None


def settlement_key(*, prefix: str, document_id: str, invoice_id: str) -> str:
    # SyncLink.xero_id holds 64 characters: the allocated document's id in full (the part that
    # is unique) and enough of the invoice's id to tell one allocated invoice from another.
    return f"{prefix}:{document_id.lower()}:{invoice_id.lower().replace('-', '')[:12]}"


def settlements_of(raw: Mapping[str, Any]) -> tuple[Settlement, ...]:
    """Every settlement listed on a Xero invoice, in a stable order (date, then key)."""
    invoice_id = str(raw.get("InvoiceID") or "")
    found: list[Settlement] = []
    for payment in raw.get("Payments") or ():
        if str(payment.get("Status") or "AUTHORISED").upper() == "DELETED":
            continue
        amount = _money(payment.get("Amount"))
        if not payment.get("PaymentID") or amount is None:
            continue
        reference = str(payment.get("Reference") or "")
        found.append(
            Settlement(
                key=str(payment["PaymentID"]).lower(),
                source=SOURCE_PAYMENT,
                amount=amount,
                paid_on=_day(payment.get("Date")),
                label=f"Xero payment {payment['PaymentID']}",
                reference=reference,
            )
        )
    for list_field, id_field, prefix, source, label in ALLOCATIONS:
        totals: dict[str, Decimal] = {}
        first: dict[str, Mapping[str, Any]] = {}
        for allocation in raw.get(list_field) or ():
            document_id = str(allocation.get(id_field) or "")
            amount = _money(allocation.get("AppliedAmount"))
            if not document_id or amount is None:
                continue
            # Two allocations of one document to one invoice settle as one Harvest payment.
            totals[document_id] = totals.get(document_id, ZERO) + amount
            first.setdefault(document_id, allocation)
        for document_id, amount in totals.items():
            if amount <= 0:
                continue
            allocation = first[document_id]
            number = allocation.get("CreditNoteNumber") or ""
            found.append(
                Settlement(
                    key=settlement_key(
                        prefix=prefix, document_id=document_id, invoice_id=invoice_id
                    ),
                    source=source,
                    amount=amount,
                    paid_on=_day(allocation.get("Date")),
                    label=f"{label} {number}".strip() + " applied",
                )
            )
    return tuple(sorted(found, key=lambda s: (s.paid_on or date.max, s.key)))


def xero_invoice_view(raw: Mapping[str, Any]) -> XeroInvoiceView:
    return XeroInvoiceView(
        invoice_id=str(raw.get("InvoiceID") or ""),
        number=str(raw.get("InvoiceNumber") or ""),
        status=str(raw.get("Status") or ""),
        currency=str(raw.get("CurrencyCode") or ""),
        total=_money(raw.get("Total")),
        amount_due=_money(raw.get("AmountDue")),
        settlements=settlements_of(raw),
        complete="Payments" in raw,
        reference=str(raw.get("Reference") or ""),
    )


def xero_credit_note_view(raw: Mapping[str, Any]) -> XeroInvoiceView:
    """A sales credit note as the document its refunds pay: what is left to refund is its
    RemainingCredit, and its refunds are the payments it lists."""
    return XeroInvoiceView(
        invoice_id=str(raw.get("CreditNoteID") or ""),
        number=str(raw.get("CreditNoteNumber") or ""),
        status=str(raw.get("Status") or ""),
        currency=str(raw.get("CurrencyCode") or ""),
        total=_money(raw.get("Total")),
        amount_due=_money(raw.get("RemainingCredit")),
        settlements=settlements_of({"Payments": raw.get("Payments") or ()}),
        complete="Payments" in raw,
        reference=str(raw.get("Reference") or ""),
    )

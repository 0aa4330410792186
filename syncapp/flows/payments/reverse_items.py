"""What the Harvest -> Xero pass sends: one item per Harvest payment, and the checks against
Xero before anything is written (see reverse.py).

A payment on a positive Harvest invoice pays the Xero invoice. A payment on a negative invoice is
money paid back to the client: the invoice flow sent that invoice as a sales credit note, so the
payment becomes a refund of the credit note, which Xero records as a Payment with `CreditNote`
instead of `Invoice` (https://developer.xero.com/documentation/api/accounting/payments, "Refund a
credit note"): a positive Amount that lowers the note's RemainingCredit. Harvest's own sign for
such a payment is not documented, so the refund is the payment's size whatever its sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from syncapp.flows.payments.sources import (
    currency_rules_load,
    expected_xero_currency,
    xero_credit_notes_by_ids,
    xero_invoices_by_ids,
)
from syncapp.flows.payments.types import (
    DIRECTION_FROM_HARVEST,
    DIRECTION_FROM_XERO,
    HARVEST_MARKER,
    HARVEST_MARKER_RE,
    NOTE_TAG,
    XeroInvoiceView,
)
from syncapp.models import SyncLink

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
NOUN = {INVOICE: "invoice", CREDIT_NOTE: "credit note"}


@dataclass
class ReverseItem:
    harvest_payment_id: int
    harvest_invoice_id: int
    harvest_number: str
    xero_invoice_id: str  # the Xero document's id: an InvoiceID, or a CreditNoteID for a refund
    amount: Decimal
    paid_on: str
    currency: str
    action: str = "create"  # create, adopt, hold, delete
    reason: str = ""
    xero_payment_id: str = ""
    account_code: str = ""
    document: str = INVOICE

    @property
    def refund(self) -> bool:
        return self.document == CREDIT_NOTE

    @property
    def label(self) -> str:
        what = "refund" if self.refund else "payment"
        return f"{self.harvest_number}: Harvest {what} {self.harvest_payment_id}"

    def element(self) -> dict:
        target = (
            {"CreditNote": {"CreditNoteID": self.xero_invoice_id}}
            if self.refund
            else {"Invoice": {"InvoiceID": self.xero_invoice_id}}
        )
        return {
            **target,
            "Account": {"Code": self.account_code},
            "Amount": self.amount,
            "Date": self.paid_on,
            "Reference": f"{HARVEST_MARKER}{self.harvest_payment_id}",
        }

    def snapshot(self) -> dict:
        # A refund's document goes under its own key: `xero_invoice_id` is how the Xero ->
        # Harvest pass finds an invoice's payment rows, and a credit note is not one.
        document = "xero_credit_note_id" if self.refund else "xero_invoice_id"
        return {
            "direction": DIRECTION_FROM_HARVEST,
            "harvest_invoice_id": self.harvest_invoice_id,
            "harvest_invoice_number": self.harvest_number,
            document: self.xero_invoice_id,
            "amount": str(self.amount),
            "paid_on": self.paid_on,
            "currency": self.currency,
            "source": "harvest_refund" if self.refund else "harvest_payment",
        }


def invoice_items(
    *, invoice, payments: list, document: str, xero_id: str, ours: list, known: dict
) -> list[ReverseItem]:
    """Items for one Harvest invoice: its payments not yet in Xero, and deletions of those
    hxsync sent that Harvest no longer has."""
    items = []
    for payment in payments:
        link = known.get(str(payment.id))
        if NOTE_TAG in (payment.notes or ""):
            continue  # recorded by hxsync from Xero
        if link is not None and (
            link.snapshot.get("direction") == DIRECTION_FROM_XERO
            or link.state in (SyncLink.State.SYNCED, SyncLink.State.VOIDED)
        ):
            continue
        if not payment.amount:
            continue
        paid_on = payment.paid_date or (payment.paid_at.date() if payment.paid_at else None)
        items.append(
            ReverseItem(
                harvest_payment_id=payment.id,
                harvest_invoice_id=invoice.id,
                harvest_number=invoice.number,
                xero_invoice_id=xero_id,
                amount=abs(payment.amount),
                paid_on=(paid_on or timezone.now().date()).isoformat(),
                currency=invoice.currency,
                document=document,
            )
        )
    present = {str(p.id) for p in payments}
    for link in ours:
        if link.state == SyncLink.State.SYNCED and link.harvest_id not in present and link.xero_id:
            refund = "xero_credit_note_id" in link.snapshot
            items.append(
                ReverseItem(
                    harvest_payment_id=int(link.harvest_id),
                    harvest_invoice_id=invoice.id,
                    harvest_number=invoice.number,
                    xero_invoice_id=str(
                        link.snapshot.get("xero_credit_note_id" if refund else "xero_invoice_id")
                        or xero_id
                    ),
                    amount=Decimal(str(link.snapshot.get("amount") or "0")),
                    paid_on=str(link.snapshot.get("paid_on") or ""),
                    currency=invoice.currency,
                    action="delete",
                    xero_payment_id=link.xero_id,
                    reason="The payment was deleted in Harvest.",
                    document=CREDIT_NOTE if refund else INVOICE,
                )
            )
    return items


def items_check(ctx, *, items: list[ReverseItem]) -> None:
    """Find earlier writes in Xero (by Reference) and hold what Xero would refuse."""
    creates = [i for i in items if i.action == "create"]
    if not creates:
        return
    views = {
        (INVOICE, v.invoice_id.lower()): v
        for v in xero_invoices_by_ids(
            xero=ctx.xero, invoice_ids={i.xero_invoice_id for i in creates if not i.refund}
        )
    }
    views.update(
        {
            (CREDIT_NOTE, v.invoice_id.lower()): v
            for v in xero_credit_notes_by_ids(
                xero=ctx.xero, credit_note_ids={i.xero_invoice_id for i in creates if i.refund}
            )
        }
    )
    rules = currency_rules_load(integration=ctx.integration)
    left: dict[tuple[str, str], Decimal] = {}
    for item in creates:
        key = (item.document, item.xero_invoice_id.lower())
        view = views.get(key)
        if view is None:
            item.action, item.reason = "hold", f"The Xero {NOUN[item.document]} could not be read."
            continue
        found = _earlier_write(ctx, item=item, view=view)
        if found:
            item.action, item.xero_payment_id = "adopt", found
            continue
        rule = rules.get(item.currency.upper())
        item.account_code = rule.clearing_account_code if rule else ""
        expected = expected_xero_currency(rules=rules, harvest_currency=item.currency)
        available = left.setdefault(key, view.amount_due or Decimal("0"))
        reason = _hold_reason(item=item, view=view, expected=expected, available=available)
        if reason:
            item.action, item.reason = "hold", reason
        else:
            left[key] = available - item.amount


def _earlier_write(ctx, *, item: ReverseItem, view: XeroInvoiceView) -> str:
    """The PaymentID of a payment an earlier run wrote for this item, or ''."""
    for settlement in view.settlements:
        match = HARVEST_MARKER_RE.search(settlement.reference)
        if match and int(match.group(1)) == item.harvest_payment_id:
            return settlement.key
    if view.complete:
        return ""
    # The answer left the document's payments out: ask for the Reference itself.
    reference = f"{HARVEST_MARKER}{item.harvest_payment_id}"
    for payment in ctx.xero.list_payments(where=f'Reference=="{reference}"'):
        if payment.status != "DELETED" and payment.reference.strip() == reference:
            return payment.payment_id.lower()
    return ""


def _hold_reason(
    *, item: ReverseItem, view: XeroInvoiceView, expected: str, available: Decimal
) -> str:
    noun = NOUN[item.document]
    if not item.account_code:
        what = "refunds" if item.refund else "payments"
        return (
            f"No clearing account for {item.currency}: set one in Mappings › Currencies to "
            f"record Harvest {what} in Xero."
        )
    if view.currency.upper() != expected:
        return f"Currency check failed: Xero {view.currency} vs Harvest {item.currency}."
    if item.refund and (view.status == "PAID" or item.amount > available):
        # Refunded in Xero already (by hand, say): sending it too would count it twice.
        return (
            f"Xero has only {available} {view.currency} of credit left on credit note "
            f"{view.number}; was the refund already recorded in Xero?"
        )
    if view.status != "AUTHORISED":
        takes = "refunds" if item.refund else "payments"
        return f"The Xero {noun} is {view.status}; Xero takes {takes} on approved {noun}s only."
    if item.amount > available:
        return f"Xero has only {available} {view.currency} due on invoice {view.number}."
    return ""

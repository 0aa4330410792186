"""What Harvest must hold for one Xero invoice's payments: pure, no I/O.

A Xero sales invoice's `AmountDue` falls through three kinds of settlement, each listed on the
invoice (https://developer.xero.com/documentation/api/accounting/invoices, "Payments",
"CreditNotes", "Overpayments", "Prepayments" with `AppliedAmount`). Harvest knows only invoice
payments (https://help.getharvest.com/api-v2/invoices-api/invoices/invoice-payments/), so every
settlement becomes one Harvest payment whose note names it, and whatever Harvest cannot take (more
than is due, a closed invoice, another currency) is held with the reason for finance.

Each settlement has a ledger key (`SyncLink.xero_id`, unique per integration): the PaymentID for
a payment, `cn:`/`op:`/`pp:` + the allocated document's id + the invoice's id prefix for an
allocation. The same key is written into the Harvest payment's note, which is how a write whose
outcome was lost is found again before anything is created twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from syncapp.flows.payments.settlements import (  # noqa: E402,F401 - re-exported
    settlement_key,
    settlements_of,
    xero_invoice_view,
)
from syncapp.flows.payments.types import (  # noqa: F401 - re-exported
    ALLOCATIONS,
    CENT,
    DIRECTION_FROM_HARVEST,
    DIRECTION_FROM_XERO,
    HARVEST_MARKER,
    HARVEST_MARKER_RE,
    NOTE_TAG,
    SOURCE_CREDIT_NOTE,
    SOURCE_OVERPAYMENT,
    SOURCE_PAYMENT,
    SOURCE_PREPAYMENT,
    ZERO,
    HarvestInvoiceView,
    HarvestPaymentView,
    InvoicePlan,
    LinkView,
    PaymentOp,
    Settlement,
    XeroInvoiceView,
)


def key_in_note(*, key: str, notes: str) -> bool:
    return f"{NOTE_TAG}{key}" in (notes or "") or (
        # A payment's id alone also counts: a note someone shortened by hand still names it.
        ":" not in key and key in (notes or "").lower()
    )


def harvest_payment_find(
    *, key: str, payments: Iterable[HarvestPaymentView] | None
) -> HarvestPaymentView | None:
    for payment in payments or ():
        if key_in_note(key=key, notes=payment.notes):
            return payment
    return None


def invoice_in_sync(*, xero: XeroInvoiceView, links: Sequence[LinkView]) -> bool:
    """True when the ledger already mirrors every settlement and nothing else (no I/O needed)."""
    by_key = {link.xero_key: link for link in links if link.direction == DIRECTION_FROM_XERO}
    wanted = {s.key: s for s in xero.settlements if not s.from_harvest}
    harvest_side = {link.xero_key for link in links if link.direction == DIRECTION_FROM_HARVEST}
    for key, settlement in wanted.items():
        if key in harvest_side:
            continue
        link = by_key.get(key)
        if link is None or link.state != "synced" or link.amount != settlement.amount:
            return False
    if xero.complete:
        for key, link in by_key.items():
            if key not in wanted and link.state in ("synced", "sending", "held", "failed"):
                return False
    return True


def payment_plan(
    *,
    xero: XeroInvoiceView,
    harvest: HarvestInvoiceView,
    links: Sequence[LinkView],
    harvest_payments: Sequence[HarvestPaymentView] | None,
    expected_currency: str,
) -> InvoicePlan:
    """The operations that make Harvest's payments on `harvest` mirror `xero`'s settlements.

    `expected_currency` is the Xero currency the Harvest invoice's currency maps to. Removals
    come first (they free what is due), then settlements oldest first, each checked against what
    Harvest will still have due at that point.
    """
    plan = InvoicePlan(xero_invoice_id=xero.invoice_id, number=xero.number or harvest.number)
    ours = [link for link in links if link.direction == DIRECTION_FROM_XERO]
    theirs = {link.xero_key for link in links if link.direction == DIRECTION_FROM_HARVEST}
    by_key = {link.xero_key: link for link in ours}
    wanted = {s.key: s for s in xero.settlements}
    due = harvest.due_amount
    present = {p.payment_id for p in harvest_payments} if harvest_payments is not None else None

    if xero.complete:
        for link in ours:
            if link.xero_key in wanted:
                continue
            if link.state in ("synced", "sending") and link.harvest_payment_id:
                still_there = present is None or int(link.harvest_payment_id) in present
                plan.ops.append(
                    PaymentOp(
                        action="remove",
                        key=link.xero_key,
                        label=f"Removed in Xero: {link.xero_key}",
                        harvest_invoice_id=harvest.invoice_id,
                        harvest_payment_id=link.harvest_payment_id,
                        reason="The payment was deleted or reversed in Xero.",
                    )
                )
                if still_there and link.amount is not None:
                    due += link.amount
            elif link.state in ("sending", "held", "failed"):
                found = harvest_payment_find(key=link.xero_key, payments=harvest_payments)
                if found is not None:
                    plan.ops.append(
                        PaymentOp(
                            action="remove",
                            key=link.xero_key,
                            label=f"Removed in Xero: {link.xero_key}",
                            harvest_invoice_id=harvest.invoice_id,
                            harvest_payment_id=str(found.payment_id),
                            reason="The payment was deleted or reversed in Xero.",
                        )
                    )
                    due += found.amount
                else:
                    plan.ops.append(
                        PaymentOp(action="drop", key=link.xero_key, label=link.xero_key)
                    )

    currency_ok = (xero.currency or "").upper() == (expected_currency or "").upper()
    if not currency_ok:
        plan.flags.append(
            f"Currencies differ: the Xero invoice is in {xero.currency or '?'}, the Harvest "
            f"invoice in {harvest.currency} (expected {expected_currency} in Xero). No payment "
            "is copied until they agree."
        )

    for settlement in xero.settlements:
        link = by_key.get(settlement.key)
        if settlement.key in theirs or settlement.from_harvest:
            plan.ops.append(
                PaymentOp(
                    action="skip",
                    key=settlement.key,
                    label=settlement.label,
                    settlement=settlement,
                    reason="Recorded in Xero by hxsync from a Harvest payment.",
                )
            )
            continue
        if link is not None and link.state == "synced" and link.harvest_payment_id:
            if link.amount == settlement.amount:
                plan.ops.append(
                    PaymentOp(
                        action="skip",
                        key=settlement.key,
                        label=settlement.label,
                        settlement=settlement,
                        harvest_payment_id=link.harvest_payment_id,
                    )
                )
                continue
            # An allocation whose amount changed: the old Harvest payment goes, a new one comes.
            old = link.amount or ZERO
            if settlement.amount > due + old:
                plan.ops.append(_hold(settlement, harvest, due + old))
                continue
            plan.ops.append(
                PaymentOp(
                    action="replace",
                    key=settlement.key,
                    label=settlement.label,
                    harvest_invoice_id=harvest.invoice_id,
                    settlement=settlement,
                    harvest_payment_id=link.harvest_payment_id,
                    reason=f"Amount changed in Xero from {old} to {settlement.amount}.",
                )
            )
            due = due + old - settlement.amount
            continue
        found = harvest_payment_find(key=settlement.key, payments=harvest_payments)
        if found is not None and found.amount != settlement.amount:
            # A Harvest payment for an earlier amount of this allocation: swap it.
            plan.ops.append(
                PaymentOp(
                    action="replace",
                    key=settlement.key,
                    label=settlement.label,
                    harvest_invoice_id=harvest.invoice_id,
                    settlement=settlement,
                    harvest_payment_id=str(found.payment_id),
                    reason=f"Amount changed in Xero from {found.amount} to {settlement.amount}.",
                )
            )
            due = due + found.amount - settlement.amount
            continue
        if found is not None:
            # Written before, outcome lost (or the ledger was restored): adopt, never re-create.
            plan.ops.append(
                PaymentOp(
                    action="adopt",
                    key=settlement.key,
                    label=settlement.label,
                    harvest_invoice_id=harvest.invoice_id,
                    settlement=settlement,
                    harvest_payment_id=str(found.payment_id),
                )
            )
            continue
        if link is not None and link.state == "sending" and harvest_payments is None:
            plan.ops.append(
                PaymentOp(
                    action="hold",
                    key=settlement.key,
                    label=settlement.label,
                    settlement=settlement,
                    reason="An earlier write's outcome is unknown; Harvest's payments must be "
                    "read before trying again.",
                )
            )
            continue
        reason = _refusal(
            settlement=settlement,
            harvest=harvest,
            due=due,
            currency_ok=currency_ok,
            xero=xero,
            expected_currency=expected_currency,
        )
        if reason:
            plan.ops.append(
                PaymentOp(
                    action="hold",
                    key=settlement.key,
                    label=settlement.label,
                    harvest_invoice_id=harvest.invoice_id,
                    settlement=settlement,
                    reason=reason,
                )
            )
            continue
        plan.ops.append(
            PaymentOp(
                action="create",
                key=settlement.key,
                label=settlement.label,
                harvest_invoice_id=harvest.invoice_id,
                settlement=settlement,
            )
        )
        due -= settlement.amount

    plan.harvest_due_after = due
    held = any(op.action == "hold" for op in plan.ops)
    # "Paid" is read from AmountDue, never from Status: a PAID status with money still due (or
    # an AUTHORISED one with nothing due) is reported, not trusted.
    if xero.amount_due is not None and currency_ok and not held and xero.status != "VOIDED":
        if xero.amount_due == ZERO and due > ZERO:
            plan.flags.append(
                f"Xero shows invoice {plan.number} fully paid (nothing due) but Harvest would "
                f"still have {due} {harvest.currency} due: the invoices' totals differ "
                f"(Harvest {harvest.amount}, Xero {xero.total})."
            )
        elif xero.amount_due > ZERO and due == ZERO and harvest.amount > ZERO:
            plan.flags.append(
                f"Harvest shows invoice {harvest.number} paid but Xero still has "
                f"{xero.amount_due} {xero.currency} due (a payment taken in Harvest?)."
            )
    return plan


def _hold(settlement: Settlement, harvest: HarvestInvoiceView, due: Decimal) -> PaymentOp:
    return PaymentOp(
        action="hold",
        key=settlement.key,
        label=settlement.label,
        harvest_invoice_id=harvest.invoice_id,
        settlement=settlement,
        reason=_overpaid_reason(settlement, harvest, due),
    )


def _overpaid_reason(settlement: Settlement, harvest: HarvestInvoiceView, due: Decimal) -> str:
    return (
        f"Harvest cannot record {settlement.amount} {harvest.currency} on invoice "
        f"{harvest.number}: only {max(due, ZERO)} is due there (Harvest refuses payments above "
        "the amount due). Check the invoice totals, or payments recorded directly in Harvest."
    )


def _refusal(
    *,
    settlement: Settlement,
    harvest: HarvestInvoiceView,
    due: Decimal,
    currency_ok: bool,
    xero: XeroInvoiceView,
    expected_currency: str,
) -> str:
    """Why Harvest cannot take this settlement as it stands ("" when it can)."""
    if not currency_ok:
        return (
            f"Currency check failed: Xero {xero.currency or '?'} vs Harvest {harvest.currency} "
            f"(expected {expected_currency})."
        )
    if harvest.state == "closed":
        return (
            f"Harvest invoice {harvest.number} is closed (written off); re-open it in Harvest "
            "to record this payment."
        )
    if settlement.amount <= ZERO:
        return "Harvest records only positive payments."
    if settlement.amount > due:
        return _overpaid_reason(settlement, harvest, due)
    return ""

"""Carry out the payment plans of a batch of invoices in Harvest, and keep the ledger.

Order per batch: holds and adoptions are written to the ledger; every Harvest payment about to be
created is prepared (SENDING, committed); then the Harvest writes; then one settle for the batch.
Harvest payments are always recorded with `send_thank_you` false (HarvestClient enforces it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from syncapp.flows.base import FlowContext
from syncapp.flows.payments.ledger import (
    PaymentIntent,
    PaymentOutcome,
    payment_links_prepare,
    payment_links_settle,
)
from syncapp.flows.payments.plan import DIRECTION_FROM_XERO, InvoicePlan, PaymentOp
from syncapp.flows.payments.types import HarvestInvoiceView, XeroInvoiceView
from syncapp.models import SyncEvent, SyncKind, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden, NotFound, RateLimited

logger = logging.getLogger(__name__)

KIND = SyncKind.PAYMENT
ACTION_OF_OP = {
    "create": SyncEvent.Action.CREATE,
    "adopt": SyncEvent.Action.LINK,
    "replace": SyncEvent.Action.UPDATE,
    "remove": SyncEvent.Action.VOID,
    "drop": SyncEvent.Action.VOID,
    "hold": SyncEvent.Action.HOLD,
    "skip": SyncEvent.Action.SKIP,
}


@dataclass
class PlannedInvoice:
    plan: InvoicePlan
    xero: XeroInvoiceView
    harvest: HarvestInvoiceView


def _snapshot(item: PlannedInvoice, op: PaymentOp) -> dict:
    settlement = op.settlement
    data = {
        "direction": DIRECTION_FROM_XERO,
        "xero_invoice_id": item.xero.invoice_id,
        "xero_invoice_number": item.xero.number,
        "harvest_invoice_id": item.harvest.invoice_id,
        "harvest_invoice_number": item.harvest.number,
        "currency": item.harvest.currency,
    }
    if settlement is not None:
        data.update(
            amount=str(settlement.amount),
            paid_on=settlement.paid_on.isoformat() if settlement.paid_on else None,
            source=settlement.source,
            reference=settlement.reference,
        )
    return data


def _label(item: PlannedInvoice, op: PaymentOp) -> str:
    return f"{item.harvest.number or item.xero.number}: {op.label}"


def _message(op: PaymentOp) -> str:
    if op.settlement is None:
        return op.reason
    paid = f" paid {op.settlement.paid_on.isoformat()}" if op.settlement.paid_on else ""
    base = f"{op.settlement.amount}{paid}"
    return f"{base}. {op.reason}" if op.reason else base


def plans_record_preview(*, ctx: FlowContext, items: list[PlannedInvoice]) -> None:
    """Dry run: what would happen, counted under the same keys; nothing written anywhere."""
    for item in items:
        for op in item.plan.ops:
            ctx.recorder.record(
                action=ACTION_OF_OP[op.action],
                kind=KIND,
                harvest_id=op.harvest_payment_id or "",
                xero_id=op.key,
                label=_label(item, op),
                message=f"Would {op.action}: {_message(op)}",
            )
        _record_flags(ctx=ctx, item=item)


def _record_flags(*, ctx: FlowContext, item: PlannedInvoice) -> None:
    for flag in item.plan.flags:
        ctx.recorder.summary.extra["flagged"] = ctx.recorder.summary.extra.get("flagged", 0) + 1
        ctx.recorder.record(
            action=SyncEvent.Action.HOLD,
            kind=KIND,
            harvest_id=str(item.harvest.invoice_id),
            xero_id=item.xero.invoice_id,
            label=f"Invoice {item.harvest.number or item.xero.number}",
            message=flag,
        )


def plans_apply(*, ctx: FlowContext, items: list[PlannedInvoice]) -> None:
    integration = ctx.integration
    pairs = [(item, op) for item in items for op in item.plan.ops]
    ledger_ops = [(i, o) for i, o in pairs if o.action in ("hold", "adopt", "create", "replace")]
    links = payment_links_prepare(
        integration=integration,
        intents=[
            PaymentIntent(xero_key=op.key, label=_label(item, op), snapshot=_snapshot(item, op))
            for item, op in ledger_ops
        ],
        state=SyncLink.State.SENDING,
    )
    dropped = [o.key for _, o in pairs if o.action in ("remove", "drop")]
    if dropped:
        links.update(
            {
                link.xero_id: link
                for link in SyncLink.objects.filter(
                    integration=integration, kind=KIND, xero_id__in=dropped
                )
            }
        )
    outcomes: list[PaymentOutcome] = []
    for item, op in pairs:
        link = links.get(op.key)
        outcome = _op_perform(ctx=ctx, item=item, op=op, link=link)
        if outcome is not None:
            outcomes.append(outcome)
    payment_links_settle(outcomes=outcomes)
    for item in items:
        _record_flags(ctx=ctx, item=item)


def _op_perform(
    *, ctx: FlowContext, item: PlannedInvoice, op: PaymentOp, link: SyncLink | None
) -> PaymentOutcome | None:
    action = ACTION_OF_OP[op.action]
    record = dict(kind=KIND, xero_id=op.key, label=_label(item, op), link=link)
    if op.action == "skip":
        ctx.recorder.record(action=action, message=_message(op), **record)
        return None
    if op.action == "hold":
        ctx.recorder.record(action=action, message=op.reason, **record)
        return PaymentOutcome(link=link, state=SyncLink.State.HELD, error=op.reason)
    if op.action == "adopt":
        ctx.recorder.record(
            action=action,
            harvest_id=op.harvest_payment_id,
            message=f"Found in Harvest (written by an earlier run): {_message(op)}",
            **record,
        )
        return PaymentOutcome(
            link=link, state=SyncLink.State.SYNCED, harvest_id=op.harvest_payment_id
        )
    if op.action in ("remove", "drop", "replace") and op.harvest_payment_id:
        error = _harvest_delete(ctx=ctx, op=op)
        if error:
            ctx.recorder.record(
                action=SyncEvent.Action.FAIL,
                message="Could not remove the Harvest payment.",
                api_error=error,
                **record,
            )
            return (
                None if link is None else PaymentOutcome(link=link, state=link.state, error=error)
            )
    if op.action in ("remove", "drop"):
        ctx.recorder.record(
            action=action,
            harvest_id=op.harvest_payment_id or "",
            message=op.reason or "No longer in Xero; nothing was written to Harvest.",
            **record,
        )
        if link is None:
            return None
        return PaymentOutcome(link=link, state=SyncLink.State.VOIDED, error="")
    return _harvest_create(ctx=ctx, item=item, op=op, link=link, action=action, record=record)


def _harvest_delete(*, ctx: FlowContext, op: PaymentOp) -> str:
    try:
        ctx.harvest.delete_invoice_payment(
            invoice_id=op.harvest_invoice_id, payment_id=int(op.harvest_payment_id)
        )
    except NotFound:
        return ""  # already gone: the goal is reached
    except (AuthExpired, Forbidden, RateLimited):
        raise
    except ApiError as error:
        return error.api_message or str(error)
    return ""


def _harvest_create(
    *, ctx: FlowContext, item: PlannedInvoice, op: PaymentOp, link: SyncLink, action, record
) -> PaymentOutcome:
    settlement = op.settlement
    try:
        payment = ctx.harvest.create_invoice_payment(
            invoice_id=item.harvest.invoice_id,
            amount=settlement.amount,
            paid_date=settlement.paid_on,
            notes=settlement.note(),
        )
    except (AuthExpired, Forbidden, RateLimited):
        raise
    except ApiError as error:
        text = error.api_message or str(error)
        if error.maybe_applied:
            # The payment may exist: the row stays SENDING and the next run looks for its note.
            ctx.recorder.record(
                action=SyncEvent.Action.FAIL,
                message="No answer from Harvest; the next run checks whether it was recorded.",
                api_error=text,
                **record,
            )
            return PaymentOutcome(link=link, state=SyncLink.State.SENDING, error=text)
        ctx.recorder.record(
            action=SyncEvent.Action.FAIL,
            message=f"Harvest refused the payment: {_message(op)}",
            api_error=text,
            **record,
        )
        return PaymentOutcome(link=link, state=SyncLink.State.FAILED, error=text)
    ctx.recorder.record(
        action=action,
        harvest_id=str(payment.id),
        message=_message(op),
        **record,
    )
    return PaymentOutcome(link=link, state=SyncLink.State.SYNCED, harvest_id=str(payment.id))

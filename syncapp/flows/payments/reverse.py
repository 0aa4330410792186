"""The option the other way: payments taken in Harvest (by card, say) become Xero payments.

Each Harvest payment on an invoice hxsync sent to Xero becomes one Xero payment into the clearing
account of the invoice's currency (Mappings › Currencies), with `Reference` "Harvest payment <id>"
so the Xero -> Harvest pass never mirrors it back. Xero writes carry an Idempotency-Key derived
from the ledger; before writing a row left SENDING the Xero invoice's payments are searched for
that Reference, so a lost answer never becomes a second payment. A Harvest payment deleted later
is deleted in Xero. Payments hxsync itself recorded in Harvest (their note carries the hxsync tag)
are never sent.

A payment on a negative Harvest invoice is money paid back to the client: it becomes a refund of
the Xero credit note the invoice was sent as (reverse_items.py), under the same Reference, key,
repair and deletion. The Xero -> Harvest pass reads sales invoices and their payments only, so a
refund (which pays no invoice) is never mirrored back; a refund finance made in Xero by hand is
not copied to Harvest either, and one recorded on both sides is held, never counted twice.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from syncapp.flows.base import FlowContext
from syncapp.flows.payments.ledger import reverse_links_for_invoices, reverse_links_load
from syncapp.flows.payments.reverse_items import (
    CREDIT_NOTE,
    INVOICE,
    ReverseItem,
    invoice_items,
    items_check,
)
from syncapp.flows.payments.types import DIRECTION_FROM_HARVEST
from syncapp.models import SyncEvent, SyncKind, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden, RateLimited
from syncapp.providers.xero.idempotency import idempotency_key_derive, idempotency_key_for_batch
from syncapp.services.cursors import cursor_get, cursors_set
from syncapp.services.ledger import payload_hash

CURSOR_HARVEST = "harvest.invoices.payments"
# Invoice links made (by the invoice flow) since the last reverse run: their Harvest payments
# predate the Harvest cursor, so they are read explicitly once the invoice is in Xero.
CURSOR_NEW_LINKS = "harvest.invoices.payments.links"
# Up to this many newly linked invoices are fetched one by one; more, and one full paged read
# (2,000 a page) is cheaper.
NEW_LINKS_FETCH_ONE_BY_ONE = 20
BATCH = 50
KIND = SyncKind.PAYMENT
RETRY_UP_TO = 5
# The ledger kinds the invoice flow writes for each Xero document.
DOCUMENT_KINDS = {INVOICE: SyncKind.INVOICE, CREDIT_NOTE: SyncKind.CREDIT_NOTE}


def reverse_run(ctx: FlowContext) -> None:
    integration = ctx.integration
    since = cursor_get(integration=integration, stream=CURSOR_HARVEST)
    invoices = {inv.id: inv for inv in ctx.harvest.list_invoices(updated_since=since)}
    newest = max((inv.updated_at for inv in invoices.values() if inv.updated_at), default=None)
    new_link_ids, newest_link = _newly_linked_invoice_ids(
        integration, since=cursor_get(integration=integration, stream=CURSOR_NEW_LINKS)
    )
    missing_new = new_link_ids - set(invoices)
    if len(missing_new) > NEW_LINKS_FETCH_ONE_BY_ONE:
        invoices.update(
            {inv.id: inv for inv in ctx.harvest.list_invoices() if inv.id in missing_new}
        )
    for invoice_id in (_unfinished_invoice_ids(integration) | missing_new) - set(invoices):
        invoices[invoice_id] = ctx.harvest.get_invoice(invoice_id=invoice_id)
    linked = _documents_linked(integration, invoices=invoices.values())
    ours = reverse_links_for_invoices(integration=integration, harvest_invoice_ids=invoices)
    # Something paid (or, on a negative invoice, paid back) or something sent before.
    wanted = [
        inv
        for inv in invoices.values()
        if inv.id in linked and (inv.amount != inv.due_amount or ours.get(inv.id))
    ]
    listed = {inv.id: list(ctx.harvest.list_invoice_payments(invoice_id=inv.id)) for inv in wanted}
    known = reverse_links_load(
        integration=integration,
        harvest_payment_ids=[p.id for payments in listed.values() for p in payments],
    )
    items: list[ReverseItem] = []
    for invoice in wanted:
        document, xero_id = linked[invoice.id]
        items.extend(
            invoice_items(
                invoice=invoice,
                payments=listed[invoice.id],
                document=document,
                xero_id=xero_id,
                ours=ours.get(invoice.id, []),
                known=known,
            )
        )
    items_check(ctx, items=items)
    ctx.recorder.add_total(len(items))
    for start in range(0, len(items), BATCH):
        _items_apply(ctx, items=items[start : start + BATCH])
    if not ctx.dry_run:
        cursors_set(
            integration=integration,
            values={CURSOR_HARVEST: newest, CURSOR_NEW_LINKS: newest_link},
        )


def _documents_linked(integration, *, invoices) -> dict[int, tuple[str, str]]:
    """Harvest invoice id -> (document, Xero id) of what the invoice flow sent it as: an
    invoice, or a credit note for a negative one (invoices.mapping.invoice_is_credit)."""
    invoices = list(invoices)
    rows = SyncLink.objects.filter(
        integration=integration,
        kind__in=DOCUMENT_KINDS,
        harvest_id__in=[str(inv.id) for inv in invoices],
        xero_id__isnull=False,
    ).values_list("harvest_id", "kind", "xero_id")
    found = {(harvest_id, kind): xero_id for harvest_id, kind, xero_id in rows}
    linked = {}
    for invoice in invoices:
        document = CREDIT_NOTE if invoice.amount < 0 else INVOICE
        xero_id = found.get((str(invoice.id), DOCUMENT_KINDS[document]))
        if xero_id:
            linked[invoice.id] = (document, xero_id)
    return linked


def _newly_linked_invoice_ids(integration, *, since):
    """Harvest ids of invoices synced to Xero since `since`, and the newest sync time seen."""
    rows = SyncLink.objects.filter(
        integration=integration,
        kind__in=DOCUMENT_KINDS,
        xero_id__isnull=False,
        synced_at__isnull=False,
    )
    if since is not None:
        rows = rows.filter(synced_at__gt=since)
    pairs = list(rows.values_list("harvest_id", "synced_at"))
    newest = max((synced for _, synced in pairs), default=None)
    return {int(harvest_id) for harvest_id, _ in pairs}, newest


def _unfinished_invoice_ids(integration) -> set[int]:
    rows = SyncLink.objects.filter(
        integration=integration,
        kind=KIND,
        snapshot__direction=DIRECTION_FROM_HARVEST,
        state__in=(SyncLink.State.SENDING, SyncLink.State.FAILED, SyncLink.State.HELD),
        attempts__lte=RETRY_UP_TO,
    )
    return {int(s["harvest_invoice_id"]) for s in rows.values_list("snapshot", flat=True)}


def _links_prepare(
    ctx: FlowContext, *, items: list[ReverseItem], state: str
) -> dict[str, SyncLink]:
    integration = ctx.integration
    ids = [str(i.harvest_payment_id) for i in items]
    existing = reverse_links_load(integration=integration, harvest_payment_ids=ids)
    rows = []
    for item in items:
        previous = existing.get(str(item.harvest_payment_id))
        rows.append(
            SyncLink(
                integration=integration,
                kind=KIND,
                harvest_id=str(item.harvest_payment_id),
                xero_id=previous.xero_id if previous else None,
                label=item.label,
                state=state,
                snapshot=item.snapshot(),
                idempotency_key=idempotency_key_derive(
                    integration_id=integration.pk,
                    kind=KIND,
                    harvest_id=item.harvest_payment_id,
                    payload_hash=payload_hash(item.element()),
                ),
                attempts=(previous.attempts if previous else 0) + 1,
            )
        )
    with transaction.atomic():
        SyncLink.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "kind", "harvest_id"],
            update_fields=[
                "label",
                "state",
                "snapshot",
                "idempotency_key",
                "attempts",
                "updated_at",
            ],
        )
    return reverse_links_load(integration=integration, harvest_payment_ids=ids)


def _items_apply(ctx: FlowContext, *, items: list[ReverseItem]) -> None:
    if ctx.dry_run:
        for item in items:
            _record(
                ctx,
                item,
                _ACTIONS[item.action],
                f"Would {item.action}: {item.reason or item.amount}",
            )
        return
    links = _links_prepare(ctx, items=items, state=SyncLink.State.SENDING)
    now = timezone.now()
    creates = [i for i in items if i.action == "create"]
    results = {}
    if creates:
        keys = [links[str(i.harvest_payment_id)].idempotency_key for i in creates]
        batch = ctx.xero.create_payments(
            payments=[i.element() for i in creates],
            idempotency_key=idempotency_key_for_batch(
                operation="payments-create", record_keys=keys
            ),
        )
        results = {creates[r.index].harvest_payment_id: r for r in batch.results}
    changed = []
    for item in items:
        link = links[str(item.harvest_payment_id)]
        state, error, message = _item_outcome(
            ctx, item=item, link=link, result=results.get(item.harvest_payment_id)
        )
        link.state, link.last_error, link.updated_at = state, error, now
        if state == SyncLink.State.SYNCED:
            link.synced_at = now
        changed.append(link)
        action = (
            _ACTIONS[item.action]
            if not error or state == SyncLink.State.HELD
            else SyncEvent.Action.FAIL
        )
        _record(
            ctx,
            item,
            action,
            message,
            api_error=error if action == SyncEvent.Action.FAIL else "",
            link=link,
        )
    SyncLink.objects.bulk_update(
        changed, ["state", "last_error", "xero_id", "synced_at", "updated_at"]
    )


def _item_outcome(ctx: FlowContext, *, item: ReverseItem, link: SyncLink, result):
    if item.action == "hold":
        return SyncLink.State.HELD, item.reason, item.reason
    if item.action == "adopt":
        link.xero_id = item.xero_payment_id
        return SyncLink.State.SYNCED, "", "Found in Xero (written by an earlier run)."
    if item.action == "delete":
        try:
            ctx.xero.delete_payment(
                payment_id=item.xero_payment_id, idempotency_key=f"{link.idempotency_key}:delete"
            )
        except (AuthExpired, Forbidden, RateLimited):
            raise
        except ApiError as error:
            return (
                SyncLink.State.FAILED,
                error.api_message or str(error),
                "Xero refused the deletion.",
            )
        return SyncLink.State.VOIDED, "", item.reason
    if result is None or not result.ok:
        text = result.error_text if result is not None else "no answer for this payment"
        return SyncLink.State.FAILED, text, "Xero refused the payment."
    link.xero_id = result.xero_id
    way = "refunded out of" if item.refund else "into"
    return (
        SyncLink.State.SYNCED,
        "",
        f"{item.amount} {item.currency} {way} account {item.account_code}",
    )


_ACTIONS = {
    "create": SyncEvent.Action.CREATE,
    "adopt": SyncEvent.Action.LINK,
    "hold": SyncEvent.Action.HOLD,
    "delete": SyncEvent.Action.VOID,
}


def _record(
    ctx, item: ReverseItem, action, message: str, *, api_error: str = "", link=None
) -> None:
    ctx.recorder.record(
        action=action,
        kind=KIND,
        harvest_id=str(item.harvest_payment_id),
        xero_id=item.xero_payment_id,
        label=item.label,
        message=message,
        api_error=api_error,
        link=link,
    )

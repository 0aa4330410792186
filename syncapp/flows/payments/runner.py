"""The payments flow: Xero payments -> Harvest invoice payments (and, by option, back).

`payments_run` is the engine's runner (schedule, `manage.py sync payments`, "Sync now"): it
reads what changed in Xero since its cursors, plus anything the ledger left unfinished and any
webhook event still waiting, and mirrors it. `payments_sync_invoices` is the same work for named
Xero invoices (the webhook path, which skips the listings to answer within seconds).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from syncapp.flows.base import FlowContext
from syncapp.flows.payments.apply import PlannedInvoice, plans_apply, plans_record_preview
from syncapp.flows.payments.ledger import link_view, payment_links_for_invoices
from syncapp.flows.payments.plan import invoice_in_sync, payment_plan
from syncapp.flows.payments.schedule import payments_sweep_due
from syncapp.flows.payments.sources import (
    currency_rules_load,
    expected_xero_currency,
    harvest_invoices_load,
    harvest_payments_load,
    harvest_targets_resolve,
    xero_invoices_by_ids,
    xero_invoices_changed,
    xero_payments_changed,
)
from syncapp.flows.payments.types import DIRECTION_FROM_XERO, XeroInvoiceView
from syncapp.models import SyncKind, SyncLink, WebhookEvent
from syncapp.services.cursors import cursors_get, cursors_set

logger = logging.getLogger(__name__)

BATCH = 50
CURSOR_INVOICES = "xero.invoices.payments"
CURSOR_PAYMENTS = "xero.payments"
# Not a watermark but when /Payments was last swept (our clock: it schedules our own reads).
CURSOR_SWEPT = "xero.payments.swept"
# Xero's UpdatedDateUTC and our clock may disagree slightly: read a little behind the cursor
# (the ledger makes a second look harmless).
CURSOR_OVERLAP = timedelta(seconds=5)
RETRY_FAILED_UP_TO = 5
HELD_RECHECK = timedelta(minutes=10)


def payments_run(ctx: FlowContext) -> None:
    """Engine runner: everything changed since the cursors, then the reverse option; or, for a
    webhook run, just the Xero invoices its events name."""
    invoice_ids = ctx.scope.get("xero_invoice_ids")
    if invoice_ids:
        payments_sync_invoices(ctx, xero_invoice_ids=invoice_ids)
        if not ctx.dry_run:
            from syncapp.services.webhook_runs import webhook_events_settle

            webhook_events_settle(event_ids=ctx.scope.get("webhook_event_ids") or [])
        return
    _payments_poll(ctx)
    if ctx.integration.harvest_payments_to_xero:
        from syncapp.flows.payments.reverse import reverse_run

        reverse_run(ctx)


def _payments_poll(ctx: FlowContext) -> None:
    """One Xero call when nothing changed: the sales invoices modified since the cursor, their
    payments inline. A payment, its deletion or a credit allocation changes its invoice (Xero
    moves the invoice's UpdatedDateUTC, as its webhooks send an invoice UPDATE), so /Payments is
    only swept now and then (PAYMENTS_SWEEP_MINUTES) as a safety net."""
    integration = ctx.integration
    cursors = cursors_get(
        integration=integration, streams=(CURSOR_INVOICES, CURSOR_PAYMENTS, CURSOR_SWEPT)
    )
    since_invoices, since_payments = cursors[CURSOR_INVOICES], cursors[CURSOR_PAYMENTS]
    views, newest_invoice = xero_invoices_changed(
        xero=ctx.xero, since=since_invoices - CURSOR_OVERLAP if since_invoices else None
    )
    seen = {v.invoice_id for v in views}
    extra_ids: set[str] = set()
    newest_payment = swept = None
    if payments_sweep_due(last=cursors[CURSOR_SWEPT]):
        swept = timezone.now()
        extra_ids, newest_payment = xero_payments_changed(
            xero=ctx.xero, since=since_payments - CURSOR_OVERLAP if since_payments else None
        )
    extra_ids |= _unfinished_invoice_ids(integration)
    waiting = list(
        WebhookEvent.objects.filter(
            integration=integration,
            status__in=(WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED),
            event_category="INVOICE",
        ).values_list("pk", "resource_id", "event_type")
    )
    # A new invoice has no payments yet: its CREATE is cleared from the inbox, nothing read.
    extra_ids |= {resource for _, resource, kind in waiting if kind != "CREATE"}
    missing = [i for i in extra_ids if i not in seen]
    if missing:
        views.extend(xero_invoices_by_ids(xero=ctx.xero, invoice_ids=missing))
    ctx.recorder.summary.extra["xero_invoices_read"] = len(views)
    ctx.recorder.summary.extra["payments_swept"] = swept is not None
    payments_sync_views(ctx, views=views)
    if not ctx.dry_run:
        cursors_set(
            integration=integration,
            values={
                CURSOR_INVOICES: newest_invoice,
                CURSOR_PAYMENTS: newest_payment,
                CURSOR_SWEPT: swept,
            },
        )
        if waiting:
            WebhookEvent.objects.filter(pk__in=[pk for pk, _, _ in waiting]).update(
                status=WebhookEvent.Status.PROCESSED, processed_at=timezone.now(), error=""
            )


def _unfinished_invoice_ids(integration) -> set[str]:
    """Xero invoices whose payment rows a run left unfinished (repair) or failed (retry), and
    held ones now and then (what held them, a closed Harvest invoice say, may have changed on
    the Harvest side, which no Xero cursor sees)."""
    now = timezone.now()
    rows = SyncLink.objects.filter(
        integration=integration,
        kind=SyncKind.PAYMENT,
        snapshot__direction=DIRECTION_FROM_XERO,
    ).filter(
        Q(
            state__in=(SyncLink.State.SENDING, SyncLink.State.FAILED),
            attempts__lte=RETRY_FAILED_UP_TO,
        )
        | Q(state=SyncLink.State.HELD, updated_at__lt=now - HELD_RECHECK)
    )
    return {str(s.get("xero_invoice_id")) for s in rows.values_list("snapshot", flat=True)} - {
        "None"
    }


def payments_sync_invoices(ctx: FlowContext, *, xero_invoice_ids: Iterable[str]) -> None:
    """Mirror the payments of these Xero invoices (the webhook path)."""
    views = xero_invoices_by_ids(xero=ctx.xero, invoice_ids=xero_invoice_ids)
    payments_sync_views(ctx, views=views)


def payments_sync_views(ctx: FlowContext, *, views: list[XeroInvoiceView]) -> None:
    integration = ctx.integration
    extra = ctx.recorder.summary.extra
    unique = list({v.invoice_id: v for v in views}.values())
    links = payment_links_for_invoices(
        integration=integration, xero_invoice_ids=[v.invoice_id for v in unique]
    )
    link_views = {v.invoice_id: [link_view(x) for x in links.get(v.invoice_id, [])] for v in unique}
    todo = [v for v in unique if not invoice_in_sync(xero=v, links=link_views[v.invoice_id])]
    extra["invoices_in_sync"] = extra.get("invoices_in_sync", 0) + len(unique) - len(todo)
    if not todo:
        return
    targets = harvest_targets_resolve(integration=integration, harvest=ctx.harvest, xero_views=todo)
    extra["unlinked_invoices"] = extra.get("unlinked_invoices", 0) + len(targets.unmatched)
    extra["matched_by_number"] = extra.get("matched_by_number", 0) + len(targets.matched_by_number)
    todo = [v for v in todo if v.invoice_id in targets.by_xero_id]
    rules = currency_rules_load(integration=integration)
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        harvest = harvest_invoices_load(
            harvest=ctx.harvest, invoice_ids=[targets.by_xero_id[v.invoice_id] for v in chunk]
        )
        items = []
        for view in chunk:
            harvest_invoice = harvest.get(targets.by_xero_id[view.invoice_id])
            if harvest_invoice is None:
                ctx.recorder.record(
                    action="hold",
                    kind=SyncKind.PAYMENT,
                    xero_id=view.invoice_id,
                    label=f"Invoice {view.number}",
                    message="The Harvest invoice this Xero invoice was sent from no longer "
                    "exists; its payments cannot be recorded in Harvest.",
                )
                continue
            payments = harvest_payments_load(
                harvest=ctx.harvest, invoice_id=harvest_invoice.invoice_id
            )
            plan = payment_plan(
                xero=view,
                harvest=harvest_invoice,
                links=link_views[view.invoice_id],
                harvest_payments=payments,
                expected_currency=expected_xero_currency(
                    rules=rules, harvest_currency=harvest_invoice.currency
                ),
            )
            items.append(PlannedInvoice(plan=plan, xero=view, harvest=harvest_invoice))
        ctx.recorder.add_total(sum(len(i.plan.ops) + len(i.plan.flags) for i in items))
        if ctx.dry_run:
            plans_record_preview(ctx=ctx, items=items)
        else:
            plans_apply(ctx=ctx, items=items)
        ctx.recorder.flush()

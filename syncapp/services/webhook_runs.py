"""Xero webhook events become engine runs (trigger "webhook"), under the same lease and the same
auth handling as any run: invoice events a payments run scoped to those invoices, performed at
once so a payment reaches Harvest within seconds; contact events a contacts run (merged into one
already queued). The payload only says *which* record changed: the run reads it from Xero."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from django.utils import timezone

from syncapp.models import SyncRun, WebhookEvent
from syncapp.services.runs import sync_run_execute, sync_run_request

# How long an event's run waits for another run to finish before it queues behind it instead.
LEASE_WAIT_SECONDS = 20.0
INBOX = (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED)


def _is_payment_event(event: WebhookEvent) -> bool:
    # Payments have no events of their own: a payment, its deletion or a credit note allocation
    # arrives as an UPDATE of the invoice; a new invoice (CREATE) has none yet.
    return event.event_category == "INVOICE" and event.event_type != "CREATE"


def webhook_events_process(
    *, event_ids: list[int], wait_seconds: float = LEASE_WAIT_SECONDS, **client_options
) -> dict[str, int]:
    """Turn the events into runs; safe to run twice (the ledger and the lease see to it).

    `client_options` (transport, clock) let tests and benchmarks use the in-process sandbox."""
    events = list(
        WebhookEvent.objects.filter(pk__in=event_ids, status__in=INBOX).select_related(
            "integration"
        )
    )
    counts = {"processed": 0, "ignored": 0, "failed": 0, "waiting": 0}
    payments: dict[int, list[WebhookEvent]] = defaultdict(list)
    contacts: dict[int, list[WebhookEvent]] = defaultdict(list)
    ignored = []
    for event in events:
        if event.integration_id is None:
            ignored.append(event.pk)
        elif _is_payment_event(event):
            payments[event.integration_id].append(event)
        elif event.event_category == "CONTACT":
            contacts[event.integration_id].append(event)
        else:
            ignored.append(event.pk)
    if ignored:
        WebhookEvent.objects.filter(pk__in=ignored).update(
            status=WebhookEvent.Status.IGNORED, processed_at=timezone.now()
        )
        counts["ignored"] += len(ignored)
    for group in contacts.values():
        counts[_contacts_queue(events=group)] += len(group)
    for group in payments.values():
        outcome = _payments_run(events=group, wait_seconds=wait_seconds, **client_options)
        counts[outcome] += len(group)
    return counts


def _contacts_queue(*, events: list[WebhookEvent]) -> str:
    """A contact changed in Xero: a contacts run reads what changed since its cursor."""
    sync_run_request(
        integration=events[0].integration,
        flow=SyncRun.Flow.CONTACTS,
        trigger=SyncRun.Trigger.WEBHOOK,
    )
    webhook_events_settle(event_ids=[e.pk for e in events])
    return "processed"


def _payments_run(*, events: list[WebhookEvent], wait_seconds: float, **client_options) -> str:
    ids = [e.pk for e in events]
    WebhookEvent.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    run = SyncRun.objects.create(
        integration=events[0].integration,
        flow=SyncRun.Flow.PAYMENTS,
        trigger=SyncRun.Trigger.WEBHOOK,
        scope={
            "xero_invoice_ids": list(dict.fromkeys(e.resource_id for e in events)),
            "webhook_event_ids": ids,
        },
    )
    finished = sync_run_execute(run_id=run.pk, wait_seconds=wait_seconds, **client_options)
    if finished is None:
        # Another run writes to this integration: this one is queued behind it and runs the
        # moment it finishes (the events stay in the inbox until then).
        return "waiting"
    if finished.status in SyncRun.COMPLETED:
        return "processed"  # the payments flow settled the events it handled
    WebhookEvent.objects.filter(pk__in=ids, status__in=INBOX).update(
        status=WebhookEvent.Status.FAILED,
        error=(finished.error or finished.get_status_display())[:2000],
        processed_at=timezone.now(),
    )
    return "failed"


def webhook_events_settle(*, event_ids) -> None:
    """The events' records were read and mirrored: clear them from the inbox."""
    WebhookEvent.objects.filter(pk__in=list(event_ids), status__in=INBOX).update(
        status=WebhookEvent.Status.PROCESSED, processed_at=timezone.now(), error=""
    )

"""Xero webhooks: verify the signature, keep each event once in the inbox, process it in a task.

Xero signs the raw body: `x-xero-signature` is base64(HMAC-SHA256(webhook key, body)). A
subscription goes live only after "intent to receive": an empty event list correctly signed must
get 200, wrongly signed 401, both with an empty body, within 5 seconds
(https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/). Payments
have no events of their own; a payment, a deleted payment or a credit note allocation arrives as
an UPDATE of the invoice (https://developer.xero.com/documentation/guides/webhooks/overview/).
The payload only says *which* invoice changed: processing always reads the invoice from Xero.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from syncapp.models import Connection, Integration, SyncRun, WebhookEvent

logger = logging.getLogger(__name__)

LEASE_WAIT_SECONDS = 20.0


def webhook_signature(*, key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def webhook_signature_valid(*, key: str, body: bytes, signature: str | None) -> bool:
    if not key or not signature:
        return False
    expected = webhook_signature(key=key, body=body).encode()
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


@dataclass
class SignatureCheck:
    valid: bool
    # Integrations whose own key signed the body; `any_integration` when the settings key did.
    integration_ids: set[int] = field(default_factory=set)
    any_integration: bool = False


def webhook_keys() -> list[tuple[int | None, str]]:
    """(integration id, key) for every key set, then the install-wide XERO_WEBHOOK_KEY."""
    keys: list[tuple[int | None, str]] = [
        (pk, key)
        for pk, key in Integration.objects.exclude(xero_webhook_key="").values_list(
            "pk", "xero_webhook_key"
        )
        if key
    ]
    fallback = getattr(settings, "XERO_WEBHOOK_KEY", "") or ""
    if fallback:
        keys.append((None, fallback))
    return keys


def webhook_signature_check(*, body: bytes, signature: str | None) -> SignatureCheck:
    check = SignatureCheck(valid=False)
    for integration_id, key in webhook_keys():
        # Every key is tried (no early exit), each with a constant-time comparison.
        if webhook_signature_valid(key=key, body=body, signature=signature):
            check.valid = True
            if integration_id is None:
                check.any_integration = True
            else:
                check.integration_ids.add(integration_id)
    return check


def event_dedupe_key(event: dict) -> str:
    parts = (
        str(event.get(name) or "")
        for name in ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _event_date(value):
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def webhook_events_store(*, payload: dict, check: SignatureCheck) -> list[int]:
    """Keep each new event once (by dedupe key); returns the ids of events to process."""
    events = [e for e in payload.get("events") or () if isinstance(e, dict)]
    if not events:
        return []
    keyed = {event_dedupe_key(e): e for e in events}
    known = set(
        WebhookEvent.objects.filter(dedupe_key__in=list(keyed)).values_list("dedupe_key", flat=True)
    )
    tenants = {str(e.get("tenantId") or "") for e in keyed.values()}
    integration_of = dict(
        Connection.objects.filter(
            provider=Connection.Provider.XERO, account_id__in=tenants
        ).values_list("account_id", "integration_id")
    )
    rows = []
    for dedupe_key, event in keyed.items():
        if dedupe_key in known:
            continue
        integration_id = integration_of.get(str(event.get("tenantId") or ""))
        status, error = WebhookEvent.Status.RECEIVED, ""
        if integration_id is None:
            status, error = (
                WebhookEvent.Status.IGNORED,
                "No integration is connected to this tenant.",
            )
        elif not check.any_integration and integration_id not in check.integration_ids:
            status = WebhookEvent.Status.IGNORED
            error = "Signed with another integration's webhook key; ignored."
            integration_id = None
        rows.append(
            WebhookEvent(
                integration_id=integration_id,
                dedupe_key=dedupe_key,
                tenant_id=str(event.get("tenantId") or "")[:64],
                event_category=str(event.get("eventCategory") or "")[:32],
                event_type=str(event.get("eventType") or "")[:32],
                resource_id=str(event.get("resourceId") or "")[:64],
                event_date=_event_date(event.get("eventDateUtc")),
                payload=event,
                status=status,
                error=error,
            )
        )
    WebhookEvent.objects.bulk_create(rows, ignore_conflicts=True)
    new_keys = [r.dedupe_key for r in rows if r.status == WebhookEvent.Status.RECEIVED]
    return list(
        WebhookEvent.objects.filter(
            dedupe_key__in=new_keys, status=WebhookEvent.Status.RECEIVED
        ).values_list("pk", flat=True)
    )


def webhook_events_enqueue(*, event_ids: list[int]) -> None:
    """Process the events in a django-q2 task once the rows are committed."""
    if not event_ids:
        return
    from django_q.tasks import async_task

    ids = list(event_ids)
    transaction.on_commit(
        lambda: async_task(
            "syncapp.tasks.webhook_events_task", ids, task_name="xero-webhook", group="webhooks"
        )
    )


def webhook_events_retry(*, event_ids: list[int]) -> int:
    """Put failed (or any) events back in the queue; returns how many were queued."""
    ids = list(
        WebhookEvent.objects.filter(pk__in=event_ids)
        .exclude(integration__isnull=True)
        .values_list("pk", flat=True)
    )
    WebhookEvent.objects.filter(pk__in=ids).update(
        status=WebhookEvent.Status.RECEIVED, error="", processed_at=None
    )
    webhook_events_enqueue(event_ids=ids)
    return len(ids)


def webhook_events_process(*, event_ids: list[int], **client_options) -> dict[str, int]:
    """Mirror what the events point at; safe to run twice (the ledger and the lease see to it).

    `client_options` (transport, clock) let tests and benchmarks use the in-process sandbox.
    """
    events = list(
        WebhookEvent.objects.filter(
            pk__in=event_ids,
            status__in=(WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED),
        ).select_related("integration")
    )
    counts = {"processed": 0, "ignored": 0, "failed": 0, "waiting": 0}
    groups: dict[int, list[WebhookEvent]] = defaultdict(list)
    ignored = []
    for event in events:
        if event.integration_id is None:
            ignored.append(event.pk)
        elif event.event_category == "INVOICE" and event.event_type != "CREATE":
            groups[event.integration_id].append(event)
        else:
            # Contacts are not payments; a new invoice has none yet (paying it is an UPDATE);
            # credit note allocations also arrive as UPDATEs of the invoices they settle.
            ignored.append(event.pk)
    if ignored:
        WebhookEvent.objects.filter(pk__in=ignored).update(
            status=WebhookEvent.Status.IGNORED, processed_at=timezone.now()
        )
        counts["ignored"] += len(ignored)
    for group in groups.values():
        outcome = _integration_events_process(events=group, **client_options)
        counts[outcome] += len(group)
    return counts


def _integration_events_process(*, events: list[WebhookEvent], **client_options) -> str:
    from syncapp import engine
    from syncapp.flows.base import FlowContext, RunRecorder
    from syncapp.flows.payments.ledger import lease_acquire, lease_release
    from syncapp.flows.payments.runner import lease_holder, payments_sync_invoices
    from syncapp.services.runs import sync_run_finish

    integration = events[0].integration
    ids = [e.pk for e in events]
    WebhookEvent.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    run = SyncRun.objects.create(
        integration=integration,
        flow=SyncRun.Flow.PAYMENTS,
        trigger=SyncRun.Trigger.WEBHOOK,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    recorder = RunRecorder(run=run)
    try:
        connections = engine.run_preflight(run=run)
        with ExitStack() as stack:
            harvest, xero = engine.run_clients(
                connections=connections, stack=stack, **client_options
            )
            ctx = FlowContext(run=run, harvest=harvest, xero=xero, recorder=recorder)
            holder = lease_holder(ctx)
            if not lease_acquire(
                integration=integration, holder=holder, wait_seconds=LEASE_WAIT_SECONDS
            ):
                # Another run is busy: the events stay queued; the fallback poll takes them.
                sync_run_finish(run=run, status=SyncRun.Status.SUCCEEDED, counters={"busy": True})
                return "waiting"
            try:
                payments_sync_invoices(
                    ctx, xero_invoice_ids=list(dict.fromkeys(e.resource_id for e in events))
                )
            finally:
                lease_release(integration=integration, holder=holder)
                recorder.flush()
                recorder.summary.harvest_calls = harvest.calls
                recorder.summary.xero_calls = xero.calls
    except engine.RunBlocked as exc:
        _events_fail(ids, str(exc))
        sync_run_finish(run=run, status=SyncRun.Status.FAILED, error=str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("webhook events %s failed", ids)
        error = f"{type(exc).__name__}: {exc}"
        _events_fail(ids, error)
        sync_run_finish(
            run=run,
            status=SyncRun.Status.FAILED,
            error=f"Unexpected error: {error}. The technical details are in the worker log.",
            counters={"payments": recorder.summary.as_dict()},
        )
        return "failed"
    WebhookEvent.objects.filter(pk__in=ids).update(
        status=WebhookEvent.Status.PROCESSED, processed_at=timezone.now(), error=""
    )
    sync_run_finish(
        run=run,
        status=SyncRun.Status.SUCCEEDED,
        counters={"flows_run": ["payments"], "payments": recorder.summary.as_dict()},
    )
    return "processed"


def _events_fail(ids: list[int], error: str) -> None:
    WebhookEvent.objects.filter(pk__in=ids).update(
        status=WebhookEvent.Status.FAILED, error=error[:2000], processed_at=timezone.now()
    )


def webhook_body_parse(body: bytes) -> dict:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}

"""Xero webhooks: verify the signature, keep each event once in the inbox (processed as engine
runs by services/webhook_runs.py).

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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from syncapp.models import Connection, Integration, WebhookEvent
from syncapp.providers.parsing import json_text_clean

logger = logging.getLogger(__name__)


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
    """(integration id, key) for every key set, then the install-wide XERO_WEBHOOK_KEY.

    A key no FIELD_ENCRYPTION_KEYS entry can decrypt is skipped with a warning: deliveries
    signed with it get 401 (Xero retries them), the other integrations' keys still work."""
    keys: list[tuple[int | None, str]] = []
    rows = Integration.objects.exclude(xero_webhook_key="").values_list(
        "pk", "name", "xero_webhook_key"
    )
    for pk, name, key in rows:
        if key and not isinstance(key, str):  # an UnreadableSecret (see syncapp.crypto)
            logger.warning("Xero webhook key skipped: %s", key.bind(name).message)
        elif key:
            keys.append((pk, key))
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


def _event_date(value) -> tuple[datetime | None, str]:
    """(the event's date, "") or (None, why it could not be read). A date that cannot exist
    (`2026-02-30`) or is not a date at all is the problem of that one event: it must not cost
    the other events of the delivery, which Xero does not send again after a 200."""
    if not value:
        return None, ""
    try:
        parsed = parse_datetime(str(value))
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        return None, (
            f"Xero sent an event date that is not a real date ({str(value)[:40]!r}), so this "
            "event was not processed. The invoice it names is still checked by the next "
            "payments run; 'Retry' processes the event now."
        )
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed, ""


def _event_status(
    *, integration_id: int | None, check: SignatureCheck, date_problem: str
) -> tuple[str, str, int | None]:
    """(status, reason, integration id) an incoming event is stored with."""
    if integration_id is None:
        return WebhookEvent.Status.IGNORED, "No integration is connected to this tenant.", None
    if not check.any_integration and integration_id not in check.integration_ids:
        return (
            WebhookEvent.Status.IGNORED,
            "Signed with another integration's webhook key; ignored.",
            None,
        )
    if date_problem:
        return WebhookEvent.Status.FAILED, date_problem, integration_id
    return WebhookEvent.Status.RECEIVED, "", integration_id


def webhook_events_store(*, payload: dict, check: SignatureCheck) -> list[int]:
    """Keep each new event once (by dedupe key); returns the ids of events to process."""
    # Cleaned like every text from Xero (syncapp.providers.parsing.text_clean): PostgreSQL
    # cannot store NUL in the payload's jsonb or the text columns, and one such event would
    # fail the insert of the whole delivery.
    events = [json_text_clean(e) for e in payload.get("events") or () if isinstance(e, dict)]
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
        event_date, date_problem = _event_date(event.get("eventDateUtc"))
        status, error, integration_id = _event_status(
            integration_id=integration_of.get(str(event.get("tenantId") or "")),
            check=check,
            date_problem=date_problem,
        )
        rows.append(
            WebhookEvent(
                integration_id=integration_id,
                dedupe_key=dedupe_key,
                tenant_id=str(event.get("tenantId") or "")[:64],
                event_category=str(event.get("eventCategory") or "")[:32],
                event_type=str(event.get("eventType") or "")[:32],
                resource_id=str(event.get("resourceId") or "")[:64],
                event_date=event_date,
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


def webhook_body_parse(body: bytes) -> dict:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}

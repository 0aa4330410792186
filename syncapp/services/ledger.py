"""The ledger's write protocol (ARCHITECTURE rule 1), a batch at a time.

1. `links_prepare` marks every record about to be written as SENDING, with the idempotency key
   and payload hash of exactly what will be sent, and commits that before the request.
2. After the response, `links_complete` (with the remote id and the snapshot sent) or
   `links_fail` (with the API's own message) settles each row.
A row still SENDING at the start of a run is a write whose outcome is unknown: the flow must
resend it with the same key, or search the target, before creating anything new.
Each step is one or two queries for the whole batch, never one per record.

Every flow writes the ledger through the three primitives below, whatever key it knows a record
by (Harvest id for contacts and invoices, Xero key for payments): `ledger_upsert` (prepare a
batch as SENDING, or park it HELD/FAILED with the reason, committed before any request),
`ledger_settle` (write a batch's outcomes) and `ledger_unsettled` (what the last run left held,
in flight or failed, for the repair path to look at again).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from syncapp.models import Integration, SyncLink
from syncapp.providers.xero.idempotency import idempotency_key_derive


def payload_hash(payload: Any) -> str:
    """A stable hash of what would be sent: same content, same hash, whatever the key order."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class LinkIntent:
    """One record about to be written: which, what it is called, and what will be sent."""

    harvest_id: str
    label: str
    payload: Any
    snapshot: dict = field(default_factory=dict)

    @property
    def payload_hash(self) -> str:
        return payload_hash(self.payload)


LINK_OUTCOME_FIELDS = (
    "state",
    "last_error",
    "xero_id",
    "harvest_id",
    "payload_hash",
    "snapshot",
    "synced_at",
    "updated_at",
)
UNSETTLED = (SyncLink.State.HELD, SyncLink.State.SENDING, SyncLink.State.FAILED)


def ledger_upsert(
    *, rows: list[SyncLink], key: str, update_fields: Iterable[str]
) -> dict[str, SyncLink]:
    """Insert or update a batch of rows by (integration, kind, `key`) in one committed statement,
    and return them as stored, by `key` ("harvest_id" or "xero_id")."""
    if not rows:
        return {}
    with transaction.atomic():
        SyncLink.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "kind", key],
            update_fields=[*update_fields, "updated_at"],
            batch_size=500,
        )
    wanted = {(row.kind, getattr(row, key)) for row in rows}
    stored = SyncLink.objects.filter(
        integration=rows[0].integration,
        kind__in={kind for kind, _ in wanted},
        **{f"{key}__in": [value for _, value in wanted]},
    )
    return {
        getattr(link, key): link for link in stored if (link.kind, getattr(link, key)) in wanted
    }


def ledger_settle(*, links: list[SyncLink], fields: Iterable[str] = LINK_OUTCOME_FIELDS) -> None:
    """Write a batch's outcomes (already set on the rows) in one bulk update."""
    if not links:
        return
    now = timezone.now()
    for link in links:
        link.updated_at = now
    SyncLink.objects.bulk_update(
        links, list(dict.fromkeys([*fields, "updated_at"])), batch_size=500
    )


def ledger_unsettled(*, integration: Integration, kinds: Iterable[str], **filters):
    """Rows the repair path must look at whatever the cursors say: held, in flight (outcome
    unknown: resend with the same key or search before creating), failed."""
    return SyncLink.objects.filter(
        integration=integration, kind__in=list(kinds), state__in=UNSETTLED, **filters
    )


def links_load(
    *, integration: Integration, kind: str, harvest_ids: Iterable[str] | None = None
) -> dict[str, SyncLink]:
    queryset = SyncLink.objects.filter(integration=integration, kind=kind, harvest_id__isnull=False)
    if harvest_ids is not None:
        queryset = queryset.filter(harvest_id__in=[str(h) for h in harvest_ids])
    return {link.harvest_id: link for link in queryset}


def links_prepare(
    *, integration: Integration, kind: str, intents: list[LinkIntent]
) -> dict[str, SyncLink]:
    """Mark the records SENDING with their idempotency keys; committed before any request."""
    existing = links_load(
        integration=integration, kind=kind, harvest_ids=[i.harvest_id for i in intents]
    )
    rows = []
    for intent in intents:
        hashed = intent.payload_hash
        previous = existing.get(intent.harvest_id)
        rows.append(
            SyncLink(
                integration=integration,
                kind=kind,
                harvest_id=intent.harvest_id,
                xero_id=previous.xero_id if previous else None,
                label=intent.label[:255],
                state=SyncLink.State.SENDING,
                payload_hash=previous.payload_hash if previous else "",
                snapshot=previous.snapshot if previous else {},
                idempotency_key=idempotency_key_derive(
                    integration_id=integration.pk,
                    kind=kind,
                    harvest_id=intent.harvest_id,
                    payload_hash=hashed,
                ),
                attempts=(previous.attempts if previous else 0) + 1,
                last_error=previous.last_error if previous else "",
            )
        )
    return ledger_upsert(
        rows=rows,
        key="harvest_id",
        update_fields=["label", "state", "idempotency_key", "attempts"],
    )


@dataclass(frozen=True)
class LinkOutcome:
    link: SyncLink
    xero_id: str | None = None
    payload_hash: str = ""
    snapshot: dict | None = None
    error: str = ""
    state: str = SyncLink.State.SYNCED


def links_settle(*, outcomes: list[LinkOutcome]) -> None:
    """Write every outcome of a batch in one bulk update."""
    now = timezone.now()
    links = []
    for outcome in outcomes:
        link = outcome.link
        link.state = outcome.state
        link.last_error = outcome.error
        if outcome.xero_id:
            link.xero_id = outcome.xero_id
        if outcome.state == SyncLink.State.SYNCED:
            link.payload_hash = outcome.payload_hash or link.payload_hash
            if outcome.snapshot is not None:
                link.snapshot = outcome.snapshot
            link.synced_at = now
        links.append(link)
    ledger_settle(
        links=links,
        fields=["state", "last_error", "xero_id", "payload_hash", "snapshot", "synced_at"],
    )

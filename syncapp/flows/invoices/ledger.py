"""Ledger writes for invoices, a batch per query (services.ledger's protocol, plus the Harvest
invoice kept on rows that are not settled, so a held or unsettled invoice can be planned again
without reading Harvest from the start)."""

from __future__ import annotations

from collections.abc import Iterable

from syncapp.flows.invoices.plan import Operation
from syncapp.flows.xero_cache import json_plain
from syncapp.models import Integration, SyncKind, SyncLink
from syncapp.providers.xero.idempotency import idempotency_key_derive
from syncapp.services.ledger import ledger_settle, ledger_unsettled, ledger_upsert

KINDS = (SyncKind.INVOICE, SyncKind.CREDIT_NOTE)


def invoice_links_load(
    *, integration: Integration, harvest_ids: Iterable[str]
) -> dict[str, SyncLink]:
    """Invoice and credit-note rows by Harvest id (a synced one wins over a stale held one)."""
    ids = [str(h) for h in harvest_ids]
    found: dict[str, SyncLink] = {}
    for start in range(0, len(ids), 900):
        for link in SyncLink.objects.filter(
            integration=integration, kind__in=KINDS, harvest_id__in=ids[start : start + 900]
        ):
            current = found.get(link.harvest_id)
            if current is None or (link.xero_id and not current.xero_id):
                found[link.harvest_id] = link
    return found


def invoice_links_unsettled(*, integration: Integration) -> list[SyncLink]:
    """Rows to plan again whatever the cursor says: held, in flight (outcome unknown), failed."""
    return list(ledger_unsettled(integration=integration, kinds=KINDS))


def _row(*, integration: Integration, op: Operation, state: str, **fields) -> SyncLink:
    link = op.link
    return SyncLink(
        integration=integration,
        kind=op.kind,
        harvest_id=op.harvest_id,
        xero_id=link.xero_id if link else None,
        label=op.label[:255],
        state=state,
        payload_hash=link.payload_hash if link else "",
        idempotency_key=fields.pop("idempotency_key", link.idempotency_key if link else ""),
        attempts=fields.pop("attempts", link.attempts if link else 0),
        **fields,
    )


def links_park(*, integration: Integration, operations: list[Operation], state: str) -> None:
    """Held or failed rows: state, the reason, and the Harvest invoice to plan again later."""
    if not operations:
        return
    rows = []
    for op in operations:
        snapshot = dict(op.link.snapshot or {}) if op.link else {}
        snapshot["harvest"] = json_plain(op.raw)
        if state == SyncLink.State.FAILED and op.doc is not None:
            snapshot["failed_hash"] = op.payload_hash
        if op.doc is not None:
            snapshot["explain"] = op.doc.explain
        snapshot.pop("wait", None)
        if op.wait:
            snapshot["wait"] = op.wait
        rows.append(
            _row(
                integration=integration, op=op, state=state, last_error=op.reason, snapshot=snapshot
            )
        )
    ledger_upsert(
        rows=rows, key="harvest_id", update_fields=["label", "state", "last_error", "snapshot"]
    )


def links_send(*, integration: Integration, operations: list[Operation]) -> dict[str, SyncLink]:
    """Mark a batch SENDING with deterministic idempotency keys, committed before the request
    (ARCHITECTURE rule 1). Returns the rows by Harvest id."""
    rows = []
    for op in operations:
        snapshot = dict(op.link.snapshot or {}) if op.link else {}
        if op.raw is not None:
            snapshot["harvest"] = json_plain(op.raw)
        hashed = op.payload_hash or op.reason
        rows.append(
            _row(
                integration=integration,
                op=op,
                state=SyncLink.State.SENDING,
                snapshot=snapshot,
                last_error=op.link.last_error if op.link else "",
                idempotency_key=idempotency_key_derive(
                    integration_id=integration.pk,
                    kind=op.kind,
                    harvest_id=op.harvest_id,
                    payload_hash=hashed or op.action,
                ),
                attempts=(op.link.attempts if op.link else 0) + 1,
            )
        )
    return ledger_upsert(
        rows=rows,
        key="harvest_id",
        update_fields=["label", "state", "snapshot", "idempotency_key", "attempts"],
    )


def links_write(*, links: list[SyncLink]) -> None:
    """Settle a batch: one bulk update for every row whatever its outcome."""
    ledger_settle(
        links=links,
        fields=["state", "last_error", "xero_id", "payload_hash", "snapshot", "synced_at"],
    )

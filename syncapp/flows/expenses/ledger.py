"""The expenses flow's ledger rows, a batch per query.

- kind "expense": one row per Harvest expense: its state and reason, the Harvest record (so a
  held one is planned again without reading Harvest from the start) and the document it is in.
- kind "expense_doc": one row per Xero bill or spend money, keyed "bill:U7:2026-11#1": its
  Xero id, the lines of its expenses, its receipts and their upload state.
- kind "person": a Harvest user -> the Xero supplier contact their bills go to.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from syncapp.flows.expenses.assign import Document, document_group
from syncapp.flows.xero_cache import json_plain
from syncapp.models import Integration, SyncKind, SyncLink
from syncapp.services.ledger import ledger_settle, ledger_upsert

EXPENSE = SyncKind.EXPENSE
DOC = SyncKind.EXPENSE_DOC
PERSON = SyncKind.PERSON
CHUNK = 500


def expense_rows_load(*, integration: Integration, ids: Iterable[str]) -> dict[str, SyncLink]:
    ids = [str(i) for i in ids]
    found: dict[str, SyncLink] = {}
    for start in range(0, len(ids), CHUNK):
        for link in SyncLink.objects.filter(
            integration=integration, kind=EXPENSE, harvest_id__in=ids[start : start + CHUNK]
        ):
            found[link.harvest_id] = link
    return found


def expense_rows_to_replan(*, integration: Integration) -> list[SyncLink]:
    """Rows planned again at every run from their stored Harvest record: held (a mapping may
    have arrived), failed, in flight, flagged (an uninvoiced billable one may now be late)."""
    return list(
        SyncLink.objects.filter(
            integration=integration,
            kind=EXPENSE,
            state__in=[
                SyncLink.State.HELD,
                SyncLink.State.FAILED,
                SyncLink.State.SENDING,
                SyncLink.State.CONFLICT,
            ],
        )
    )


def _document_from(link: SyncLink) -> Document:
    snap = link.snapshot or {}
    group, part = document_group(link.harvest_id)
    return Document(
        key=link.harvest_id,
        group=group,
        part=part,
        locked=snap.get("locked", ""),
        members=dict(snap.get("members", {})),
        receipts={k: v["name"] for k, v in snap.get("receipts", {}).items()},
        dates=dict(snap.get("dates", {})),
        currency=snap.get("currency", ""),
    )


def documents_load(
    *, integration: Integration, keys: Iterable[str], groups: Iterable[str]
) -> tuple[dict[str, Document], dict[str, SyncLink]]:
    """The documents with these keys or in these groups (every part), and their rows."""
    keys, groups = sorted(set(keys)), sorted(set(groups))
    rows: dict[str, SyncLink] = {}
    base = SyncLink.objects.filter(integration=integration, kind=DOC)
    for start in range(0, len(keys), CHUNK):
        for link in base.filter(harvest_id__in=keys[start : start + CHUNK]):
            rows[link.harvest_id] = link
    for start in range(0, len(groups), 100):
        match = Q()
        for group in groups[start : start + 100]:
            match |= Q(harvest_id__startswith=f"{group}#")
        for link in base.filter(match):
            rows[link.harvest_id] = link
    return {key: _document_from(link) for key, link in rows.items()}, rows


def receipts_pending(integration: Integration) -> bool:
    """Whether a synced document still has a receipt to attach (an earlier upload unanswered)."""
    return SyncLink.objects.filter(
        integration=integration, kind=DOC, snapshot__receipts_pending=True
    ).exists()


def person_links_load(*, integration: Integration) -> dict[str, SyncLink]:
    return {
        link.harvest_id: link
        for link in SyncLink.objects.filter(integration=integration, kind=PERSON)
    }


def expense_rows_write(
    *, integration: Integration, rows: list[tuple[str, str, str, str, dict]]
) -> None:
    """(expense id, label, state, reason, snapshot) for each row: one statement for the synced
    ones (stamped now) and one for the rest (their last sync time kept)."""
    now = timezone.now()
    for synced in (True, False):
        chosen = [r for r in rows if (r[2] == SyncLink.State.SYNCED) == synced]
        if not chosen:
            continue
        ledger_upsert(
            rows=[
                SyncLink(
                    integration=integration,
                    kind=EXPENSE,
                    harvest_id=eid,
                    label=label[:255],
                    state=state,
                    last_error=reason,
                    snapshot=json_plain(snapshot),
                    synced_at=now if synced else None,
                )
                for eid, label, state, reason, snapshot in chosen
            ],
            key="harvest_id",
            update_fields=["label", "state", "last_error", "snapshot"]
            + (["synced_at"] if synced else []),
        )


def rows_save(links: list[SyncLink]) -> None:
    ledger_settle(
        links=links,
        fields=["state", "last_error", "xero_id", "payload_hash", "snapshot", "synced_at"],
    )

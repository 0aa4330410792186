"""What every flow shares: the clients it talks through, and how it reports what it did.

A flow is `plan()` (pure: source records + mappings + ledger -> operations) and `apply()`
(performs them through the clients and writes the ledger). Its runner takes a FlowContext and
returns a FlowSummary; the engine keeps the summary on the SyncRun.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F

from syncapp.models import Integration, SyncEvent, SyncLink, SyncRun

# The keys `manage.py sync` prints, in this order; flows may add their own after them.
SUMMARY_KEYS = (
    "created",
    "updated",
    "linked",
    "conflicts",
    "failed",
    "skipped",
    "xero_calls",
    "harvest_calls",
    "xero_bytes_read",
    "harvest_bytes_read",
)

# How long before Xero's answer a change may have been stamped yet not visible in it.
READ_SETTLE = timedelta(seconds=5)

ACTION_COUNTER = {
    SyncEvent.Action.CREATE: "created",
    SyncEvent.Action.UPDATE: "updated",
    SyncEvent.Action.LINK: "linked",
    SyncEvent.Action.CONFLICT: "conflicts",
    SyncEvent.Action.FAIL: "failed",
    SyncEvent.Action.SKIP: "skipped",
    SyncEvent.Action.HOLD: "held",
    SyncEvent.Action.VOID: "voided",
}


@dataclass
class FlowSummary:
    created: int = 0
    updated: int = 0
    linked: int = 0
    conflicts: int = 0
    failed: int = 0
    skipped: int = 0
    xero_calls: int = 0
    harvest_calls: int = 0
    # Response bytes each client read during the flow (egress: paid Xero tiers bill by it).
    xero_bytes_read: int = 0
    harvest_bytes_read: int = 0
    held: int = 0
    voided: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {**data, **extra}

    def add(self, other: FlowSummary) -> None:
        for key in ACTION_COUNTER.values():
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.xero_calls += other.xero_calls
        self.harvest_calls += other.harvest_calls
        self.xero_bytes_read += other.xero_bytes_read
        self.harvest_bytes_read += other.harvest_bytes_read


@dataclass
class FlowContext:
    """Everything a flow may touch during one run."""

    run: SyncRun
    harvest: Any  # HarvestClient
    xero: Any  # XeroClient
    recorder: RunRecorder
    # What one flow of a run tells the next ones (a dry run's would-be contacts, say).
    shared: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.recorder.clients_track(harvest=self.harvest, xero=self.xero)

    @property
    def scope(self) -> dict:
        """What a targeted run is limited to (resync, webhook, released conflict); {}: all."""
        return self.run.scope or {}

    @property
    def integration(self) -> Integration:
        return self.run.integration

    @property
    def dry_run(self) -> bool:
        return self.run.dry_run


class RunRecorder:
    """Collects per-record events and counters; writes them a batch at a time, not per record."""

    def __init__(self, *, run: SyncRun, flush_every: int = 500, heartbeat=None) -> None:
        self.run = run
        self.summary = FlowSummary()
        self._pending: list[SyncEvent] = []
        self._done_pending = 0
        self.flush_every = flush_every
        self.heartbeat = heartbeat
        # The counter each record last went to: a record met twice in one run (a batch
        # replayed after a lost answer, a leftover read again) is counted once, as it ended.
        self._counted: dict[tuple[str, str], str] = {}
        # (summary field, client, bytes it had read when the flow began)
        self._byte_meters: list[tuple[str, Any, int]] = []

    def clients_track(self, *, harvest: Any, xero: Any) -> None:
        """Count the bytes these clients read from now on into the summary, at every flush (the
        engine flushes once more when the flow ends, so the last read is in)."""
        self._byte_meters = [
            (name, client, getattr(client, "bytes_read", 0))
            for name, client in (("harvest_bytes_read", harvest), ("xero_bytes_read", xero))
            if client is not None
        ]

    def record(
        self,
        *,
        action: str,
        kind: str,
        harvest_id: str = "",
        xero_id: str = "",
        label: str = "",
        message: str = "",
        api_error: str = "",
        link: SyncLink | None = None,
        counts_as_done: bool = True,
    ) -> None:
        counter = ACTION_COUNTER[SyncEvent.Action(action)]
        # A secondary note on a record (a field sent to review beside its update) counts apart.
        record = str(harvest_id or xero_id or "") if counts_as_done else ""
        self._count(kind=kind, record=record, counter=counter)
        self._pending.append(
            SyncEvent(
                run=self.run,
                link=link if link is not None and link.pk else None,
                kind=kind,
                harvest_id=str(harvest_id or ""),
                xero_id=str(xero_id or ""),
                label=label[:255],
                action=action,
                message=message,
                api_error=api_error,
            )
        )
        if counts_as_done:
            self._done_pending += 1
        if len(self._pending) >= self.flush_every:
            self.flush()
        elif self.heartbeat is not None:
            self.heartbeat.beat()

    def _count(self, *, kind: str, record: str, counter: str) -> None:
        if record:
            previous = self._counted.get((kind, record))
            if previous is not None:
                setattr(self.summary, previous, getattr(self.summary, previous) - 1)
            self._counted[(kind, record)] = counter
        setattr(self.summary, counter, getattr(self.summary, counter) + 1)

    def set_total(self, total: int) -> None:
        self.run.total = total
        SyncRun.objects.filter(pk=self.run.pk).update(total=total)

    def add_total(self, count: int) -> None:
        SyncRun.objects.filter(pk=self.run.pk).update(total=F("total") + count)

    def flush(self) -> None:
        for name, client, start in self._byte_meters:
            setattr(self.summary, name, getattr(client, "bytes_read", 0) - start)
        if self._pending:
            SyncEvent.objects.bulk_create(self._pending)
            self._pending = []
        if self._done_pending:
            SyncRun.objects.filter(pk=self.run.pk).update(done=F("done") + self._done_pending)
            self._done_pending = 0
        if self.heartbeat is not None:
            self.heartbeat.beat()


def read_watermark(*, newest: datetime | None, read_at: datetime | None) -> datetime | None:
    """Where the next incremental read starts: the newest record seen, or Xero's clock when the
    read began less READ_SETTLE (a change Xero stamped just before it answered may not have been
    visible yet), whichever is later. The later start is what makes an idle poll read nothing:
    at the newest record alone, the last batch written would be read again at every poll."""
    settled = read_at - READ_SETTLE if read_at is not None else None
    found = [stamp for stamp in (newest, settled) if stamp is not None]
    return max(found) if found else None

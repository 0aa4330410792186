"""One writer per integration (ARCHITECTURE rule 9): the lease, the heartbeat, abandoned runs.

The lease is one `IntegrationLease` row per integration, taken with a single conditional UPDATE
(free, or its holder's heartbeat older than the timeout), so exactly one process wins on SQLite
(writes are serialised) and on PostgreSQL (the row lock re-checks the WHERE clause after a
concurrent update). A run beats its heartbeat while it works; a run silent for longer than
`HXSYNC_RUN_TIMEOUT_SECONDS` lost its worker (SIGKILL, OOM, deploy, lost machine): it becomes
ABANDONED with the reason and its lease is free for the next run, which repairs what it left in
flight through the ledger (rows still SENDING).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from syncapp.models import IntegrationLease, SyncRun

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another run took this integration's lease (ours was silent too long): stop writing."""


def run_timeout() -> timedelta:
    return timedelta(seconds=settings.HXSYNC_RUN_TIMEOUT_SECONDS)


def lease_acquire(*, integration_id: int, run_id: int) -> bool:
    """Take the integration's lease for this run if it is free or its holder went silent."""
    now = timezone.now()
    IntegrationLease.objects.get_or_create(integration_id=integration_id)
    taken = (
        IntegrationLease.objects.filter(integration_id=integration_id)
        .filter(Q(run__isnull=True) | Q(heartbeat_at__lt=now - run_timeout()))
        .update(run_id=run_id, acquired_at=now, heartbeat_at=now)
    )
    return taken == 1


def lease_release(*, integration_id: int, run_id: int) -> bool:
    """Free the lease if this run holds it; never frees another run's."""
    return bool(
        IntegrationLease.objects.filter(integration_id=integration_id, run_id=run_id).update(
            run=None, heartbeat_at=None
        )
    )


def lease_holder(*, integration_id: int) -> int | None:
    return (
        IntegrationLease.objects.filter(
            integration_id=integration_id,
            heartbeat_at__gte=timezone.now() - run_timeout(),
        )
        .values_list("run_id", flat=True)
        .first()
    )


class Heartbeat:
    """Beats at most every HXSYNC_RUN_HEARTBEAT_SECONDS; called from the run's own thread at
    every record, batch and HTTP request, so a worker that dies stops beating with it."""

    def __init__(self, *, run: SyncRun, holds_lease: bool) -> None:
        self.run_id = run.pk
        self.integration_id = run.integration_id
        self.holds_lease = holds_lease
        self.every = float(settings.HXSYNC_RUN_HEARTBEAT_SECONDS)
        self._last = time.monotonic()

    def beat(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        now = timezone.now()
        SyncRun.objects.filter(pk=self.run_id).update(heartbeat_at=now)
        if not self.holds_lease:
            return
        kept = IntegrationLease.objects.filter(
            integration_id=self.integration_id, run_id=self.run_id
        ).update(heartbeat_at=now)
        if not kept:
            raise LeaseLost(
                f"Run #{self.run_id} lost the integration's lease (it was silent for longer "
                f"than {settings.HXSYNC_RUN_TIMEOUT_SECONDS} s); it stopped so that two runs "
                "never write at once. The run that took over repairs anything left in flight."
            )


ABANDONED_REASON = (
    "The worker running this stopped answering (no heartbeat for {minutes}): it was probably "
    "killed or restarted. Nothing is lost: anything it left half-sent is repaired by the next "
    "run, which starts by itself."
)


def runs_abandon_stale() -> list[int]:
    """Mark runs whose heartbeat stopped ABANDONED and free their leases; returns their ids."""
    now = timezone.now()
    timeout = run_timeout()
    stale = list(
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING)
        .annotate(last_seen=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(last_seen__lt=now - timeout)
        .values_list("pk", "integration_id")
    )
    if not stale:
        return []
    minutes = _duration_words(timeout)
    ids = []
    for pk, integration_id in stale:
        # One by one, so that of two processes closing the same run only one reports it (the
        # caller asks for a scoped run's work again, once).
        if SyncRun.objects.filter(pk=pk, status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.ABANDONED,
            finished_at=now,
            error=ABANDONED_REASON.format(minutes=minutes),
            note="",
        ):
            ids.append(pk)
            logger.warning(
                "sync run %s abandoned (integration %s): no heartbeat", pk, integration_id
            )
    IntegrationLease.objects.filter(run_id__in=[pk for pk, _ in stale]).update(
        run=None, heartbeat_at=None
    )
    return ids


def _duration_words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 60 == 0 and seconds >= 60:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"

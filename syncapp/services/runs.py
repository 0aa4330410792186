"""Sync runs: request one, hand it to a worker, move it through its states.

One writer per integration (services/leases.py): a run that would write takes the integration's
lease before it starts; one asked for while another writes stays QUEUED, says what it waits for,
and is handed to a worker again the moment the lease frees (`runs_kick`). Dry runs write nothing
and need no lease. The outcome is honest: a run in which records failed is WITH_FAILURES, never
SUCCEEDED; one that could not start is BLOCKED; one whose worker died is ABANDONED.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from syncapp import engine
from syncapp.crypto import SecretUnreadable
from syncapp.models import Integration, SyncRun
from syncapp.providers.errors import AuthExpired, Forbidden, GovernorWouldWait
from syncapp.services.connections import connection_auth_lost
from syncapp.services.leases import (
    Heartbeat,
    LeaseLost,
    lease_acquire,
    lease_holder,
    lease_release,
)
from syncapp.services.leases import runs_abandon_stale as _runs_abandon_stale
from syncapp.services.run_waits import (
    WorkerClock,
    clock_now,
    counters_merge,
    run_requeue,
    run_resume_mark,
    wait_from_counters,
    wait_from_error,
)

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)
LEASE_POLL_SECONDS = 0.5
# A queued run nobody claimed for this long lost its task (or its kick): hand it out again.
QUEUED_UNCLAIMED = timedelta(seconds=60)


def sync_run_request(
    *,
    integration: Integration,
    flow: str = SyncRun.Flow.ALL,
    trigger: str = SyncRun.Trigger.MANUAL,
    user=None,
    dry_run: bool = False,
    scope: dict | None = None,
) -> tuple[SyncRun, bool]:
    """Queue a run, or return the one already covering it. Returns (run, created).

    An unscoped request is merged into a queued or running run of the same flow (or of
    everything); a request for everything turns a queued single-flow run into one for
    everything. Scoped runs (resync, webhook, released conflict) are never merged away. The
    task is enqueued only once the run row is committed."""
    runs_abandon_stale()
    scope = scope or {}
    with transaction.atomic():
        if not scope:
            existing = _run_covering(integration=integration, flow=flow, dry_run=dry_run)
            if existing is not None:
                return existing, False
        run = SyncRun.objects.create(
            integration=integration,
            flow=flow,
            trigger=trigger,
            requested_by=user,
            dry_run=dry_run,
            scope=scope,
        )
        transaction.on_commit(lambda: sync_run_enqueue(run_id=run.pk))
    return run, True


def _run_covering(*, integration: Integration, flow: str, dry_run: bool) -> SyncRun | None:
    active = list(
        SyncRun.objects.select_for_update()
        .filter(integration=integration, dry_run=dry_run, status__in=ACTIVE_STATUSES, scope={})
        .order_by("created_at")
    )
    for run in active:
        if run.flow in (flow, SyncRun.Flow.ALL):
            return run
    if flow == SyncRun.Flow.ALL:
        for run in active:
            if run.status == SyncRun.Status.QUEUED:
                SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
                    flow=SyncRun.Flow.ALL
                )
                run.flow = SyncRun.Flow.ALL
                return run
    return None


def sync_run_enqueue(*, run_id: int) -> str:
    task_id = async_task(
        "syncapp.tasks.sync_run_task", run_id, task_name=f"sync-run-{run_id}", group="sync-runs"
    )
    SyncRun.objects.filter(pk=run_id).update(task_id=task_id)
    return task_id


def runs_kick(*, integration_id: int, now=None) -> int | None:
    """Hand the integration's oldest queued run that is due to a worker (a run whose lease just
    freed, or one whose task was lost). A run waiting for a rate limit is woken by its own
    schedule at `due_at`. Safe to repeat: only one worker ever claims a run."""
    run_id = (
        SyncRun.objects.filter(integration_id=integration_id, status=SyncRun.Status.QUEUED)
        .filter(_due(now or timezone.now()))
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if run_id is not None:
        sync_run_enqueue(run_id=run_id)
    return run_id


def _due(now) -> Q:
    return Q(due_at__isnull=True) | Q(due_at__lte=now)


def sync_run_execute(*, run_id: int, wait_seconds: float = 0, **client_options) -> SyncRun | None:
    """Claim a queued run and run it; None when there was nothing to do or it must wait.

    Safe to call twice: only one caller claims the run. A run waiting for a rate limit is not
    claimed before its `due_at`. A run that writes waits up to `wait_seconds` for the
    integration's lease, then stays QUEUED (saying for what) and is kicked when the lease
    frees. `client_options` (transport, clock) let tests and benchmarks drive the in-process
    sandbox; `due_at` is read on that clock. Without one, the run waits on a WorkerClock, as
    every worker's run does; tests and benchmarks wrap theirs in one for the same policy."""
    runs_abandon_stale()
    if client_options.get("clock") is None:
        # A worker waits in place only briefly; a longer rate-limit wait re-queues the run.
        client_options["clock"] = WorkerClock()
    clock = client_options["clock"]
    run = SyncRun.objects.select_related("integration").filter(pk=run_id).first()
    if run is None or run.status != SyncRun.Status.QUEUED:
        logger.info("sync run %s is not queued any more; nothing to do", run_id)
        return None
    if run.due_at is not None and run.due_at > clock_now(clock):
        logger.info("sync run %s waits until %s; not yet", run_id, run.due_at)
        return None
    writes = not run.dry_run
    if writes and not _lease_wait(run=run, wait_seconds=wait_seconds):
        return None
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        note="",
        due_at=None,
    )
    if not claimed:
        if writes:
            lease_release(integration_id=run.integration_id, run_id=run.pk)
        return None
    run.refresh_from_db()
    prior = run_resume_mark(run=run)
    try:
        return _run_perform(
            run=run,
            heartbeat=Heartbeat(run=run, holds_lease=writes),
            prior=prior,
            **client_options,
        )
    finally:
        if writes:
            lease_release(integration_id=run.integration_id, run_id=run.pk)
        runs_kick(integration_id=run.integration_id, now=clock_now(clock))


def _lease_wait(*, run: SyncRun, wait_seconds: float) -> bool:
    deadline = time.monotonic() + wait_seconds
    while not lease_acquire(integration_id=run.integration_id, run_id=run.pk):
        if time.monotonic() >= deadline:
            holder = lease_holder(integration_id=run.integration_id)
            if holder and holder != run.pk:
                SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
                    note=f"Waiting for run #{holder} to finish: one run writes at a time."
                )
            return False
        time.sleep(LEASE_POLL_SECONDS)
        runs_abandon_stale()
    return True


def _run_perform(*, run: SyncRun, heartbeat: Heartbeat, prior: dict, **client_options) -> SyncRun:
    """Run the flows; `prior` holds the counters of the run's passes before a rate-limit wait,
    merged into this pass's so that each record is counted once."""
    logger.info("sync run %s started: %s for %s", run.pk, run.flow, run.integration)
    clock = client_options.get("clock")
    run.counters = {}  # the engine keeps this pass's counters here as each flow ends
    try:
        counters = engine.run_flows(run=run, heartbeat=heartbeat, **client_options)
    except GovernorWouldWait as exc:
        # A flow let the governor's refusal through: that request was never sent.
        return _run_wait(run=run, prior=prior, wait=wait_from_error(exc), clock=clock)
    except engine.RunBlocked as exc:
        return _run_end(run=run, prior=prior, status=SyncRun.Status.BLOCKED, error=str(exc))
    except SecretUnreadable as exc:
        return _run_end(run=run, prior=prior, status=SyncRun.Status.BLOCKED, error=str(exc))
    except (AuthExpired, Forbidden) as exc:
        # Retrying cannot help: the connection is marked for reconnecting and the run says how.
        error = connection_auth_lost(integration=run.integration, provider=exc.provider, error=exc)
        return _run_end(run=run, prior=prior, status=SyncRun.Status.BLOCKED, error=error)
    except LeaseLost as exc:
        return _run_abandon(run=run, error=str(exc))
    except Exception as exc:
        logger.exception("sync run %s failed", run.pk)
        error = (
            f"Unexpected error: {type(exc).__name__}: {exc}. "
            "The technical details are in the worker log."
        )
        return _run_end(run=run, prior=prior, status=SyncRun.Status.FAILED, error=error)
    run.counters = counters
    # A flow that caught the governor's refusal itself settled its batch and stopped early.
    wait = wait_from_counters(counters)
    if wait is not None:
        return _run_wait(run=run, prior=prior, wait=wait, clock=clock)
    counters = counters_merge(run=run, prior=prior, current=counters)
    failed = engine.counters_failed(counters)
    if failed:
        return sync_run_finish(
            run=run,
            status=SyncRun.Status.WITH_FAILURES,
            counters=counters,
            error=f"{failed} record{'s' if failed != 1 else ''} failed; each says why under "
            "Sync events, and the next run tries again.",
        )
    return sync_run_finish(run=run, status=SyncRun.Status.SUCCEEDED, counters=counters)


def _run_wait(*, run: SyncRun, prior: dict, wait, clock) -> SyncRun:
    """Give the worker back: QUEUED again until the wait is over (the lease is freed next)."""
    counters = counters_merge(run=run, prior=prior, current=run.counters or {})
    return run_requeue(run=run, wait=wait, counters=counters, now=clock_now(clock))


def _run_end(*, run: SyncRun, prior: dict, status: str, error: str) -> SyncRun:
    counters = counters_merge(run=run, prior=prior, current=run.counters or {})
    return sync_run_finish(run=run, status=status, error=error, counters=counters)


def runs_abandon_stale() -> list[int]:
    """Abandon the runs whose worker died (services.leases), and ask again for the work of the
    scoped ones among them: a resync, a webhook's invoices, the records a resolved conflict
    released. The unscoped runs that follow read by cursor and would never revisit those
    records, left held or unsent for good."""
    abandoned = _runs_abandon_stale()
    runs_scope_requeue(run_ids=abandoned)
    return abandoned


def runs_scope_requeue(*, run_ids: list[int]) -> list[int]:
    """A new queued run for each abandoned scoped run in `run_ids`; returns their ids."""
    queued = []
    dead = SyncRun.objects.filter(
        pk__in=run_ids, status=SyncRun.Status.ABANDONED, dry_run=False
    ).select_related("integration")
    for run in dead.exclude(scope={}):
        again, _ = sync_run_request(
            integration=run.integration,
            flow=run.flow,
            trigger=run.trigger,
            user=run.requested_by,
            scope=run.scope,
        )
        logger.info("sync run %s asked again as run %s (its scope was not done)", run.pk, again.pk)
        queued.append(again.pk)
    return queued


def _run_abandon(*, run: SyncRun, error: str) -> SyncRun:
    """The run lost its lease while alive (silent too long): it stops, as abandoned."""
    stopped = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.ABANDONED, error=error, finished_at=timezone.now(), note=""
    )
    if stopped:
        runs_scope_requeue(run_ids=[run.pk])
    run.refresh_from_db()
    return run


def sync_run_finish(*, run: SyncRun, status: str, error: str = "", counters=None) -> SyncRun:
    """Close a run with its outcome; a run abandoned meanwhile keeps that outcome."""
    run.status = status
    run.error = error
    if counters is not None:
        run.counters = counters
    run.finished_at = timezone.now()
    run.note = ""
    updated = SyncRun.objects.filter(
        pk=run.pk, status__in=(SyncRun.Status.RUNNING, SyncRun.Status.QUEUED)
    ).update(
        status=status,
        error=error,
        counters=run.counters,
        finished_at=run.finished_at,
        note="",
    )
    if not updated:
        run.refresh_from_db()
    logger.info("sync run %s %s%s", run.pk, run.status, f": {error}" if error else "")
    return run


def runs_watchdog() -> dict:
    """Every minute: abandon runs whose worker died, and hand queued runs that nobody is
    working on to a worker (their task was lost, the lease freed without a kick, or the wake-up
    of a run that waited for a rate limit went missing)."""
    abandoned = runs_abandon_stale()
    kicked = []
    now = timezone.now()
    waiting = (
        SyncRun.objects.filter(status=SyncRun.Status.QUEUED, created_at__lt=now - QUEUED_UNCLAIMED)
        .filter(_due(now))
        .values_list("integration_id", flat=True)
        .distinct()
    )
    for integration_id in set(waiting):
        if lease_holder(integration_id=integration_id) is None:
            run_id = runs_kick(integration_id=integration_id)
            if run_id is not None:
                kicked.append(run_id)
    return {"abandoned": abandoned, "kicked": kicked}

"""Sync runs: request one, hand it to a worker, move it through its states."""

import logging

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from syncapp import engine
from syncapp.models import Integration, SyncRun
from syncapp.providers.errors import AuthExpired, Forbidden
from syncapp.services.connections import connection_auth_lost

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)


def sync_run_request(
    *,
    integration: Integration,
    flow: str = SyncRun.Flow.ALL,
    trigger: str = SyncRun.Trigger.MANUAL,
    user=None,
    dry_run: bool = False,
) -> tuple[SyncRun, bool]:
    """Queue a run unless the same one is already queued or running.

    Returns (run, created). The task is enqueued only once the run row is committed, so a
    worker never looks for a run that does not exist yet.
    """
    with transaction.atomic():
        existing = (
            SyncRun.objects.select_for_update()
            .filter(integration=integration, flow=flow, dry_run=dry_run, status__in=ACTIVE_STATUSES)
            .first()
        )
        if existing:
            return existing, False
        run = SyncRun.objects.create(
            integration=integration, flow=flow, trigger=trigger, requested_by=user, dry_run=dry_run
        )
        transaction.on_commit(lambda: sync_run_enqueue(run_id=run.pk))
    return run, True


def sync_run_enqueue(*, run_id: int) -> str:
    task_id = async_task(
        "syncapp.tasks.sync_run_task", run_id, task_name=f"sync-run-{run_id}", group="sync-runs"
    )
    SyncRun.objects.filter(pk=run_id).update(task_id=task_id)
    return task_id


def sync_run_execute(*, run_id: int, **client_options) -> SyncRun | None:
    """Claim a queued run and run it. Safe to call twice: only one caller claims the run.

    `client_options` (transport, clock) let tests and benchmarks drive the in-process sandbox."""
    claimed = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        logger.info("sync run %s is not queued any more; nothing to do", run_id)
        return None
    run = SyncRun.objects.select_related("integration").get(pk=run_id)
    logger.info("sync run %s started: %s for %s", run.pk, run.flow, run.integration)
    try:
        counters = engine.run_flows(run=run, **client_options)
    except engine.RunBlocked as exc:
        return sync_run_finish(run=run, status=SyncRun.Status.FAILED, error=str(exc))
    except (AuthExpired, Forbidden) as exc:
        # Retrying cannot help: the connection is marked for reconnecting and the run says how.
        error = connection_auth_lost(integration=run.integration, provider=exc.provider, error=exc)
        return sync_run_finish(run=run, status=SyncRun.Status.FAILED, error=error)
    except Exception as exc:
        logger.exception("sync run %s failed", run.pk)
        error = f"Unexpected error: {type(exc).__name__}: {exc}. The technical details are in the worker log."
        return sync_run_finish(run=run, status=SyncRun.Status.FAILED, error=error)
    return sync_run_finish(run=run, status=SyncRun.Status.SUCCEEDED, counters=counters)


def sync_run_finish(*, run: SyncRun, status: str, error: str = "", counters=None) -> SyncRun:
    run.status = status
    run.error = error
    if counters is not None:
        run.counters = counters
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "counters", "finished_at"])
    logger.info("sync run %s %s%s", run.pk, status, f": {error}" if error else "")
    return run

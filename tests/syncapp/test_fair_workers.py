"""Fair workers (issue 13): a run the rate governor would keep waiting gives its worker back.

It goes back to QUEUED with a due time and a note, frees the lease, is not claimed before it is
due, lets another integration's run through meanwhile, and later finishes by itself with each
record counted once (the same counts as a run that never waited) and nothing sent twice.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django_q.models import Schedule

from syncapp.demo.bench.invoices import SharedClock, sandbox_invoices_verify
from syncapp.models import SyncLink, SyncRun
from syncapp.providers.xero.factory import xero_client_for_connection
from syncapp.services.leases import lease_holder
from syncapp.services.run_waits import WorkerClock
from syncapp.services.runs import runs_watchdog, sync_run_execute
from tests.flows.conftest import sandbox_build, sandbox_integration_create

pytestmark = pytest.mark.django_db

COUNTED = ("created", "updated", "linked", "conflicts", "failed", "held", "voided", "skipped")


def counts(run: SyncRun) -> dict:
    return {
        name: {key: run.counters[name].get(key, 0) for key in COUNTED}
        for name in run.counters["flows_run"]
    }


def xero_minute_use(integration, *, sandbox, clock, calls: int) -> None:
    """Another worker spent `calls` of the organisation's 60 calls this minute (Xero's headers
    and the shared governor agree on it)."""
    connection = integration.connections.get(provider="xero")
    with xero_client_for_connection(
        connection=connection, transport=sandbox.transport, clock=clock
    ) as xero:
        for _ in range(calls):
            xero.get_organisation()


def run_all(integration) -> SyncRun:
    return SyncRun.objects.create(
        integration=integration, flow=SyncRun.Flow.ALL, trigger=SyncRun.Trigger.SCHEDULE
    )


@pytest.fixture
def control():
    """What one uninterrupted run of the same seeded sandbox counts (its own organisation's
    window, a day earlier on the clock)."""
    sandbox = sandbox_build(validate=False)
    integration = sandbox_integration_create(sandbox, name="Control")
    sandbox.clock.freeze(at=time.time() - 86_400 * 2)
    run = run_all(integration)
    done = sync_run_execute(
        run_id=run.pk, transport=sandbox.transport, clock=SharedClock(sandbox.clock)
    )
    assert done.status == SyncRun.Status.SUCCEEDED
    result = counts(done), sandbox_invoices_verify(state=sandbox.state)
    integration.delete()
    return result


@pytest.mark.parametrize(
    "spent",
    [
        pytest.param(47, id="payments-let-the-refusal-through"),
        pytest.param(50, id="invoices-settled-and-stopped"),
        pytest.param(59, id="contacts-leave-their-batch-to-the-repair"),
    ],
)
def test_a_run_the_governor_would_keep_waiting_gives_its_worker_back(
    spent, control, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued = []
    monkeypatch.setattr(
        "syncapp.services.runs.sync_run_enqueue", lambda *, run_id: enqueued.append(run_id)
    )
    large_sandbox = sandbox_build(validate=False)
    large_sandbox.clock.freeze()
    # The policy every worker's run has (sync_run_task passes no clock), on the simulated one.
    clock = WorkerClock(SharedClock(large_sandbox.clock))
    large = sandbox_integration_create(large_sandbox, name="Large")
    small_sandbox = sandbox_build(seed=1, validate=False)
    small = sandbox_integration_create(small_sandbox, name="Small")
    xero_minute_use(large, sandbox=large_sandbox, clock=clock, calls=spent)

    with django_capture_on_commit_callbacks(execute=True):
        waiting = sync_run_execute(
            run_id=run_all(large).pk, transport=large_sandbox.transport, clock=clock
        )

    assert waiting.status == SyncRun.Status.QUEUED
    now = datetime.fromtimestamp(clock.time(), tz=UTC)
    assert now + timedelta(seconds=30) < waiting.due_at <= now + timedelta(seconds=62)
    assert "rate limit" in waiting.note and "resumes by itself at" in waiting.note
    assert f"{waiting.due_at:%H:%M:%S} UTC" in waiting.note
    assert lease_holder(integration_id=large.pk) is None, "the lease is free for the next run"
    assert waiting.counters["waits"] == 1
    failed = SyncLink.objects.filter(integration=large, state=SyncLink.State.FAILED)
    assert not failed.exists(), "a wait is not a record's failure"
    wake = Schedule.objects.get(name=f"hxsync run {waiting.pk} resumes")
    assert wake.schedule_type == Schedule.ONCE and wake.next_run == waiting.due_at
    assert wake.func == "syncapp.tasks.sync_run_task" and wake.args == repr((waiting.pk,))
    assert waiting.pk not in enqueued, "not handed out again before it is due"

    # Not yet due: nobody claims it, not a worker, not the watchdog.
    assert (
        sync_run_execute(run_id=waiting.pk, transport=large_sandbox.transport, clock=clock) is None
    )
    SyncRun.objects.filter(pk=waiting.pk).update(
        created_at=datetime.now(tz=UTC) - timedelta(minutes=5),
        due_at=datetime.now(tz=UTC) + timedelta(minutes=5),
    )
    assert runs_watchdog()["kicked"] == []
    SyncRun.objects.filter(pk=waiting.pk).update(due_at=waiting.due_at)

    # Meanwhile the worker serves another organisation.
    other = sync_run_execute(
        run_id=run_all(small).pk, transport=small_sandbox.transport, clock=clock
    )
    assert other.status == SyncRun.Status.SUCCEEDED
    waiting.refresh_from_db()
    assert waiting.status == SyncRun.Status.QUEUED

    clock.inner.sleep(65)  # the minute passes
    done = sync_run_execute(run_id=waiting.pk, transport=large_sandbox.transport, clock=clock)

    assert done.pk == waiting.pk and done.status == SyncRun.Status.SUCCEEDED, done.error
    assert done.note == "" and done.due_at is None
    control_counts, control_verified = control
    assert counts(done) == control_counts, "each record counted once over both passes"
    assert done.counters["waits"] == 1
    assert "stopped" not in done.counters["invoices"]
    verified = sandbox_invoices_verify(state=large_sandbox.state)
    assert verified["duplicates"] == 0
    assert verified == control_verified, "Xero holds what an uninterrupted run leaves there"
    assert lease_holder(integration_id=large.pk) is None


def test_the_watchdog_hands_out_a_waiting_run_once_it_is_due(monkeypatch):
    enqueued = []
    monkeypatch.setattr(
        "syncapp.services.runs.sync_run_enqueue", lambda *, run_id: enqueued.append(run_id)
    )
    sandbox = sandbox_build(validate=False)
    integration = sandbox_integration_create(sandbox)
    past = datetime.now(tz=UTC) - timedelta(minutes=5)
    run = run_all(integration)
    SyncRun.objects.filter(pk=run.pk).update(
        created_at=past, due_at=datetime.now(tz=UTC) + timedelta(seconds=30)
    )
    assert runs_watchdog()["kicked"] == [] and enqueued == []
    SyncRun.objects.filter(pk=run.pk).update(due_at=datetime.now(tz=UTC) - timedelta(seconds=1))
    assert runs_watchdog()["kicked"] == [run.pk] and enqueued == [run.pk]


def test_a_worker_sleeps_in_place_only_briefly_and_never_past_its_heartbeat(settings):
    from syncapp.providers.clock import SimulatedClock
    from syncapp.providers.errors import GovernorWouldWait

    inner = SimulatedClock(start=0)
    assert WorkerClock(inner).max_sleep == 15  # Harvest's 15-second window fits
    settings.HXSYNC_RUN_TIMEOUT_SECONDS = 6
    clock = WorkerClock(inner)
    clock.sleep(2)
    assert inner.slept == 2
    with pytest.raises(GovernorWouldWait) as refused:
        clock.sleep(2.5)
    assert refused.value.seconds == 2.5 and inner.slept == 2

"""A scoped run (resync, webhook, released conflict) whose worker dies is asked for again: the
unscoped runs after it read by cursor and would never revisit its records (found by bench chaos:
a released client's invoices stayed held for good after its run was SIGKILLed)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from syncapp.models import Connection, IntegrationLease, SyncRun
from syncapp.services.runs import runs_watchdog, sync_run_execute
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.django_db

SCOPE = {"harvest_client_ids": ["5735007"]}


@pytest.fixture(autouse=True)
def no_task_queue(monkeypatch):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")


@pytest.fixture
def integration():
    integration = IntegrationFactory(name="Northwind")
    ConnectionFactory(integration=integration, provider=Connection.Provider.HARVEST)
    ConnectionFactory(integration=integration, provider=Connection.Provider.XERO)
    return integration


def dead_run(integration, *, scope):
    silent_since = timezone.now() - timedelta(minutes=10)
    return SyncRun.objects.create(
        integration=integration,
        flow=SyncRun.Flow.ALL,
        trigger=SyncRun.Trigger.RESYNC,
        scope=scope,
        status=SyncRun.Status.RUNNING,
        started_at=silent_since,
        heartbeat_at=silent_since,
    )


def test_a_dead_scoped_run_is_asked_for_again_once(integration):
    dead = dead_run(integration, scope=SCOPE)
    runs_watchdog()
    runs_watchdog()  # a second watchdog (another process) does not ask twice

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED
    again = SyncRun.objects.exclude(pk=dead.pk).get()
    assert again.status == SyncRun.Status.QUEUED
    assert (again.flow, again.trigger, again.scope) == (dead.flow, dead.trigger, SCOPE)


def test_a_dead_unscoped_run_needs_no_copy(integration):
    dead = dead_run(integration, scope={})
    runs_watchdog()
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.ABANDONED
    assert SyncRun.objects.count() == 1  # the next poll or "Sync now" reads by cursor


def losing_flow(ctx):
    # Another run took the lease while this one was silent: its next beat must stop it.
    IntegrationLease.objects.filter(integration_id=ctx.run.integration_id).update(run=None)
    ctx.recorder.heartbeat.beat(force=True)


@override_settings(HXSYNC_RUN_TIMEOUT_SECONDS=3, HXSYNC_RUN_HEARTBEAT_SECONDS=0.5)
def test_a_scoped_run_that_lost_its_lease_is_asked_for_again(integration, replace_flow_runner):
    replace_flow_runner("contacts", "tests.syncapp.test_runs_abandoned_scope.losing_flow")
    run = SyncRun.objects.create(integration=integration, flow=SyncRun.Flow.CONTACTS, scope=SCOPE)
    finished = sync_run_execute(run_id=run.pk)

    assert finished.status == SyncRun.Status.ABANDONED
    assert "lost the integration's lease" in finished.error
    again = SyncRun.objects.exclude(pk=run.pk).get()
    assert (again.status, again.flow, again.scope) == (SyncRun.Status.QUEUED, "contacts", SCOPE)

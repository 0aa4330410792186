"""The fallback poll: every 8 minutes without webhooks (a Starter organisation's day allows it),
every 2 hours with them (a catch-up only); both settings."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from syncapp.flows.payments.schedule import (
    payments_cadence_text,
    payments_poll_due,
    poll_minutes,
)
from syncapp.models import SyncRun
from syncapp.schedules import SCHEDULES, schedules_ensure
from syncapp.services.polls import flow_poll_request

pytestmark = pytest.mark.django_db


def test_the_poll_is_in_the_schedule_list_and_installed():
    assert ("hxsync: polls", "syncapp.tasks.flows_poll_task", 1) in SCHEDULES
    from django_q.models import Schedule

    # An entry of an earlier version is replaced, not left to run beside the new one.
    Schedule.objects.create(name="hxsync: payments fallback poll", func="x", minutes=1)
    schedules_ensure()
    assert Schedule.objects.get(name="hxsync: polls").minutes == 1
    assert not Schedule.objects.filter(name="hxsync: payments fallback poll").exists()


def test_poll_cadence_depends_on_webhooks(sandbox_integration):
    assert poll_minutes(integration=sandbox_integration) == 8
    assert payments_cadence_text(sandbox_integration) == (
        "Payments reach Harvest within 8 minutes; with Xero webhooks it is seconds."
    )
    sandbox_integration.xero_webhook_key = "k"
    assert poll_minutes(integration=sandbox_integration) == 120
    assert "within seconds" in payments_cadence_text(sandbox_integration)
    sandbox_integration.xero_webhook_key = ""
    with override_settings(XERO_WEBHOOK_KEY="install-wide"):
        assert poll_minutes(integration=sandbox_integration) == 120
    with override_settings(PAYMENTS_POLL_MINUTES=5):
        assert poll_minutes(integration=sandbox_integration) == 5
        assert "within 5 minutes" in payments_cadence_text(sandbox_integration)


def test_without_webhooks_payments_are_polled_as_often_as_the_day_allows(sandbox_integration):
    xero = sandbox_integration.connections.get(provider="xero")
    assert xero.xero_tier == xero.XeroTier.STARTER
    assert poll_minutes(integration=sandbox_integration) == 8  # 180 of 1,000 calls a day
    xero.xero_tier = xero.XeroTier.PAID
    xero.save()
    assert poll_minutes(integration=sandbox_integration) == 2
    assert "within 2 minutes" in payments_cadence_text(sandbox_integration)


def test_poll_request_queues_one_run_per_due_integration(sandbox_integration, monkeypatch):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")
    assert payments_poll_due(integration=sandbox_integration)
    queued = flow_poll_request(name="payments")
    run = SyncRun.objects.get(pk=queued[0])
    assert (run.flow, run.trigger) == (SyncRun.Flow.PAYMENTS, SyncRun.Trigger.SCHEDULE)
    assert flow_poll_request(name="payments") == []  # already queued, and not due again yet
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, created_at=timezone.now() - timedelta(seconds=8 * 60 - 2)
    )
    assert payments_poll_due(integration=sandbox_integration)  # a schedule tick may come early


def test_paused_or_disconnected_integrations_are_not_polled(sandbox_integration, monkeypatch):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")
    sandbox_integration.is_active = False
    sandbox_integration.save()
    assert flow_poll_request(name="payments") == []
    sandbox_integration.is_active = True
    sandbox_integration.save()
    sandbox_integration.connections.filter(provider="xero").update(status="needs_reauth")
    assert flow_poll_request(name="payments") == []


def test_a_webhook_run_whose_worker_died_is_closed_so_polls_resume(sandbox_integration):
    stale = SyncRun.objects.create(
        integration=sandbox_integration,
        flow=SyncRun.Flow.PAYMENTS,
        trigger=SyncRun.Trigger.WEBHOOK,
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=11),
    )
    queued = flow_poll_request(name="payments")
    stale.refresh_from_db()
    assert stale.status == SyncRun.Status.ABANDONED
    assert queued and queued[0] != stale.pk

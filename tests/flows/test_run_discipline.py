"""The engine's promises, on the seeded sandbox: a dry run counts what the real run then does,
a fresh install's first run holds no invoice for "contacts not there yet", work a contacts run
releases is queued at once, and a contact webhook queues a contacts run."""

import pytest
from django.utils import timezone

from syncapp.models import SyncLink, SyncRun, WebhookEvent
from syncapp.providers.clock import SimulatedClock
from syncapp.services.polls import flow_poll_request
from syncapp.services.runs import sync_run_execute
from syncapp.services.webhook_runs import webhook_events_process
from tests.flows.conftest import flow_run

pytestmark = pytest.mark.django_db

COUNTED = ("created", "updated", "linked", "conflicts", "failed", "held", "voided")


def counts(run: SyncRun) -> dict:
    return {
        name: {key: run.counters[name].get(key, 0) for key in COUNTED}
        for name in run.counters["flows_run"]
    }


def test_a_dry_run_counts_what_the_real_run_then_does(sandbox, sandbox_integration):
    preview = flow_run(
        sandbox_integration, "all", sandbox=sandbox, dry_run=True, clock=SimulatedClock()
    )
    assert not SyncLink.objects.exists(), "a dry run writes no ledger row"
    real = flow_run(sandbox_integration, "all", sandbox=sandbox, clock=SimulatedClock())
    assert real.counters["invoices"]["created"] > 0
    assert counts(preview) == counts(real)


def test_first_poll_on_a_fresh_install_runs_contacts_before_invoices(
    sandbox, sandbox_integration, monkeypatch
):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")
    [run_id] = flow_poll_request(name="invoices")
    run = SyncRun.objects.get(pk=run_id)
    assert run.flow == SyncRun.Flow.ALL  # contacts never ran: everything, in order
    done = sync_run_execute(run_id=run_id, transport=sandbox.transport, clock=SimulatedClock())
    assert done.counters["flows_run"][:2] == ["contacts", "invoices"]
    waiting_for_contacts = SyncLink.objects.filter(
        kind="invoice", state=SyncLink.State.HELD, last_error__icontains="contacts run first"
    )
    assert not waiting_for_contacts.exists()
    assert done.counters["invoices"]["created"] > 0
    # Once contacts have completed, an invoices poll asks for invoices alone.
    SyncRun.objects.filter(pk=run_id).update(
        created_at=timezone.now() - timezone.timedelta(hours=1)
    )
    [later] = flow_poll_request(name="invoices")
    assert SyncRun.objects.get(pk=later).flow == SyncRun.Flow.INVOICES


def test_a_contacts_run_queues_the_invoices_that_waited_for_its_clients(
    sandbox, sandbox_integration, monkeypatch
):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")
    clock = SimulatedClock()
    held = flow_run(sandbox_integration, "invoices", sandbox=sandbox, clock=clock)
    assert held.counters["invoices"]["held"] > 0  # no contacts yet: the invoices wait
    flow_run(sandbox_integration, "contacts", sandbox=sandbox, clock=clock)
    follow = SyncRun.objects.get(status=SyncRun.Status.QUEUED, flow=SyncRun.Flow.INVOICES)
    assert follow.trigger == SyncRun.Trigger.RESYNC and follow.scope["harvest_client_ids"]
    done = sync_run_execute(run_id=follow.pk, transport=sandbox.transport, clock=clock)
    assert done.counters["invoices"]["created"] > 0
    released = SyncLink.objects.filter(
        kind="invoice",
        snapshot__harvest__client__id__in=[int(c) for c in follow.scope["harvest_client_ids"]],
    )
    assert not released.filter(state=SyncLink.State.HELD, last_error__icontains="contacts").exists()


def test_a_contact_webhook_queues_a_contacts_run(sandbox_integration, monkeypatch):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")
    event = WebhookEvent.objects.create(
        integration=sandbox_integration,
        dedupe_key="k1",
        tenant_id="t",
        event_category="CONTACT",
        event_type="UPDATE",
        resource_id="c-1",
        payload={},
    )
    assert webhook_events_process(event_ids=[event.pk]) == {
        "processed": 1,
        "ignored": 0,
        "failed": 0,
        "waiting": 0,
    }
    run = SyncRun.objects.get()
    assert (run.flow, run.trigger, run.status) == ("contacts", "webhook", "queued")
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PROCESSED

"""Crashes, lost responses and Xero's unique-name rule: never a duplicate, never a raw error."""

from __future__ import annotations

import hashlib

import pytest

from syncapp.models import Conflict, SyncLink, SyncRun
from syncapp.providers.xero.client import XeroClient
from syncapp.sandbox.core.faults import FaultPlan
from tests.flows.conftest import sandbox_build, sandbox_integration_create
from tests.flows.contacts.helpers import (
    active_names_in_xero,
    api_clients,
    contacts_run,
    references_in_xero,
    summary,
)

pytestmark = pytest.mark.django_db

CONTACTS_PUT = "PUT /api.xero.com/api.xro/2.0/Contacts"


# The seeded agency: 30 active clients, plus 3 archived ones whose invoices still go to Xero
# (their contacts are made on the first run, so those invoices do not wait).
ARCHIVED_WITH_INVOICES = 3
CLIENTS = 30 + ARCHIVED_WITH_INVOICES

def more_clients(integration, sandbox, count):
    with api_clients(integration, sandbox) as (harvest, _):
        for n in range(count):
            # Unalike names: numbered ones would rightly look like near-duplicates of each other.
            tag = hashlib.sha256(str(n).encode()).hexdigest()[:12]
            harvest.create_client(name=f"Client {tag}", currency="USD")


def expected_clients(sandbox):
    return {cid for cid, c in sandbox.state.harvest.clients.items() if c["is_active"]}


def test_crash_after_a_batch_was_written_then_rerun_leaves_no_duplicate(
    sandbox, sandbox_integration, monkeypatch
):
    more_clients(sandbox_integration, sandbox, 60)  # 90 creates: two batches (50 + 40)
    original = XeroClient.create_contacts
    calls = []

    def written_then_crash(self, **kwargs):
        result = original(self, **kwargs)
        calls.append(len(kwargs["contacts"]))
        if len(calls) == 1:
            raise RuntimeError("worker killed after Xero applied the batch")
        return result

    monkeypatch.setattr(XeroClient, "create_contacts", written_then_crash)
    crashed, _ = contacts_run(sandbox_integration, sandbox)
    assert crashed.status == SyncRun.Status.FAILED
    assert calls == [50]
    in_flight = SyncLink.objects.filter(state=SyncLink.State.SENDING, xero_id__isnull=True)
    assert in_flight.count() == 50  # outcome unknown to the ledger, but Xero holds them

    monkeypatch.setattr(XeroClient, "create_contacts", original)
    run, _ = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)
    assert counts["linked"] == 50  # found again by their ContactNumber, not created twice
    assert counts["created"] == 40 + ARCHIVED_WITH_INVOICES
    refs = references_in_xero(sandbox)
    assert max(refs.values()) == 1
    assert not SyncLink.objects.filter(state=SyncLink.State.SENDING).exists()
    assert max(active_names_in_xero(sandbox).values()) == 1

    again, transport = contacts_run(sandbox_integration, sandbox)
    assert transport.writes == [] and summary(again)["created"] == 0


def test_crash_before_settling_a_batch_is_repaired_too(sandbox, sandbox_integration, monkeypatch):
    from syncapp.flows.contacts import apply as apply_module

    original = apply_module.links_settle
    state = {"crashed": False}

    def settle_then_die(*, outcomes):
        if not state["crashed"] and any(o.xero_id for o in outcomes):
            state["crashed"] = True
            raise RuntimeError("database connection lost after the Xero answer")
        return original(outcomes=outcomes)

    monkeypatch.setattr(apply_module, "links_settle", settle_then_die)
    assert contacts_run(sandbox_integration, sandbox)[0].status == SyncRun.Status.FAILED
    monkeypatch.setattr(apply_module, "links_settle", original)
    counts = summary(contacts_run(sandbox_integration, sandbox)[0])
    assert counts["created"] == 0 and counts["linked"] == CLIENTS
    assert max(references_in_xero(sandbox).values()) == 1


def test_lost_response_is_resent_with_the_same_key_and_not_duplicated(db):
    faults = FaultPlan(seed=1)
    faults.script(CONTACTS_PUT, "lost_response")
    sandbox = sandbox_build(faults=faults)
    integration = sandbox_integration_create(sandbox)
    counts = summary(contacts_run(integration, sandbox)[0])
    assert [f.kind for f in faults.injected] == ["lost_response"]
    assert counts["created"] == CLIENTS and counts["failed"] == 0
    assert max(references_in_xero(sandbox).values()) == 1


def test_responses_lost_until_the_client_gives_up_then_rerun(db):
    faults = FaultPlan(seed=2)
    faults.script(CONTACTS_PUT, *["lost_response"] * 5)
    sandbox = sandbox_build(faults=faults)
    integration = sandbox_integration_create(sandbox)
    first = summary(contacts_run(integration, sandbox)[0])
    assert first["created"] == 0 and first["failed"] == CLIENTS  # the run completes, records failed
    assert SyncLink.objects.filter(state=SyncLink.State.SENDING).count() == CLIENTS
    second = summary(contacts_run(integration, sandbox)[0])
    assert second["linked"] == CLIENTS and second["created"] == 0
    assert max(references_in_xero(sandbox).values()) == 1


def test_unique_name_rule_becomes_a_conflict_not_an_error(sandbox, sandbox_integration):
    # Harvest's client names are case-sensitive, Xero's unique-name rule is not: the same
    # customer billed in two currencies can exist twice in Harvest but only once in Xero.
    with api_clients(sandbox_integration, sandbox) as (harvest, _):
        harvest.create_client(name="Nordic Design", currency="USD")
        harvest.create_client(name="NORDIC DESIGN", currency="EUR")
    counts = summary(contacts_run(sandbox_integration, sandbox)[0])
    assert counts["failed"] == 0
    conflict = Conflict.objects.get(reason=Conflict.Reason.NAME_TAKEN)
    assert conflict.label == "NORDIC DESIGN"
    assert "already" in conflict.detail
    holder = conflict.candidates[0]
    assert holder["name"] == "Nordic Design" and holder["currency"] == "USD"
    assert SyncLink.objects.get(harvest_id=conflict.harvest_id).state == SyncLink.State.CONFLICT
    assert active_names_in_xero(sandbox)["nordic design"] == 1


def test_a_rename_onto_a_taken_name_waits_in_review_without_looping(sandbox, sandbox_integration):
    summary(contacts_run(sandbox_integration, sandbox)[0])
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    sandbox.clock.advance(60)
    with api_clients(sandbox_integration, sandbox) as (harvest, _):
        harvest.update_client(client_id=int(link.harvest_id), name="Office Depot")  # a supplier
    sandbox.clock.advance(60)
    counts = summary(contacts_run(sandbox_integration, sandbox)[0])
    assert counts["failed"] == 0 and counts["conflicts"] == 1
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    assert conflict.reason == Conflict.Reason.NAME_TAKEN
    assert conflict.candidates[0]["field"] == "name"
    sandbox.clock.advance(60)
    run, transport = contacts_run(sandbox_integration, sandbox)
    assert transport.writes == [] and summary(run)["conflicts"] == 0
    link.refresh_from_db()
    assert link.state == SyncLink.State.SYNCED and link.xero_id  # invoices can still use it


def test_a_rename_in_xero_that_harvest_refuses_waits_in_review(sandbox, sandbox_integration):
    summary(contacts_run(sandbox_integration, sandbox)[0])
    first = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    sandbox.clock.advance(60)
    with api_clients(sandbox_integration, sandbox) as (_, xero):
        # Free in Xero (its look-alike there is "Blue Fin Studios"), taken in Harvest.
        xero.update_contacts(
            contacts=[{"ContactID": first.xero_id, "Name": "Bluefin Studios"}],
            idempotency_key="rename-onto-harvest-name",
        )
    sandbox.clock.advance(60)
    counts = summary(contacts_run(sandbox_integration, sandbox)[0])
    assert counts["failed"] == 0 and counts["conflicts"] == 1
    conflict = Conflict.objects.get(harvest_id=first.harvest_id, status=Conflict.Status.OPEN)
    assert conflict.reason == Conflict.Reason.NAME_TAKEN and "Harvest" in conflict.detail
    sandbox.clock.advance(60)
    run, transport = contacts_run(sandbox_integration, sandbox)
    assert transport.writes == [] and summary(run)["conflicts"] == 0
    first.refresh_from_db()
    assert first.state == SyncLink.State.SYNCED

"""Resolving contact conflicts through the services, then syncing: what each resolution does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syncapp.flows.contacts.links import contact_link_for_client
from syncapp.models import Conflict, SyncLink, SyncRun
from syncapp.services.conflicts import (
    ConflictResolutionError,
    conflict_create_new,
    conflict_ignore,
    conflict_link,
    conflict_take_side,
    conflicts_resolve_bulk,
)
from tests.factories import UserFactory
from tests.flows.contacts.helpers import api_clients, contacts_run, references_in_xero, summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(sandbox, sandbox_integration):
    summary(contacts_run(sandbox_integration, sandbox)[0])
    # The first run chains an invoices run for the clients it put in Xero; the tests below look
    # at what resolving a conflict queues, so that one is taken out of the way.
    follow = SyncRun.objects.get(status=SyncRun.Status.QUEUED)
    assert (follow.flow, follow.trigger) == (SyncRun.Flow.INVOICES, SyncRun.Trigger.RESYNC)
    follow.delete()
    sandbox.clock.advance(timedelta(minutes=1))
    return sandbox_integration


def conflict_named(name):
    return Conflict.objects.get(label=name, status=Conflict.Status.OPEN)


def test_link_releases_the_client_and_queues_contacts_and_invoices(sandbox, synced):
    user = UserFactory(username="fiona", finance=True)
    conflict = conflict_named("Acme Corporation")
    contact_id = conflict.candidates[0]["contact_id"]
    assert (
        contact_link_for_client(integration=synced, harvest_client_id=conflict.harvest_id)[0]
        is None
    )

    conflict_link(conflict=conflict, xero_contact_id=contact_id, user=user)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.resolved_by) == (
        Conflict.Status.RESOLVED,
        Conflict.Resolution.LINK,
        user,
    )
    assert contact_link_for_client(integration=synced, harvest_client_id=conflict.harvest_id) == (
        contact_id,
        None,
    )
    # One run for just this client: its contact, then the invoices that waited for it.
    queued = SyncRun.objects.get(status=SyncRun.Status.QUEUED, trigger=SyncRun.Trigger.RESYNC)
    assert (queued.flow, queued.scope) == ("all", {"harvest_client_ids": [conflict.harvest_id]})

    counts = summary(contacts_run(synced, sandbox)[0])
    assert counts["conflicts"] == 0 and counts["created"] == 0
    contact = sandbox.state.xero.contacts[contact_id]
    assert contact["Name"] == "ACME Corp."  # finance's name kept: a link never renames
    assert contact["ContactNumber"] == f"HARVEST-{conflict.harvest_id}"
    assert SyncLink.objects.get(harvest_id=conflict.harvest_id).state == SyncLink.State.SYNCED


def test_link_to_the_archived_twin_restores_it(sandbox, synced):
    twin = sandbox.state.xero.seed_info["archived_twin"]
    conflict = conflict_named(twin["name"])
    conflict_link(conflict=conflict, xero_contact_id=twin["contact_id"])
    summary(contacts_run(synced, sandbox)[0])
    assert sandbox.state.xero.contacts[twin["contact_id"]]["ContactStatus"] == "ACTIVE"
    assert SyncLink.objects.get(harvest_id=conflict.harvest_id).snapshot.get("restore") is None


def test_create_new_creates_beside_the_lookalike(sandbox, synced):
    conflict = conflict_named("Bluefin Studios")
    conflict_create_new(conflict=conflict)
    counts = summary(contacts_run(synced, sandbox)[0])
    assert counts["created"] == 1
    link = SyncLink.objects.get(harvest_id=conflict.harvest_id)
    assert sandbox.state.xero.contacts[link.xero_id]["Name"] == "Bluefin Studios"
    assert references_in_xero(sandbox)[f"HARVEST-{conflict.harvest_id}"] == 1


def test_ignore_keeps_the_client_out_and_its_invoices_waiting(sandbox, synced):
    conflict = conflict_named("Harbor View Hotels")
    conflict_ignore(conflict=conflict)
    assert not SyncRun.objects.filter(status=SyncRun.Status.QUEUED).exists()
    run, transport = contacts_run(synced, sandbox)
    assert transport.writes == []
    xero_id, reason = contact_link_for_client(
        integration=synced, harvest_client_id=conflict.harvest_id
    )
    assert xero_id is None and "ignore" in reason


def test_take_xero_value_for_a_field_changed_on_both_sides(sandbox, synced):
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    with api_clients(synced, sandbox) as (harvest, xero):
        harvest.update_client(client_id=int(link.harvest_id), name="Harvest Spelling")
        xero.update_contacts(
            contacts=[{"ContactID": link.xero_id, "Name": "Xero Spelling"}],
            idempotency_key="test-take-xero",
        )
    sandbox.clock.advance(timedelta(minutes=1))
    summary(contacts_run(synced, sandbox)[0])
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    with pytest.raises(ConflictResolutionError):
        conflict_link(conflict=conflict, xero_contact_id=link.xero_id)
    conflict_take_side(conflict=conflict, side="xero")
    counts = summary(contacts_run(synced, sandbox)[0])
    assert counts["updated"] == 1
    assert sandbox.state.harvest.clients[int(link.harvest_id)]["name"] == "Xero Spelling"
    sandbox.clock.advance(timedelta(minutes=1))
    run, transport = contacts_run(synced, sandbox)
    assert (
        transport.writes == []
        and not Conflict.objects.filter(
            status=Conflict.Status.OPEN, harvest_id=link.harvest_id
        ).exists()
    )


def test_bulk_link_best_and_refusals(sandbox, synced):
    open_conflicts = list(Conflict.objects.filter(status=Conflict.Status.OPEN))
    outcome = conflicts_resolve_bulk(conflicts=open_conflicts, action="link_best")
    assert outcome.resolved == len(open_conflicts) and not outcome.errors
    [run] = outcome.runs
    assert run.flow == "all"
    assert sorted(run.scope["harvest_client_ids"]) == sorted(c.harvest_id for c in open_conflicts)
    counts = summary(contacts_run(synced, sandbox)[0])
    assert counts["conflicts"] == 0 and counts["created"] == 0 and counts["failed"] == 0
    assert not SyncLink.objects.filter(state=SyncLink.State.CONFLICT).exists()
    assert not Conflict.objects.filter(status=Conflict.Status.OPEN).exists()
    # Resolving twice is refused with a reason.
    again = conflicts_resolve_bulk(conflicts=open_conflicts[:1], action="ignore")
    assert again.resolved == 0 and "already" in again.errors[0]


def test_a_contact_linked_elsewhere_cannot_be_linked_again(synced):
    taken = SyncLink.objects.filter(state=SyncLink.State.SYNCED).first()
    conflict = conflict_named("Orchid Health")
    conflict.candidates = [*conflict.candidates, {"contact_id": taken.xero_id, "name": "Taken"}]
    conflict.save()
    with pytest.raises(ConflictResolutionError, match="already linked"):
        conflict_link(conflict=conflict, xero_contact_id=taken.xero_id)
    with pytest.raises(ConflictResolutionError, match="not one of"):
        conflict_link(conflict=conflict, xero_contact_id="not-a-candidate")


def test_contacts_poll_queues_one_run_per_connected_integration(sandbox_integration):
    from syncapp.schedules import SCHEDULES
    from syncapp.services.polls import flow_poll_request
    from tests.factories import IntegrationFactory

    IntegrationFactory(name="Not connected")
    first = flow_poll_request(name="contacts")
    assert len(first) == 1
    assert SyncRun.objects.get(pk=first[0]).trigger == SyncRun.Trigger.SCHEDULE
    assert flow_poll_request(name="contacts", check_due=False) == []  # queued: not twice
    assert SyncRun.objects.count() == 1
    assert ("hxsync: polls", "syncapp.tasks.flows_poll_task", 1) in SCHEDULES


def test_leave_both_as_they_are_keeps_syncing_the_other_fields(sandbox, synced):
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    with api_clients(synced, sandbox) as (harvest, xero):
        harvest.update_client(client_id=int(link.harvest_id), name="Harvest Spelling")
        xero.update_contacts(
            contacts=[{"ContactID": link.xero_id, "Name": "Xero Spelling"}],
            idempotency_key="test-keep",
        )
    sandbox.clock.advance(timedelta(minutes=1))
    summary(contacts_run(synced, sandbox)[0])
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    assert conflict.detail.startswith("Changed in both Harvest and Xero")
    conflict_ignore(conflict=conflict)
    run, transport = contacts_run(synced, sandbox)
    assert transport.writes == [] and summary(run)["conflicts"] == 0
    assert sandbox.state.harvest.clients[int(link.harvest_id)]["name"] == "Harvest Spelling"
    assert sandbox.state.xero.contacts[link.xero_id]["Name"] == "Xero Spelling"
    # Later changes still flow: the client is not left out.
    with api_clients(synced, sandbox) as (harvest, _):
        person = next(p for p in harvest.list_contacts(client_id=int(link.harvest_id)))
        harvest.update_contact(contact_id=person.id, email="later@example.com")
    sandbox.clock.advance(timedelta(minutes=1))
    assert summary(contacts_run(synced, sandbox)[0])["updated"] == 1
    assert sandbox.state.xero.contacts[link.xero_id]["EmailAddress"] == "later@example.com"
    assert contact_link_for_client(integration=synced, harvest_client_id=link.harvest_id) == (
        link.xero_id,
        None,
    )


def test_a_retry_after_finance_freed_the_name_is_not_answered_from_the_old_refusal(sandbox, synced):
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    with api_clients(synced, sandbox) as (harvest, _):
        harvest.update_client(client_id=int(link.harvest_id), name="Office Depot")
    sandbox.clock.advance(timedelta(minutes=1))
    summary(contacts_run(synced, sandbox)[0])
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    assert conflict.reason == Conflict.Reason.NAME_TAKEN
    supplier = next(c for c in sandbox.state.xero.contacts.values() if c["Name"] == "Office Depot")
    with api_clients(synced, sandbox) as (_, xero):
        xero.update_contacts(
            contacts=[{"ContactID": supplier["ContactID"], "Name": "Office Depot Inc"}],
            idempotency_key="free-the-name",
        )
    conflict_take_side(conflict=conflict, side="harvest")
    counts = summary(contacts_run(synced, sandbox)[0])
    assert counts["updated"] == 1 and counts["conflicts"] == 0
    assert sandbox.state.xero.contacts[link.xero_id]["Name"] == "Office Depot"

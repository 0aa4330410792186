"""Clients -> contacts end to end against the seeded sandbox: first sync, conflicts for the
seeded near-duplicates, a second run that writes nothing, dry run, changes both ways, cursors."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

import pytest
from django.core.management import call_command

from syncapp.flows.contacts.links import contact_link_for_client
from syncapp.models import Conflict, Cursor, SyncLink
from syncapp.services.runs import sync_run_execute
from tests.flows.contacts.helpers import (
    RecordingTransport,
    api_clients,
    contacts_run,
    references_in_xero,
    summary,
)

pytestmark = pytest.mark.django_db


def seeded(sandbox):
    harvest = sandbox.state.harvest
    active = {cid for cid, c in harvest.clients.items() if c["is_active"]}
    near = {e["harvest_client_id"]: e for e in sandbox.state.xero.seed_info["near_duplicates"]}
    twin = sandbox.state.xero.seed_info["archived_twin"]
    return active, near, twin


def test_first_sync_creates_links_and_queues_the_near_duplicates(sandbox, sandbox_integration):
    active, near, twin = seeded(sandbox)
    contacts_before = len(sandbox.state.xero.contacts)
    run, transport = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)

    open_conflicts = {c.harvest_id: c for c in Conflict.objects.filter(status=Conflict.Status.OPEN)}
    # Every seeded near-duplicate waits in review, with its Xero twin as the first candidate.
    for client_id, entry in near.items():
        conflict = open_conflicts[str(client_id)]
        assert conflict.candidates[0]["contact_id"] == entry["contact_id"], conflict.detail
        assert conflict.candidates[0]["reasons"]
    # The archived twin is a candidate, never silently duplicated.
    twin_client = next(
        cid for cid, c in sandbox.state.harvest.clients.items() if c["name"] == twin["name"]
    )
    assert open_conflicts[str(twin_client)].candidates[0]["status"] == "ARCHIVED"
    assert len(open_conflicts) == len(near) + 1 == counts["conflicts"]

    # Archived clients whose invoices still go to Xero get their contact on the first run too.
    owing = {
        inv["_client_id"]
        for inv in sandbox.state.harvest.invoices.values()
        if inv["state"] in ("open", "paid")
    }
    archived_owing = {c for c in owing if c not in active and str(c) not in open_conflicts}
    assert archived_owing, "the seed has archived clients with invoices"
    expected_creates = len(active) - len(open_conflicts) + len(archived_owing)
    assert counts["created"] == expected_creates
    assert len(sandbox.state.xero.contacts) == contacts_before + expected_creates
    assert set(references_in_xero(sandbox).values()) == {1}
    # Batches of up to 50: one PUT for these creates, nothing else written.
    puts = [r for r in transport.writes if r[0] == "PUT"]
    assert len(puts) == -(-expected_creates // 50)
    assert transport.writes == puts

    synced = SyncLink.objects.filter(state=SyncLink.State.SYNCED)
    assert synced.count() == expected_creates
    link = synced.first()
    assert contact_link_for_client(
        integration=sandbox_integration, harvest_client_id=link.harvest_id
    ) == (link.xero_id, None)
    waiting_id, reason = contact_link_for_client(
        integration=sandbox_integration, harvest_client_id=next(iter(near))
    )
    assert waiting_id is None and "review" in reason
    created = sandbox.state.xero.contacts[link.xero_id]
    assert created["ContactNumber"] == f"HARVEST-{link.harvest_id}"
    assert created["Addresses"][0]["AddressType"] == "POBOX"
    assert created["EmailAddress"].startswith("accounts@")


def test_second_run_changes_nothing_and_writes_nothing(sandbox, sandbox_integration):
    summary(contacts_run(sandbox_integration, sandbox)[0])
    before = {k: dict(v) for k, v in sandbox.state.xero.contacts.items()}
    links_before = list(
        SyncLink.objects.order_by("pk").values("pk", "state", "payload_hash", "snapshot")
    )
    sandbox.clock.advance(timedelta(minutes=5))
    run, transport = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)
    assert transport.writes == []
    assert (
        counts["created"],
        counts["updated"],
        counts["linked"],
        counts["conflicts"],
        counts["failed"],
    ) == (0, 0, 0, 0, 0)
    assert sandbox.state.xero.contacts == before
    assert (
        list(SyncLink.objects.order_by("pk").values("pk", "state", "payload_hash", "snapshot"))
        == links_before
    )
    assert counts["full_xero_read"] is False  # cursors: only what changed was read
    # Three watermarks, and when Xero's contacts were last read (idle polls read them less often).
    streams = set(
        Cursor.objects.filter(integration=sandbox_integration).values_list("stream", flat=True)
    )
    assert streams == {"harvest.clients", "harvest.contacts", "xero.contacts", "xero.contacts.read"}


def test_dry_run_counts_what_would_happen_and_writes_nothing(sandbox, sandbox_integration):
    xero_before = {k: dict(v) for k, v in sandbox.state.xero.contacts.items()}
    run, transport = contacts_run(sandbox_integration, sandbox, dry_run=True)
    preview = summary(run)
    assert transport.writes == []
    assert sandbox.state.xero.contacts == xero_before
    assert not SyncLink.objects.exists() and not Conflict.objects.exists()
    assert not Cursor.objects.exists()
    assert run.events.filter(message__startswith="Would create").count() == preview["created"]

    real = summary(contacts_run(sandbox_integration, sandbox)[0])
    for key in ("created", "updated", "linked", "conflicts", "failed", "skipped"):
        assert preview[key] == real[key], key


def test_changes_flow_both_ways_and_a_double_edit_goes_to_review(sandbox, sandbox_integration):
    summary(contacts_run(sandbox_integration, sandbox)[0])
    links = list(SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id")[:3])
    a, b, c = links
    sandbox.clock.advance(timedelta(minutes=1))
    with api_clients(sandbox_integration, sandbox) as (harvest, xero):
        # a: e-mail changed in Harvest; b: contact person changed in Xero;
        # c: name changed on both sides to different values (name is "Ask finance" by default).
        person = next(p for p in harvest.list_contacts(client_id=int(a.harvest_id)))
        harvest.update_contact(contact_id=person.id, email="billing@new.example.com")
        xero.update_contacts(
            contacts=[{"ContactID": b.xero_id, "FirstName": "Zoë"}], idempotency_key="test-edit-b"
        )
        harvest.update_client(client_id=int(c.harvest_id), name="Renamed In Harvest")
        xero.update_contacts(
            contacts=[{"ContactID": c.xero_id, "Name": "Renamed In Xero"}],
            idempotency_key="test-edit-c",
        )
    sandbox.clock.advance(timedelta(minutes=1))
    run, transport = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)
    assert counts["updated"] == 2 and counts["conflicts"] == 1

    xero_state = sandbox.state.xero.contacts
    assert xero_state[a.xero_id]["EmailAddress"] == "billing@new.example.com"
    harvest_people = [
        p for p in sandbox.state.harvest.contacts.values() if str(p["_client_id"]) == b.harvest_id
    ]
    assert min(harvest_people, key=lambda p: p["id"])["first_name"] == "Zoë"
    assert sandbox.state.harvest.clients[int(c.harvest_id)]["name"] == "Renamed In Harvest"
    assert xero_state[c.xero_id]["Name"] == "Renamed In Xero"
    conflict = Conflict.objects.get(harvest_id=c.harvest_id, status=Conflict.Status.OPEN)
    assert conflict.reason == Conflict.Reason.FIELD_DIVERGED
    assert conflict.candidates[0]["field"] == "name"
    # The update by ContactID carried only the e-mail, never the unchanged name.
    updates = [r for r in transport.writes if r[0] == "POST" and r[1].endswith("/Contacts")]
    assert len(updates) == 1
    assert contact_link_for_client(
        integration=sandbox_integration, harvest_client_id=c.harvest_id
    ) == (c.xero_id, None)

    # Nothing changed since: the next run writes nothing and opens nothing new.
    sandbox.clock.advance(timedelta(minutes=1))
    run, transport = contacts_run(sandbox_integration, sandbox)
    assert transport.writes == [] and summary(run)["conflicts"] == 0


def test_manage_py_sync_contacts_prints_the_summary(
    sandbox, sandbox_integration, monkeypatch, capsys
):
    monkeypatch.setattr(
        "syncapp.management.commands.sync.sync_run_execute",
        partial(sync_run_execute, transport=RecordingTransport(sandbox.transport)),
    )
    call_command("sync", "contacts", "--dry-run", "--integration", str(sandbox_integration.pk))
    last = capsys.readouterr().out.strip().splitlines()[-1]
    preview = json.loads(last)
    assert preview["dry_run"] is True and preview["created"] > 0 and preview["conflicts"] == 7
    for key in (
        "created",
        "updated",
        "linked",
        "conflicts",
        "failed",
        "skipped",
        "xero_calls",
        "harvest_calls",
    ):
        assert key in preview
    call_command("sync", "contacts")
    done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert done["created"] == preview["created"] and done["status"] == "succeeded"


def _xero_twin_of_meridian(integration, sandbox):
    with api_clients(integration, sandbox) as (_, xero):
        result = xero.create_contacts(
            contacts=[
                {"Name": "Meridian Foods Inc", "EmailAddress": "ACCOUNTS@meridian.example.com"}
            ],
            idempotency_key="test-meridian",
        )
    return result.results[0].xero_id


@pytest.mark.parametrize(
    ("policy", "auto_link", "linked"),
    [
        ("auto_link", True, True),
        ("always_review", True, False),
        ("auto_link", False, False),
    ],
)
def test_a_clean_match_links_or_waits_by_the_integration_rules(
    sandbox, sandbox_integration, policy, auto_link, linked
):
    from mappings.models import ContactMatchRule

    sandbox_integration.contact_match_policy = policy
    sandbox_integration.save()
    ContactMatchRule.objects.create(integration=sandbox_integration, auto_link=auto_link)
    twin = _xero_twin_of_meridian(sandbox_integration, sandbox)
    summary(contacts_run(sandbox_integration, sandbox)[0])
    meridian = next(
        cid for cid, c in sandbox.state.harvest.clients.items() if c["name"] == "Meridian Foods"
    )
    link = SyncLink.objects.get(harvest_id=str(meridian))
    if linked:
        assert link.xero_id == twin and link.state == SyncLink.State.SYNCED
        assert sandbox.state.xero.contacts[twin]["ContactNumber"] == f"HARVEST-{meridian}"
    else:
        conflict = Conflict.objects.get(harvest_id=str(meridian), status=Conflict.Status.OPEN)
        assert conflict.reason == Conflict.Reason.REVIEW_POLICY
        assert conflict.candidates[0]["contact_id"] == twin


def test_field_owner_decides_a_double_edit(sandbox, sandbox_integration):
    from mappings.models import ContactMatchRule

    ContactMatchRule.objects.create(integration=sandbox_integration, owner_email="xero")
    summary(contacts_run(sandbox_integration, sandbox)[0])
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    sandbox.clock.advance(timedelta(minutes=1))
    with api_clients(sandbox_integration, sandbox) as (harvest, xero):
        person = next(p for p in harvest.list_contacts(client_id=int(link.harvest_id)))
        harvest.update_contact(contact_id=person.id, email="from-harvest@example.com")
        xero.update_contacts(
            contacts=[{"ContactID": link.xero_id, "EmailAddress": "from-xero@example.com"}],
            idempotency_key="test-owner",
        )
    sandbox.clock.advance(timedelta(minutes=1))
    counts = summary(contacts_run(sandbox_integration, sandbox)[0])
    assert counts["conflicts"] == 0 and counts["updated"] == 1
    assert sandbox.state.harvest.contacts[person.id]["email"] == "from-xero@example.com"
    assert sandbox.state.xero.contacts[link.xero_id]["EmailAddress"] == "from-xero@example.com"


def test_a_second_field_diverging_joins_the_open_conflict(sandbox, sandbox_integration):
    from mappings.models import ContactMatchRule

    ContactMatchRule.objects.create(integration=sandbox_integration, owner_email="review")
    summary(contacts_run(sandbox_integration, sandbox)[0])
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()

    def edit(harvest_change, xero_change, key):
        sandbox.clock.advance(timedelta(minutes=1))
        with api_clients(sandbox_integration, sandbox) as (harvest, xero):
            harvest_change(harvest)
            xero.update_contacts(
                contacts=[{"ContactID": link.xero_id, **xero_change}], idempotency_key=key
            )
        sandbox.clock.advance(timedelta(minutes=1))
        return summary(contacts_run(sandbox_integration, sandbox)[0])

    edit(
        lambda h: h.update_client(client_id=int(link.harvest_id), name="H Name"),
        {"Name": "X Name"},
        "k1",
    )

    def new_email(harvest):
        person = next(p for p in harvest.list_contacts(client_id=int(link.harvest_id)))
        harvest.update_contact(contact_id=person.id, email="h@example.com")

    edit(new_email, {"EmailAddress": "x@example.com"}, "k2")
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    assert [c["field"] for c in conflict.candidates] == ["name", "email"]
    sandbox.clock.advance(timedelta(minutes=1))
    run, transport = contacts_run(sandbox_integration, sandbox)
    assert transport.writes == [] and summary(run)["conflicts"] == 0

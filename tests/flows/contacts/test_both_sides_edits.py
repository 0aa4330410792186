"""A field changed on both sides since the last sync: finance picks, unless finance set an owner
for it; either way the run's events keep the value that lost. Through the sandbox, end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mappings.models import ContactMatchRule
from syncapp.models import Conflict, SyncEvent, SyncLink
from syncapp.services.conflicts import conflict_take_side
from tests.flows.contacts.helpers import api_clients, contacts_run, summary

pytestmark = pytest.mark.django_db

HARVEST_EMAIL, XERO_EMAIL = "from-harvest@example.com", "from-xero@example.com"


@pytest.fixture
def link(sandbox, sandbox_integration):
    """One client synced to Xero, with a contact person in Harvest carrying its e-mail."""
    summary(contacts_run(sandbox_integration, sandbox)[0])
    synced = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id")
    return next(
        row
        for row in synced
        if any(str(p["_client_id"]) == row.harvest_id for p in harvest_people(sandbox))
    )


def harvest_people(sandbox):
    return sandbox.state.harvest.contacts.values()


def person_of(sandbox, link) -> dict:
    people = [p for p in harvest_people(sandbox) if str(p["_client_id"]) == link.harvest_id]
    return min(people, key=lambda p: p["id"])


def edit_both(sandbox, integration, link, *, harvest_email=None, xero_fields=None):
    sandbox.clock.advance(timedelta(minutes=1))
    with api_clients(integration, sandbox) as (harvest, xero):
        if harvest_email:
            harvest.update_contact(contact_id=person_of(sandbox, link)["id"], email=harvest_email)
        if xero_fields:
            xero.update_contacts(
                contacts=[{"ContactID": link.xero_id, **xero_fields}],
                idempotency_key=f"edit-{sorted(xero_fields.items())}",
            )
    sandbox.clock.advance(timedelta(minutes=1))


def events_for(run, link, action):
    return list(run.events.filter(harvest_id=link.harvest_id, action=action))


def test_both_changed_with_default_rules_waits_for_finance_then_the_pick_reaches_the_other_side(
    sandbox, sandbox_integration, link
):
    edit_both(
        sandbox, sandbox_integration, link, harvest_email=HARVEST_EMAIL,
        xero_fields={"EmailAddress": XERO_EMAIL},
    )  # fmt: skip
    run, transport = contacts_run(sandbox_integration, sandbox)
    assert summary(run)["conflicts"] == 1
    assert transport.writes == []  # neither side overwritten
    assert person_of(sandbox, link)["email"] == HARVEST_EMAIL
    assert sandbox.state.xero.contacts[link.xero_id]["EmailAddress"] == XERO_EMAIL

    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    assert conflict.reason == Conflict.Reason.FIELD_DIVERGED
    assert [(c["field"], c["harvest"], c["xero"]) for c in conflict.candidates] == [
        ("email", HARVEST_EMAIL, XERO_EMAIL)
    ]
    [event] = events_for(run, link, SyncEvent.Action.CONFLICT)
    assert f"E-mail: Harvest's {HARVEST_EMAIL}, Xero's {XERO_EMAIL}" in event.message

    conflict_take_side(conflict=conflict, side="xero")
    run, _ = contacts_run(sandbox_integration, sandbox)
    assert summary(run)["updated"] == 1 and summary(run)["conflicts"] == 0
    assert person_of(sandbox, link)["email"] == XERO_EMAIL
    assert sandbox.state.xero.contacts[link.xero_id]["EmailAddress"] == XERO_EMAIL
    [event] = events_for(run, link, SyncEvent.Action.UPDATE)
    assert (
        f"E-mail: kept Xero's {XERO_EMAIL} (picked by finance in review); "
        f"Harvest's {HARVEST_EMAIL} was replaced."
    ) in event.message


def test_an_owner_set_by_finance_wins_and_the_lost_value_stays_in_the_events(
    sandbox, sandbox_integration, link
):
    ContactMatchRule.objects.update_or_create(
        integration=sandbox_integration, defaults={"owner_email": "harvest"}
    )
    edit_both(
        sandbox, sandbox_integration, link, harvest_email=HARVEST_EMAIL,
        xero_fields={"EmailAddress": XERO_EMAIL},
    )  # fmt: skip
    run, _ = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)
    assert counts["conflicts"] == 0 and counts["updated"] == 1
    assert not Conflict.objects.filter(harvest_id=link.harvest_id).exists()
    assert sandbox.state.xero.contacts[link.xero_id]["EmailAddress"] == HARVEST_EMAIL
    assert person_of(sandbox, link)["email"] == HARVEST_EMAIL
    [event] = events_for(run, link, SyncEvent.Action.UPDATE)
    assert (
        f"E-mail: kept Harvest's {HARVEST_EMAIL} (owner: Harvest, set by finance); "
        f"Xero's {XERO_EMAIL} was replaced."
    ) in event.message


def test_a_field_changed_on_one_side_flows_even_beside_one_waiting_for_finance(
    sandbox, sandbox_integration, link
):
    edit_both(
        sandbox,
        sandbox_integration,
        link,
        harvest_email=HARVEST_EMAIL,
        xero_fields={
            "EmailAddress": XERO_EMAIL,
            "Addresses": [{"AddressType": "POBOX", "AddressLine1": "1 Xero Street"}],
        },
    )
    run, _ = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)
    assert counts["updated"] == 1 and counts["conflicts"] == 1
    # The address, changed in Xero only, reached Harvest; the e-mail waits, untouched.
    assert sandbox.state.harvest.clients[int(link.harvest_id)]["address"] == "1 Xero Street"
    assert person_of(sandbox, link)["email"] == HARVEST_EMAIL
    assert sandbox.state.xero.contacts[link.xero_id]["EmailAddress"] == XERO_EMAIL
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    assert [c["field"] for c in conflict.candidates] == ["email"]
    [update] = events_for(run, link, SyncEvent.Action.UPDATE)
    assert "was replaced" not in update.message  # an edit on one side is no loss

    # Later, a change on one side only: it flows with no conflict and nothing called lost.
    conflict_take_side(conflict=conflict, side="harvest")
    summary(contacts_run(sandbox_integration, sandbox)[0])
    edit_both(sandbox, sandbox_integration, link, xero_fields={"EmailAddress": "new@example.com"})
    run, _ = contacts_run(sandbox_integration, sandbox)
    counts = summary(run)
    assert counts["updated"] == 1 and counts["conflicts"] == 0
    assert person_of(sandbox, link)["email"] == "new@example.com"
    [update] = events_for(run, link, SyncEvent.Action.UPDATE)
    assert "was replaced" not in update.message

"""Three-way merge against the last-synced snapshot."""

from __future__ import annotations

from syncapp.flows.contacts.address import address_split
from syncapp.flows.contacts.merge import contact_merge

OWNERS = {
    "name": "review",
    "email": "harvest",
    "first_name": "harvest",
    "last_name": "harvest",
    "address": "xero",
    "currency": "harvest",
}


def side(**overrides):
    values = {
        "name": "Acme",
        "email": "ap@acme.example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "address": "1 Main St\nSpringfield, IL 62701",
        "currency": "USD",
    }
    values.update(overrides)
    return values


def xside(**overrides):
    values = side()
    values["address"] = address_split(values["address"])
    values.update(overrides)
    return values


def synced():
    return {"harvest": side(), "xero": xside()}


def test_nothing_changed_nothing_moves():
    result = contact_merge(harvest=side(), xero=xside(), snapshot=synced(), owners=OWNERS)
    assert not result.changes_anything and not result.diverged


def test_a_harvest_change_flows_to_xero():
    result = contact_merge(
        harvest=side(email="new@acme.example.com"), xero=xside(), snapshot=synced(), owners=OWNERS
    )
    assert result.to_xero == {"email": "new@acme.example.com"}
    assert result.to_harvest == {}
    assert result.snapshot["xero"]["email"] == "new@acme.example.com"


def test_a_xero_change_flows_to_harvest_even_for_a_harvest_owned_field():
    result = contact_merge(
        harvest=side(), xero=xside(first_name="Anne"), snapshot=synced(), owners=OWNERS
    )
    assert result.to_harvest == {"first_name": "Anne"}
    assert result.to_xero == {}


def test_an_address_edited_in_xero_goes_back_as_text():
    new = address_split("9 Elm St\nChicago, IL 60601")
    result = contact_merge(
        harvest=side(), xero=xside(address=new), snapshot=synced(), owners=OWNERS
    )
    assert result.to_harvest == {"address": "9 Elm St\nChicago, IL 60601"}


def test_both_changed_differently_the_owner_wins():
    result = contact_merge(
        harvest=side(email="h@acme.example.com"),
        xero=xside(email="x@acme.example.com"),
        snapshot=synced(),
        owners=OWNERS,
    )
    assert result.to_xero == {"email": "h@acme.example.com"}
    result = contact_merge(
        harvest=side(address="2 Oak St"),
        xero=xside(address=address_split("3 Pine St")),
        snapshot=synced(),
        owners=OWNERS,
    )
    assert result.to_harvest == {"address": "3 Pine St"} and not result.to_xero


def test_both_changed_differently_review_field_becomes_a_conflict():
    result = contact_merge(
        harvest=side(name="Acme West"),
        xero=xside(name="Acme East"),
        snapshot=synced(),
        owners=OWNERS,
    )
    assert [d["field"] for d in result.diverged] == ["name"]
    assert result.diverged[0]["harvest"] == "Acme West"
    assert result.diverged[0]["xero"] == "Acme East"
    assert "name" not in result.to_xero and "name" not in result.to_harvest
    assert result.snapshot["harvest"]["name"] == "Acme"  # still diverged next time


def test_both_changed_alike_is_no_conflict():
    result = contact_merge(
        harvest=side(name="Acme Two"), xero=xside(name="Acme Two"), snapshot=synced(), owners=OWNERS
    )
    assert not result.diverged and not result.changes_anything
    assert result.snapshot["xero"]["name"] == "Acme Two"


def test_email_case_is_not_a_change():
    result = contact_merge(
        harvest=side(email="AP@Acme.example.com"), xero=xside(), snapshot=synced(), owners=OWNERS
    )
    assert not result.changes_anything


def test_finance_pick_is_forced_through():
    result = contact_merge(
        harvest=side(name="Acme West"),
        xero=xside(name="Acme East"),
        snapshot=synced(),
        owners=OWNERS,
        force={"name": "xero"},
    )
    assert result.to_harvest == {"name": "Acme East"} and not result.diverged


def test_frozen_fields_wait():
    result = contact_merge(
        harvest=side(name="Acme West"),
        xero=xside(),
        snapshot=synced(),
        owners=OWNERS,
        frozen={"name"},
    )
    assert not result.changes_anything


def test_first_link_fills_blanks_both_ways_and_leaves_review_fields():
    result = contact_merge(
        harvest=side(name="Acme Ltd", address=""),
        xero=xside(name="ACME Limited", email="", first_name=""),
        snapshot={},
        owners=OWNERS,
    )
    assert result.to_xero == {"email": "ap@acme.example.com", "first_name": "Ann"}
    assert result.to_harvest == {"address": "1 Main St\nSpringfield, IL 62701"}
    assert "name" not in result.to_xero and not result.diverged

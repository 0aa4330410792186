"""What the merge and the planner say was replaced or left apart (pure)."""

from __future__ import annotations

from syncapp.flows.contacts.merge import contact_merge
from syncapp.flows.contacts.plan import UPDATE, LedgerView
from syncapp.flows.contacts.records import XeroSide
from tests.flows.contacts.test_merge import side, synced, xside
from tests.flows.contacts.test_plan import client, plan

ASK = dict.fromkeys(("name", "email", "first_name", "last_name", "address", "currency"), "review")


def merge(harvest, xero, *, snapshot=None, **owners):
    return contact_merge(harvest=harvest, xero=xero, snapshot=snapshot, owners={**ASK, **owners})


def test_both_changed_with_an_owner_names_the_value_replaced():
    result = merge(side(email="h@x.com"), xside(email="x@x.com"), snapshot=synced(), email="xero")
    assert result.to_harvest == {"email": "x@x.com"} and not result.diverged
    assert result.overridden == [
        {"field": "email", "winner": "xero", "kept": "x@x.com", "lost": "h@x.com", "why": "owner"}
    ]


def test_both_changed_asking_finance_replaces_nothing():
    result = merge(side(email="h@x.com"), xside(email="x@x.com"), snapshot=synced())
    assert not result.changes_anything and not result.overridden
    assert [d["field"] for d in result.diverged] == ["email"]


def test_a_change_on_one_side_is_no_loss():
    result = merge(side(email="h@x.com"), xside(), snapshot=synced(), email="xero")
    assert result.to_xero == {"email": "h@x.com"} and result.overridden == []


def test_finance_pick_in_review_names_the_value_replaced():
    result = contact_merge(
        harvest=side(email="h@x.com"),
        xero=xside(email="x@x.com"),
        snapshot=synced(),
        owners=ASK,
        force={"email": "harvest"},
    )
    assert result.to_xero == {"email": "h@x.com"}
    assert [(o["lost"], o["why"]) for o in result.overridden] == [("x@x.com", "finance")]


def test_at_linking_an_owner_replaces_and_says_so_and_no_owner_leaves_both():
    owned = merge(side(email="h@x.com"), xside(email="x@x.com"), email="harvest")
    assert owned.to_xero == {"email": "h@x.com"}
    assert [(o["winner"], o["lost"]) for o in owned.overridden] == [("harvest", "x@x.com")]

    asked = merge(side(email="h@x.com"), xside(email="x@x.com"))
    assert not asked.changes_anything and asked.apart == ["email"] and not asked.overridden
    # A blank filled from the other side is no loss either.
    filled = merge(side(email=""), xside(email="x@x.com"))
    assert filled.to_harvest == {"email": "x@x.com"} and not filled.overridden


def xero_contact(**kw):
    values = {
        "contact_id": "c-7",
        "name": "Acme Ltd",
        "contact_number": "HARVEST-7",
        "email": "ap@acme.example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "currency": "USD",
        "address": {
            "AddressLine1": "1 Main St",
            "City": "Springfield",
            "Region": "IL",
            "PostalCode": "62701",
        },
    }
    values.update(kw)
    return XeroSide(**values)


def linked_plan(harvest, contact):
    (base,) = plan(
        [client()], [xero_contact()], ledger={"7": LedgerView("7", "c-7", "pending", {})}
    )
    ledger = {"7": LedgerView("7", "c-7", "synced", base.snapshot)}
    (op,) = plan([harvest], [contact], ledger=ledger)
    return op


def test_the_event_names_field_winner_and_loser_with_why():
    # The planner's owners (tests.flows.contacts.test_plan.OWNERS) give the address to Xero.
    op = linked_plan(
        client(address="9 Harvest Road"),
        xero_contact(address={"AddressLine1": "5 Xero Lane", "City": "Leeds"}),
    )
    assert op.action == UPDATE and op.harvest_client_changes == {"address": "5 Xero Lane\nLeeds"}
    assert op.message.endswith(
        "Address: kept Xero's 5 Xero Lane, Leeds (owner: Xero, set by finance); "
        "Harvest's 9 Harvest Road was replaced."
    )


def test_a_value_xero_would_refuse_is_not_called_replaced():
    # Harvest owns the e-mail, but Xero would refuse Harvest's: Xero keeps its own, nothing lost.
    op = linked_plan(
        client(email="a@x.com, b@x.com"), xero_contact(email="billing@acme.example.com")
    )
    assert "was replaced" not in op.message
    assert "is not one Xero accepts" in op.message

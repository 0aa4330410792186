"""The planner: what is created, linked, updated, sent to review, and what is left alone."""

from __future__ import annotations

from syncapp.flows.contacts.matching import MatchRules
from syncapp.flows.contacts.plan import (
    CONFLICT,
    CREATE,
    LINK,
    SKIP,
    UPDATE,
    LedgerView,
    OpenConflict,
    PlanInput,
    contacts_plan,
)
from syncapp.flows.contacts.records import HarvestSide, XeroSide
from syncapp.models import Conflict

OWNERS = {
    "name": "review",
    "email": "harvest",
    "first_name": "harvest",
    "last_name": "harvest",
    "address": "xero",
    "currency": "harvest",
}


def client(id="7", name="Acme Ltd", **kw):
    defaults = {
        "email": "ap@acme.example.com",
        "first_name": "Ann",
        "last_name": "Lee",
        "address": "1 Main St\nSpringfield, IL 62701",
        "currency": "USD",
        "contact_id": 70,
    }
    defaults.update(kw)
    return HarvestSide(client_id=id, name=name, **defaults)


def plan(clients, contacts=(), ledger=None, conflicts=None, rules=None):
    contacts = {c.contact_id: c for c in contacts}
    ledger = ledger or {}
    return contacts_plan(
        PlanInput(
            clients=list(clients),
            contacts=contacts,
            ledger=ledger,
            linked={v.xero_id: k for k, v in ledger.items() if v.xero_id},
            conflicts=conflicts or {},
            rules=rules or MatchRules(),
            owners=OWNERS,
        )
    )


def test_create_payload_carries_the_reference_and_no_read_only_fields():
    (op,) = plan([client()])
    assert op.action == CREATE
    assert op.xero_payload == {
        "Name": "Acme Ltd",
        "EmailAddress": "ap@acme.example.com",
        "FirstName": "Ann",
        "LastName": "Lee",
        "DefaultCurrency": "USD",
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": "1 Main St",
                "City": "Springfield",
                "Region": "IL",
                "PostalCode": "62701",
            }
        ],
        "ContactNumber": "HARVEST-7",
    }
    assert "IsCustomer" not in op.xero_payload


def synced_pair():
    h = client()
    x = XeroSide(
        contact_id="x1",
        name="Acme Ltd",
        email="ap@acme.example.com",
        first_name="Ann",
        last_name="Lee",
        currency="USD",
        contact_number="HARVEST-7",
        address={
            "AddressLine1": "1 Main St",
            "City": "Springfield",
            "Region": "IL",
            "PostalCode": "62701",
        },
    )
    snapshot = {"harvest": h.values(), "xero": x.values()}
    return h, x, {"7": LedgerView("7", "x1", "synced", snapshot)}


def test_nothing_changed_means_no_write():
    h, x, ledger = synced_pair()
    (op,) = plan([h], [x], ledger)
    assert op.action == SKIP and not op.writes and not op.ledger_changes


def test_update_by_contact_id_never_sends_an_unchanged_name():
    h, x, ledger = synced_pair()
    changed = HarvestSide(**{**h.__dict__, "email": "billing@acme.example.com"})
    (op,) = plan([changed], [x], ledger)
    assert op.action == UPDATE
    assert op.xero_payload == {"ContactID": "x1", "EmailAddress": "billing@acme.example.com"}


def test_a_rename_in_harvest_sends_the_name():
    h, x, ledger = synced_pair()
    renamed = HarvestSide(**{**h.__dict__, "name": "Acme Group Ltd"})
    (op,) = plan([renamed], [x], ledger)
    assert op.xero_payload == {"ContactID": "x1", "Name": "Acme Group Ltd"}


def test_a_change_in_xero_is_written_to_harvest_contact_and_client():
    h, x, ledger = synced_pair()
    edited = XeroSide(**{**x.__dict__, "last_name": "Leigh", "currency": "EUR"})
    (op,) = plan([h], [edited], ledger)
    assert op.action == UPDATE and not op.xero_payload
    assert op.harvest_contact_changes == {"last_name": "Leigh"}
    assert op.harvest_client_changes == {"currency": "EUR"}


def test_diverged_name_opens_a_field_conflict_and_writes_nothing_else():
    h, x, ledger = synced_pair()
    (op,) = plan(
        [HarvestSide(**{**h.__dict__, "name": "Acme West"})],
        [XeroSide(**{**x.__dict__, "name": "Acme East"})],
        ledger,
    )
    assert op.conflict_reason == Conflict.Reason.FIELD_DIVERGED
    assert op.conflict_candidates[0]["field"] == "name"
    assert not op.writes


def test_strong_match_links_and_stamps_the_reference():
    x = XeroSide(contact_id="x1", name="ACME Limited", email="ap@acme.example.com")
    (op,) = plan([client()], [x])
    assert op.action == LINK and op.contact_id == "x1"
    assert op.xero_payload["ContactNumber"] == "HARVEST-7"
    assert "Name" not in op.xero_payload  # review-owned: a link never renames finance's contact


def test_same_name_two_currencies_one_links_the_other_waits():
    x = XeroSide(contact_id="x1", name="Nordic Design", currency="USD")
    usd = client(id="1", name="Nordic Design", email="", currency="USD")
    eur = client(id="2", name="Nordic Design", email="", currency="EUR")
    ops = plan([usd, eur], [x])
    assert [op.action for op in ops] == [LINK, CONFLICT]
    assert ops[1].conflict_reason == Conflict.Reason.REVIEW_POLICY


def test_archived_twin_is_never_bypassed_by_a_create():
    x = XeroSide(contact_id="x1", name="Copperleaf Energy", status="ARCHIVED")
    (op,) = plan([client(name="Copperleaf Energy", email="")], [x])
    assert op.action == CONFLICT
    assert op.conflict_candidates[0]["status"] == "ARCHIVED"


def test_waiting_and_ignored_clients_are_left_alone():
    ops = plan(
        [client(id="1"), client(id="2", name="Other")],
        conflicts={
            "1": OpenConflict(Conflict.Reason.WEAK_MATCH),
            "2": OpenConflict(Conflict.Reason.WEAK_MATCH, status=Conflict.Status.IGNORED),
        },
    )
    assert [op.action for op in ops] == [SKIP, SKIP]


def test_inactive_client_never_synced_is_not_created():
    (op,) = plan([client(is_active=False)])
    assert op.action == SKIP


def test_finance_chose_create_new_skips_matching():
    x = XeroSide(contact_id="x1", name="ACME Limited", email="ap@acme.example.com")
    ledger = {"7": LedgerView("7", None, "pending", {"force_create": True})}
    (op,) = plan([client()], [x], ledger)
    assert op.action == CREATE


def test_an_email_shared_by_two_clients_links_one_and_reviews_the_other():
    x = XeroSide(contact_id="x1", name="Group Holdings", email="ap@group.example.com")
    first = client(id="1", name="Group Holdings Ltd", email="ap@group.example.com")
    second = client(id="2", name="Group Retail", email="AP@group.example.com")
    ops = plan([second, first], [x])
    by_client = {op.client.client_id: op for op in ops}
    assert by_client["1"].action == LINK
    assert by_client["2"].action == CONFLICT
    assert any(
        "linked to Harvest client 1" in c or "different name" in c
        for c in by_client["2"].conflict_candidates[0]["contradictions"]
    )


def test_a_contact_merged_in_xero_is_followed():
    h, x, ledger = synced_pair()
    old = XeroSide(**{**x.__dict__, "status": "ARCHIVED", "merged_to": "x2"})
    survivor = XeroSide(contact_id="x2", name="Acme Group", email="ap@acme.example.com")
    (op,) = plan([h], [old, survivor], ledger)
    assert op.action == LINK and op.contact_id == "x2"
    assert "ContactStatus" not in op.xero_payload and "Name" not in op.xero_payload


def test_a_merge_into_another_clients_contact_goes_to_review():
    h, x, ledger = synced_pair()
    old = XeroSide(**{**x.__dict__, "status": "ARCHIVED", "merged_to": "x2"})
    survivor = XeroSide(contact_id="x2", name="Other Co")
    ledger["9"] = LedgerView("9", "x2", "synced", {})
    ops = plan([h], [old, survivor], ledger)
    assert ops[0].action == CONFLICT and ops[0].conflict_candidates[0]["linked_to"] == "9"


def test_an_email_xero_would_refuse_is_left_out_not_failed_forever():
    (op,) = plan([client(email="ap@acme.example.com, boss@acme.example.com")])
    assert op.action == CREATE and "EmailAddress" not in op.xero_payload
    assert "not one Xero accepts" in op.message
    assert op.snapshot["xero"]["email"] == ""


def test_an_unacceptable_email_change_is_not_sent_and_not_retried():
    h, x, ledger = synced_pair()
    (op,) = plan([HarvestSide(**{**h.__dict__, "email": "jürgen@acme.example.com"})], [x], ledger)
    assert not op.xero_payload and "not one Xero accepts" in op.message
    assert op.snapshot["xero"]["email"] == "ap@acme.example.com"
    assert op.snapshot["harvest"]["email"] == "jürgen@acme.example.com"

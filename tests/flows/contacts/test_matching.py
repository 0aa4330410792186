"""Table-driven matching with the names finance actually has."""

from __future__ import annotations

import pytest

from syncapp.flows.contacts.matching import ContactIndex, MatchRules, contact_match
from syncapp.flows.contacts.records import HarvestSide, XeroSide


def h(name, *, id="7", email="", currency="USD"):
    return HarvestSide(client_id=id, name=name, email=email, currency=currency)


def x(id, name, *, email="", currency="", status="ACTIVE", number="", account=""):
    return XeroSide(
        contact_id=id,
        name=name,
        email=email,
        currency=currency,
        status=status,
        contact_number=number,
        account_number=account,
    )


# (case id, Harvest client, Xero contacts, expected outcome, expected first candidate id)
CASES = [
    ("acme-ltd-vs-limited", h("Acme Ltd"), [x("x1", "ACME Limited")], "link", "x1"),
    (
        "unicode-accents",
        h("Kräuter & Söhne GmbH", currency="EUR"),
        [x("x1", "Krauter and Sohne", currency="EUR")],
        "link",
        "x1",
    ),
    ("japanese-exact", h("東京デザイン株式会社"), [x("x1", "東京デザイン株式会社")], "link", "x1"),
    # デ and テ are different letters, not an accent: no match at all.
    ("japanese-kana-differs", h("東京デザイン"), [x("x1", "東京テサイン")], "none", None),
    (
        "email-case-and-spaces",
        h("Orchid Health", email=" Finance@Orchid.example.com"),
        [x("x1", "Orchid Health Inc", email="finance@orchid.example.com ")],
        "link",
        "x1",
    ),
    (
        "same-name-other-currency",
        h("Nordic Design", currency="EUR"),
        [x("x1", "Nordic Design", currency="USD")],
        "review",
        "x1",
    ),
    (
        "email-shared-name-differs",
        h("Acme West", email="ap@acme.example.com"),
        [x("x1", "Acme", email="ap@acme.example.com")],
        "review",
        "x1",
    ),
    (
        "email-and-name-point-elsewhere",
        h("Acme Holdings", email="ap@acme.example.com"),
        [x("x1", "Acme", email="ap@acme.example.com"), x("x2", "Acme Holdings Ltd")],
        "ambiguous",
        None,
    ),
    (
        "archived-twin",
        h("Copperleaf Energy"),
        [x("x1", "Copperleaf Energy", status="ARCHIVED")],
        "review",
        "x1",
    ),
    (
        "name-match-other-email",
        h("Lumen Labs Ltd", email="accounts@lumenlabs.example.co.uk"),
        [x("x1", "Lumen Labs Limited", email="AP@LumenLabs.example.co.uk")],
        "review",
        "x1",
    ),
    (
        "reference-beats-a-renamed-contact",
        h("Acme Ltd"),
        [x("x1", "Totally Renamed", number="HARVEST-7"), x("x2", "Acme Ltd")],
        "link",
        "x1",
    ),
    (
        "reference-on-account-number",
        h("Acme Ltd"),
        [x("x1", "Something", account="harvest-7")],
        "link",
        "x1",
    ),
    (
        "reference-on-archived-contact",
        h("Acme"),
        [x("x1", "Acme", number="HARVEST-7", status="ARCHIVED")],
        "link",
        "x1",
    ),
    (
        "two-contacts-carry-the-reference",
        h("Acme"),
        [x("x1", "Acme", number="HARVEST-7"), x("x2", "Acme 2", account="HARVEST-7")],
        "ambiguous",
        None,
    ),
    ("only-similar-names", h("Bluefin Studios"), [x("x1", "Blue Fin Studios")], "weak", "x1"),
    ("harbour-spelling", h("Harbor View Hotels"), [x("x1", "Harbour View Hotels")], "weak", "x1"),
    (
        "nothing-alike",
        h("Meridian Foods"),
        [x("x1", "Acme"), x("x2", "Office Depot")],
        "none",
        None,
    ),
    ("empty-xero", h("Meridian Foods"), [], "none", None),
]


@pytest.mark.parametrize(
    ("case", "client", "contacts", "outcome", "first"), CASES, ids=[c[0] for c in CASES]
)
def test_match(case, client, contacts, outcome, first):
    decision = contact_match(client=client, index=ContactIndex(contacts), rules=MatchRules())
    assert decision.outcome == outcome, decision.detail
    if first:
        assert decision.candidates[0].contact.contact_id == first
    if outcome != "none":
        assert decision.candidates, "every non-create outcome lists its candidates"
        assert all(c.reasons for c in decision.candidates)


def test_review_explains_what_contradicts_the_match():
    decision = contact_match(
        client=h("Nordic Design", currency="EUR"),
        index=ContactIndex([x("x1", "Nordic Design", currency="USD")]),
        rules=MatchRules(),
    )
    assert (
        "different currency (USD in Xero, EUR in Harvest)" in decision.candidates[0].contradictions
    )
    assert "USD" in decision.detail


def test_auto_link_off_sends_a_clean_match_to_review():
    decision = contact_match(
        client=h("Acme Ltd"),
        index=ContactIndex([x("x1", "ACME Limited")]),
        rules=MatchRules(auto_link=False),
    )
    assert decision.outcome == "review"


def test_a_contact_linked_to_another_client_is_not_taken():
    decision = contact_match(
        client=h("Acme Ltd", id="8"),
        index=ContactIndex([x("x1", "Acme")]),
        rules=MatchRules(),
        linked={"x1": "7"},
    )
    assert decision.outcome == "review"
    assert decision.candidates[0].linked_to == "7"


@pytest.mark.parametrize(
    ("rules", "outcome"),
    [
        (MatchRules(match_on_email=False), "none"),
        (MatchRules(match_on_email=True), "review"),  # e-mail matches, names differ
    ],
)
def test_match_keys_can_be_switched_off(rules, outcome):
    decision = contact_match(
        client=h("Zed Consulting", email="ap@zed.example.com"),
        index=ContactIndex([x("x1", "Quartz Partners", email="AP@zed.example.com")]),
        rules=rules,
    )
    assert decision.outcome == outcome


def test_reference_switched_off_falls_back_to_other_keys():
    decision = contact_match(
        client=h("Meridian Foods"),
        index=ContactIndex([x("x1", "Renamed", number="HARVEST-7")]),
        rules=MatchRules(match_on_reference=False),
    )
    assert decision.outcome == "none"


def test_similarity_threshold_is_the_rule():
    strict = contact_match(
        client=h("Harbor View Hotels"),
        index=ContactIndex([x("x1", "Harbour View Hotels")]),
        rules=MatchRules(name_similarity_threshold=0.99),
    )
    assert strict.outcome == "none"

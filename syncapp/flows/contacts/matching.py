"""Finding the Xero contact a Harvest client already has (pure).

Keys, in the order they are tried (ContactMatchRule switches each one on or off):
1. the ledger link (handled by the planner before matching);
2. reference: Xero's ContactNumber or AccountNumber equals the client's reference, the stamp
   hxsync puts on every contact it creates - a contact found this way is ours;
3. e-mail, ignoring case and spaces;
4. normalised name (case, punctuation, accents, "&"/"and", legal suffixes).
Archived Xero contacts are candidates too: creating beside an archived twin would be silent.

One strong candidate that nothing contradicts is linked (or reviewed, by policy). A strong
candidate is contradicted when another key disagrees: a different e-mail or name, another
currency, archived, or already linked to another Harvest client; it then goes to review with
the reasons. Several strong candidates, or only similar names, go to review as well.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from syncapp.flows.contacts.normalise import (
    email_normalise,
    name_block_keys,
    name_normalise,
    name_similarity,
)
from syncapp.flows.contacts.records import HarvestSide, XeroSide, contact_reference

MAX_CANDIDATES = 6


@dataclass(frozen=True)
class MatchRules:
    match_on_reference: bool = True
    match_on_email: bool = True
    match_on_name: bool = True
    auto_link: bool = True
    name_similarity_threshold: float = 0.85


@dataclass
class Candidate:
    contact: XeroSide
    matched: list[str] = field(default_factory=list)  # "reference", "email", "name", "similar"
    reasons: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)
    score: float = 0.0
    linked_to: str = ""

    @property
    def strong(self) -> bool:
        return any(key in self.matched for key in ("reference", "email", "name"))

    def as_json(self) -> dict[str, Any]:
        return {
            **self.contact.summary(),
            "matched": list(self.matched),
            "reasons": list(self.reasons),
            "contradictions": list(self.contradictions),
            "score": self.score,
            "linked_to": self.linked_to,
        }


@dataclass
class MatchDecision:
    """outcome: "link", "review", "ambiguous", "weak" or "none"."""

    outcome: str
    candidates: list[Candidate]
    detail: str = ""

    @property
    def chosen(self) -> Candidate | None:
        return self.candidates[0] if self.outcome == "link" else None


class ContactIndex:
    """Every Xero contact by reference, e-mail, normalised name and similarity block."""

    def __init__(self, contacts: list[XeroSide]) -> None:
        self.contacts = {c.contact_id: c for c in contacts}
        self.by_reference: dict[str, list[str]] = defaultdict(list)
        self.by_email: dict[str, list[str]] = defaultdict(list)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_block: dict[str, set[str]] = defaultdict(set)
        for c in contacts:
            for number in {
                c.contact_number.strip().casefold(),
                c.account_number.strip().casefold(),
            }:
                if number:
                    self.by_reference[number].append(c.contact_id)
            if c.email.strip():
                self.by_email[email_normalise(c.email)].append(c.contact_id)
            if name_normalise(c.name):
                self.by_name[name_normalise(c.name)].append(c.contact_id)
            for key in name_block_keys(c.name):
                self.by_block[key].add(c.contact_id)


def contact_match(
    *,
    client: HarvestSide,
    index: ContactIndex,
    rules: MatchRules,
    linked: dict[str, str] | None = None,
) -> MatchDecision:
    """Decide how `client` relates to the Xero contacts; `linked` maps xero_id -> harvest_id."""
    linked = linked or {}
    found: dict[str, Candidate] = {}

    def candidate(contact_id: str) -> Candidate:
        if contact_id not in found:
            found[contact_id] = Candidate(contact=index.contacts[contact_id])
        return found[contact_id]

    reference = contact_reference(harvest_client_id=client.client_id).casefold()
    if rules.match_on_reference:
        for contact_id in index.by_reference.get(reference, []):
            c = candidate(contact_id)
            c.matched.append("reference")
            field_name = (
                "ContactNumber"
                if c.contact.contact_number.strip().casefold() == reference
                else "AccountNumber"
            )
            c.reasons.append(
                f"{field_name} is {contact_reference(harvest_client_id=client.client_id)}"
            )
    email = email_normalise(client.email)
    if rules.match_on_email and email:
        for contact_id in index.by_email.get(email, []):
            c = candidate(contact_id)
            c.matched.append("email")
            c.reasons.append(f"same e-mail ({index.contacts[contact_id].email})")
    name = name_normalise(client.name)
    if rules.match_on_name and name:
        for contact_id in index.by_name.get(name, []):
            c = candidate(contact_id)
            c.matched.append("name")
            c.reasons.append(
                "same name"
                if index.contacts[contact_id].name.strip() == client.name.strip()
                else f"same name once normalised ({name})"
            )
        blocked: set[str] = set()
        for key in name_block_keys(client.name):
            blocked |= index.by_block.get(key, set())
        for contact_id in blocked:
            score = name_similarity(client.name, index.contacts[contact_id].name)
            if contact_id in found:
                found[contact_id].score = score
            elif score >= rules.name_similarity_threshold:
                c = candidate(contact_id)
                c.matched.append("similar")
                c.score = score
                c.reasons.append(f"similar name ({round(score * 100)} % alike)")
    for c in found.values():
        _contradictions(client=client, candidate=c, linked=linked)
    ordered = sorted(
        found.values(),
        key=lambda c: (
            "reference" not in c.matched,
            not c.strong,
            len(c.contradictions),
            -len(c.matched),
            -c.score,
            c.contact.name,
        ),
    )[:MAX_CANDIDATES]
    return _decide(ordered=ordered, rules=rules)


def _contradictions(*, client: HarvestSide, candidate: Candidate, linked: dict[str, str]) -> None:
    c, say = candidate.contact, candidate.contradictions.append
    owner = linked.get(c.contact_id)
    if owner and owner != client.client_id:
        candidate.linked_to = owner
        say(f"already linked to Harvest client {owner}")
    if "reference" in candidate.matched:
        return  # our own stamp: the other fields may have been edited since
    if c.archived:
        say("archived in Xero (linking restores it)")
    if "email" not in candidate.matched and client.email.strip() and c.email.strip():
        say(f"different e-mail ({c.email})")
    if "name" not in candidate.matched and "email" in candidate.matched:
        say(f"different name ({c.name})")
    if client.currency and c.currency and client.currency.upper() != c.currency.upper():
        say(f"different currency ({c.currency} in Xero, {client.currency} in Harvest)")


def _decide(*, ordered: list[Candidate], rules: MatchRules) -> MatchDecision:
    if not ordered:
        return MatchDecision("none", [])
    references = [c for c in ordered if "reference" in c.matched]
    if len(references) == 1 and not references[0].linked_to:
        return MatchDecision("link", ordered, "ContactNumber/AccountNumber reference")
    if len(references) > 1:
        return MatchDecision(
            "ambiguous", ordered, "Several Xero contacts carry this client's reference."
        )
    strong = [c for c in ordered if c.strong]
    if len(strong) > 1:
        names = ", ".join(c.contact.name for c in strong)
        return MatchDecision("ambiguous", ordered, f"Several Xero contacts match: {names}.")
    if len(strong) == 1:
        only = strong[0]
        if only.contradictions:
            why = "; ".join(only.contradictions)
            return MatchDecision(
                "review", ordered, f"Matched {only.contact.name} by {_keys(only)}, but: {why}."
            )
        if not rules.auto_link:
            return MatchDecision(
                "review",
                ordered,
                f"Matched {only.contact.name}; the rules ask finance to confirm every match.",
            )
        return MatchDecision("link", ordered, f"matched by {_keys(only)}")
    return MatchDecision(
        "weak", ordered, "Only similar names were found in Xero; none is certainly this client."
    )


def _keys(candidate: Candidate) -> str:
    words = {"reference": "reference", "email": "e-mail", "name": "name", "similar": "similar name"}
    return " and ".join(words[k] for k in candidate.matched)

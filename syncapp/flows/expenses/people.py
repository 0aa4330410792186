"""The Xero supplier contact each person's bills and spend money go to, never a duplicate.

A person (Harvest user) is linked once, in the ledger (kind "person"). The first time, Xero is
searched: our own stamp (ContactNumber HX-P-<user id>, which a lost answer leaves behind), then
the person's e-mail, then the exact name (Xero contact names are unique). One match links; none
creates the contact with the stamp, SENDING in the ledger before the request; several hold that
person's expenses with the candidates named, for finance to settle in Xero.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncapp.flows.expenses.ledger import PERSON, person_links_load
from syncapp.flows.xero_text import CONTACT_NAME, xero_clip, xero_where_string
from syncapp.models import Integration, SyncLink
from syncapp.providers.xero.idempotency import idempotency_key_derive, idempotency_key_for_batch
from syncapp.services.ledger import ledger_upsert, payload_hash

STAMP = "HX-P-"
CHUNK = 20


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""


def _live(contacts) -> list:
    return [c for c in contacts if c.status != "ARCHIVED"]


class PeopleLinker:
    def __init__(self, *, xero, integration: Integration) -> None:
        self.xero = xero
        self.integration = integration
        self.links = person_links_load(integration=integration)
        self.held: dict[str, str] = {}  # user id -> why their expenses wait

    def contact_of(self, user_id: str) -> str:
        link = self.links.get(str(user_id))
        return link.xero_id if link and link.state == SyncLink.State.SYNCED else ""

    def ensure(self, people: list[Person], *, dry_run: bool = False) -> None:
        wanted = [p for p in people if not self.contact_of(p.user_id)]
        if not wanted:
            return
        found = self._search(wanted)
        to_create = []
        for person in wanted:
            matches = found.get(person.user_id, [])
            if len(matches) == 1:
                self._save(person, SyncLink.State.SYNCED, xero_id=matches[0].contact_id)
            elif len(matches) > 1:
                names = ", ".join(f"{c.name} <{c.email or 'no e-mail'}>" for c in matches[:3])
                self.held[person.user_id] = (
                    f"{len(matches)} Xero contacts could be {person.name} ({names}): merge or "
                    "archive the extra ones in Xero, or give one the person's e-mail; the "
                    "expenses follow at the next run."
                )
            else:
                to_create.append(person)
        if to_create and not dry_run:
            self._create(to_create)

    def _search(self, people: list[Person]) -> dict[str, list]:
        """User id -> live Xero contacts that match, by the first clause that finds any."""
        found: dict[str, list] = {}
        for clause, value_of in (
            ("ContactNumber", lambda p: f"{STAMP}{p.user_id}"),
            ("EmailAddress", lambda p: p.email),
            ("Name", lambda p: p.name),
        ):
            wanted = {value_of(p).lower(): p for p in people if p.user_id not in found}
            wanted.pop("", None)
            keys = sorted(wanted)
            for start in range(0, len(keys), CHUNK):
                where = " OR ".join(
                    f"{clause}.ToLower()=={xero_where_string(k)}"
                    for k in keys[start : start + CHUNK]
                )
                for contact in _live(self.xero.list_contacts(where=where)):
                    value = contact.raw.get(clause) or ""
                    person = wanted.get(value.lower())
                    if person is not None:
                        found.setdefault(person.user_id, []).append(contact)
        return found

    def _payload(self, person: Person) -> dict:
        payload = {
            "Name": xero_clip(person.name or f"Harvest user {person.user_id}", CONTACT_NAME),
            "ContactNumber": f"{STAMP}{person.user_id}",
        }
        if person.email:
            payload["EmailAddress"] = person.email
        if person.first_name:
            payload["FirstName"] = person.first_name
        if person.last_name:
            payload["LastName"] = person.last_name
        return payload

    def _create(self, people: list[Person]) -> None:
        payloads = [self._payload(p) for p in people]
        rows = [
            self._row(p, SyncLink.State.SENDING, payload=payload)
            for p, payload in zip(people, payloads, strict=True)
        ]
        stored = ledger_upsert(
            rows=rows, key="harvest_id", update_fields=["label", "state", "idempotency_key"]
        )
        links = [stored[r.harvest_id] for r in rows]
        key = idempotency_key_for_batch(
            operation="expense-people", record_keys=[link.idempotency_key for link in links]
        )
        result = self.xero.create_contacts(contacts=payloads, idempotency_key=key)
        for person, record in zip(people, result.results, strict=True):
            if record.ok:
                self._save(person, SyncLink.State.SYNCED, xero_id=record.xero_id)
            else:
                self.held[person.user_id] = (
                    f"Xero refused a supplier contact for {person.name}: {record.error_text}"
                )
                self._save(person, SyncLink.State.FAILED, error=record.error_text)

    def _row(self, person: Person, state: str, *, payload=None, xero_id=None, error="") -> SyncLink:
        return SyncLink(
            integration=self.integration,
            kind=PERSON,
            harvest_id=person.user_id,
            xero_id=xero_id,
            label=person.name[:255],
            state=state,
            last_error=error,
            idempotency_key=idempotency_key_derive(
                integration_id=self.integration.pk,
                kind=PERSON,
                harvest_id=person.user_id,
                payload_hash=payload_hash(payload or {"user": person.user_id}),
            ),
        )

    def _save(self, person: Person, state: str, *, xero_id=None, error="") -> None:
        row = self._row(person, state, xero_id=xero_id, error=error)
        fields = ["label", "state", "last_error"] + (["xero_id"] if xero_id else [])
        stored = ledger_upsert(rows=[row], key="harvest_id", update_fields=fields)
        self.links[person.user_id] = stored[person.user_id]

"""What to do with each Harvest client (pure: records + rules + ledger -> operations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncapp.flows.contacts.losses import apart_note, diverged_note, losses_note
from syncapp.flows.contacts.matching import ContactIndex, MatchRules, contact_match
from syncapp.flows.contacts.merge import contact_merge
from syncapp.flows.contacts.records import (
    FIELD_LABELS,
    FIELDS,
    HARVEST_CONTACT_FIELDS,
    HarvestSide,
    XeroSide,
    contact_reference,
    email_acceptable,
    value_to_xero,
    xero_payload_fields,
)
from syncapp.flows.xero_text import CONTACT_NAME, too_long_reason
from syncapp.models import Conflict
from syncapp.services.ledger import payload_hash

CREATE, LINK, UPDATE, CONFLICT, SKIP = "create", "link", "update", "conflict", "skip"
HOLD = "hold"  # not sent: Xero would refuse it; the reason says what finance must fix


def name_too_long(name: str) -> str | None:
    # Xero identifies contacts by Name (unique, matched on): never shortened (Contact.Name
    # maxLength 255 in xero_accounting.yaml).
    return too_long_reason(
        what="client name", value=name, limit=CONTACT_NAME, fix="Shorten it in Harvest."
    )


@dataclass(frozen=True)
class LedgerView:
    """The part of a SyncLink the planner reads."""

    harvest_id: str
    xero_id: str | None
    state: str
    snapshot: dict
    payload_hash: str = ""


@dataclass(frozen=True)
class OpenConflict:
    reason: str
    fields: frozenset[str] = frozenset()  # fields waiting in review on a linked contact
    status: str = Conflict.Status.OPEN


@dataclass
class ContactOp:
    action: str
    client: HarvestSide
    contact_id: str | None = None
    xero_payload: dict[str, Any] = field(default_factory=dict)  # empty: nothing to send to Xero
    harvest_client_changes: dict[str, Any] = field(default_factory=dict)
    harvest_contact_changes: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    state_hash: str = ""
    message: str = ""
    conflict_reason: str = ""
    conflict_detail: str = ""
    conflict_candidates: list[dict[str, Any]] = field(default_factory=list)
    restore: bool = False
    ledger_changes: bool = False  # the ledger must be written even without a remote write
    notes: str = ""  # values replaced or left apart, kept in the message whatever it says first

    @property
    def writes(self) -> bool:
        return bool(
            self.xero_payload or self.harvest_client_changes or self.harvest_contact_changes
        )


@dataclass(frozen=True)
class PlanInput:
    clients: list[HarvestSide]
    contacts: dict[str, XeroSide]
    ledger: dict[str, LedgerView]  # harvest client id -> link
    linked: dict[str, str]  # xero contact id -> harvest client id, for every client link
    conflicts: dict[str, OpenConflict]  # harvest client id -> open or ignored conflict
    rules: MatchRules
    owners: dict[str, str]  # field -> "harvest" / "xero" / "review"


def contacts_plan(data: PlanInput) -> list[ContactOp]:
    index = ContactIndex(list(data.contacts.values()))
    linked = dict(data.linked)
    ops: list[ContactOp] = []
    for client in sorted(
        data.clients, key=lambda c: int(c.client_id) if c.client_id.isdigit() else 0
    ):
        op = client_plan(client=client, data=data, index=index, linked=linked)
        if op.action == LINK and op.contact_id:
            linked[op.contact_id] = client.client_id  # one contact, one client, within a run too
        ops.append(op)
    return ops


def client_plan(
    *, client: HarvestSide, data: PlanInput, index: ContactIndex, linked: dict[str, str]
) -> ContactOp:
    link = data.ledger.get(client.client_id)
    conflict = data.conflicts.get(client.client_id)
    snapshot = (link.snapshot if link else {}) or {}
    if conflict and conflict.status == Conflict.Status.IGNORED:
        return ContactOp(SKIP, client, message="Ignored by finance in contact review.")
    if link and link.xero_id and link.xero_id in data.contacts:
        frozen = conflict.fields if conflict else frozenset()
        contact = data.contacts[link.xero_id]
        if contact.archived and contact.merged_to:
            if conflict:
                return ContactOp(SKIP, client, message="Waiting in contact review.")
            return contact_merged_plan(client=client, contact=contact, data=data, linked=linked)
        # Finance linked this client to an archived contact in review: linking restores it.
        restore = bool(snapshot.get("restore")) and contact.archived
        op = contact_update_plan(
            client=client, contact=contact, link=link, data=data, frozen=frozen, restore=restore
        )
        if snapshot.get("restore") or link.state != "synced":
            # Settle the row (clear the flag, end a retry) even when nothing is left to send.
            op.ledger_changes = True
        return op
    if link and link.xero_id:
        return ContactOp(
            SKIP,
            client,
            contact_id=link.xero_id,
            message="The linked Xero contact was not found in this read; retried next run.",
        )
    if conflict:
        return ContactOp(SKIP, client, message="Waiting in contact review.")
    if snapshot.get("force_create"):
        return contact_create_plan(client=client, message="Finance chose to create a new contact.")
    if not client.is_active and not client.invoices_waiting:
        return ContactOp(SKIP, client, message="Inactive in Harvest and never synced: not created.")
    decision = contact_match(client=client, index=index, rules=data.rules, linked=linked)
    if decision.outcome == "none":
        return contact_create_plan(client=client, message="No matching contact in Xero.")
    if decision.outcome == "link":
        chosen = decision.chosen.contact
        repaired = link is not None and link.state == "sending"
        message = (
            f"Found the contact an interrupted run created ({decision.detail})."
            if repaired
            else f"Linked to {chosen.name} ({decision.detail})."
        )
        op = contact_update_plan(
            client=client,
            contact=chosen,
            link=LedgerView(client.client_id, chosen.contact_id, "pending", {}),
            data=data,
            restore=chosen.archived,
        )
        op.action, op.message, op.ledger_changes = LINK, _with_notes(message, op), True
        return op
    reason = {
        "ambiguous": Conflict.Reason.AMBIGUOUS_MATCH,
        "weak": Conflict.Reason.WEAK_MATCH,
        "review": Conflict.Reason.REVIEW_POLICY,
    }[decision.outcome]
    return ContactOp(
        CONFLICT,
        client,
        message=decision.detail,
        conflict_reason=reason,
        conflict_candidates=[c.as_json() for c in decision.candidates],
    )


def contact_merged_plan(
    *, client: HarvestSide, contact: XeroSide, data: PlanInput, linked: dict[str, str]
) -> ContactOp:
    """Finance merged the linked contact into another in Xero (the old one is archived with
    MergedToContactID, https://developer.xero.com/documentation/api/accounting/contacts):
    follow the merge, unless the surviving contact belongs to another Harvest client."""
    target = data.contacts.get(contact.merged_to)
    owner = linked.get(contact.merged_to)
    if target is None or (owner and owner != client.client_id):
        why = "is not readable" if target is None else f"is linked to Harvest client {owner}"
        return ContactOp(
            CONFLICT,
            client,
            message=f"{contact.name} was merged in Xero into a contact that {why}.",
            conflict_reason=Conflict.Reason.REVIEW_POLICY,
            conflict_candidates=[
                {
                    **target.summary(),
                    "matched": ["merged"],
                    "reasons": [f"{contact.name} was merged into it in Xero"],
                    "contradictions": [f"linked to Harvest client {owner}"] if owner else [],
                    "score": 1.0,
                    "linked_to": owner or "",
                }
            ]
            if target
            else [],
        )
    op = contact_update_plan(
        client=client,
        contact=target,
        link=LedgerView(client.client_id, target.contact_id, "pending", {}),
        data=data,
    )
    op.action, op.ledger_changes = LINK, True
    op.message = _with_notes(f"Followed the merge in Xero: {contact.name} -> {target.name}.", op)
    return op


def contact_create_payload(client: HarvestSide) -> dict[str, Any]:
    values = {name: value_to_xero(name, value) for name, value in client.values().items()}
    body = xero_payload_fields({k: v for k, v in values.items() if v and v != {}})
    if body.get("Addresses") == [{"AddressType": "POBOX"}]:
        del body["Addresses"]
    body["ContactNumber"] = contact_reference(harvest_client_id=client.client_id)
    return body


EMAIL_REFUSED_NOTE = (
    " The e-mail '{email}' is not one Xero accepts (one plain address); it was left out "
    "in Xero. Correct it in Harvest to send it."
)


def contact_create_plan(*, client: HarvestSide, message: str) -> ContactOp:
    values = client.values()
    too_long = name_too_long(values["name"])
    if too_long:
        return ContactOp(HOLD, client, message=too_long, ledger_changes=True)
    payload = contact_create_payload(client)
    snapshot = {
        "harvest": values,
        "xero": {name: value_to_xero(name, value) for name, value in values.items()},
    }
    if not email_acceptable(values["email"]):
        # Sending it would fail the contact on every run; the rest of the contact goes.
        payload.pop("EmailAddress", None)
        snapshot["xero"]["email"] = ""
        message += EMAIL_REFUSED_NOTE.format(email=values["email"])
    return ContactOp(
        CREATE,
        client,
        xero_payload=payload,
        snapshot=snapshot,
        state_hash=payload_hash(snapshot["xero"]),
        message=message,
        ledger_changes=True,
    )


def contact_update_plan(
    *,
    client: HarvestSide,
    contact: XeroSide,
    link: LedgerView,
    data: PlanInput,
    frozen: frozenset[str] = frozenset(),
    restore: bool = False,
) -> ContactOp:
    snapshot = link.snapshot or {}
    merged = contact_merge(
        harvest=client.values(),
        xero=contact.values(),
        snapshot=snapshot,
        owners=data.owners,
        force=snapshot.get("force") or {},
        frozen=frozen,
    )
    to_harvest = dict(merged.to_harvest)
    if client.contact_id is None:
        # No contact person in Harvest to carry these: keep Harvest's (empty) side as it is.
        for name in HARVEST_CONTACT_FIELDS:
            if name in to_harvest:
                merged.snapshot["harvest"][name] = client.values()[name]
                del to_harvest[name]
    xero_changes = dict(merged.to_xero)
    refused_email = ""
    if "email" in xero_changes and not email_acceptable(xero_changes["email"]):
        refused_email = xero_changes.pop("email")
        merged.snapshot["xero"]["email"] = contact.values()["email"]
    refused_name = name_too_long(xero_changes.get("name") or "")
    if refused_name:
        # The rest of the contact still syncs; Xero keeps its name until Harvest's is shorter.
        del xero_changes["name"]
        merged.snapshot["xero"]["name"] = contact.values()["name"]
    payload: dict[str, Any] = {}
    if xero_changes or restore or not contact.contact_number:
        # Only what changed: Xero treats a Name sent by ContactID as a rename (and checks it
        # against every other active contact's name).
        payload = {
            "ContactID": contact.contact_id,
            **xero_payload_fields(xero_changes, existing_addresses=contact.addresses_raw),
        }
        if restore:
            payload["ContactStatus"] = "ACTIVE"
        if not contact.contact_number:
            payload["ContactNumber"] = contact_reference(harvest_client_id=client.client_id)
    new_state = merged.snapshot["xero"]
    # Nothing is written when the state Xero should hold hashes like the state it holds.
    if payload_hash(new_state) == payload_hash(contact.values()) and set(payload) <= {"ContactID"}:
        payload = {}
    new_snapshot = {"harvest": merged.snapshot["harvest"], "xero": new_state}
    ledger_changes = new_snapshot != {k: snapshot.get(k) for k in ("harvest", "xero")} or bool(
        snapshot.get("force")
    )
    op = ContactOp(
        UPDATE if (payload or to_harvest) else SKIP,
        client,
        contact_id=contact.contact_id,
        xero_payload=payload,
        harvest_client_changes={
            k: v for k, v in to_harvest.items() if k not in HARVEST_CONTACT_FIELDS
        },
        harvest_contact_changes={
            k: v for k, v in to_harvest.items() if k in HARVEST_CONTACT_FIELDS
        },
        snapshot=new_snapshot,
        state_hash=payload_hash(new_state),
        restore=restore,
        ledger_changes=ledger_changes,
    )
    sides = []
    if payload:
        labels = ", ".join(FIELD_LABELS[k] for k in FIELDS if k in xero_changes)
        sides.append("Xero: " + (labels or ("restored" if restore else "reference")))
    if to_harvest:
        sides.append("Harvest: " + ", ".join(FIELD_LABELS[k] for k in FIELDS if k in to_harvest))
    op.message = ("Updated " + "; ".join(sides)) if sides else "Unchanged."
    if refused_email:
        op.message += EMAIL_REFUSED_NOTE.format(email=refused_email)
    if refused_name:
        op.message += f" Name not sent: {refused_name}"
    losses = losses_note(merged.overridden, to_xero=set(xero_changes), to_harvest=set(to_harvest))
    op.notes = " ".join(n for n in (losses, apart_note(merged.apart)) if n)
    op.message = _with_notes(op.message, op)
    if merged.diverged:  # frozen fields never diverge again: they wait in their conflict
        op.conflict_reason = Conflict.Reason.FIELD_DIVERGED
        op.conflict_candidates = [
            {
                **d,
                "contact_id": contact.contact_id,
                "contact_name": contact.name,
                "label": FIELD_LABELS[d["field"]],
            }
            for d in merged.diverged
        ]
        labels = ", ".join(FIELD_LABELS[d["field"]] for d in merged.diverged)
        op.conflict_detail = (
            f"Changed in both Harvest and Xero since the last sync, to different values: {labels}"
            f" ({diverged_note(merged.diverged)}); neither value was written: finance picks one."
        )
        op.message = (
            f"{op.message} Waiting in review: {op.conflict_detail}"
            if sides
            else _with_notes(op.conflict_detail, op)
        )
    return op


def _with_notes(message: str, op: ContactOp) -> str:
    return f"{message} {op.notes}" if op.notes else message

"""Conflicts a contacts run opens: queued while the run goes, written a batch at a time.

One open conflict per record (a database constraint): a field that diverges while the record
already waits in review joins that conflict instead of opening another.
"""

from __future__ import annotations

from django.db import transaction

from syncapp.flows.contacts.plan import CONFLICT, ContactOp
from syncapp.models import Conflict, SyncKind, SyncLink
from syncapp.services.ledger import LinkOutcome

KIND = SyncKind.CLIENT
# Xero's words for its unique-name rule (https://developer.xero.com/documentation/api/accounting/contacts:
# "The contact name must be unique across all active contacts").
NAME_TAKEN_MARKERS = ("already assigned to another contact", "must be unique across all active")


def error_is_name_taken(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in NAME_TAKEN_MARKERS)


class ConflictQueue:
    """Mixed into ContactsApply: needs `integration`, `contacts` (the Xero contacts known),
    `record()`, `new_conflicts` and `conflict_links` (harvest id -> label of clients whose
    ledger row shows they wait in review)."""

    integration: object
    new_conflicts: list[Conflict]
    conflict_links: dict[str, str]

    def conflict_open(self, op: ContactOp, *, reason: str, detail: str, candidates: list) -> None:
        self.new_conflicts.append(
            Conflict(
                integration=self.integration,
                kind=KIND,
                harvest_id=op.client.client_id,
                label=op.client.name[:255],
                reason=reason,
                detail=detail,
                harvest_snapshot=op.client.summary(),
                candidates=candidates,
            )
        )
        if reason != Conflict.Reason.FIELD_DIVERGED and not op.contact_id:
            self.conflict_links[op.client.client_id] = op.client.name

    def conflicts_flush(self) -> None:
        if not self.new_conflicts and not self.conflict_links:
            return
        with transaction.atomic():
            waiting = {
                c.harvest_id: c
                for c in Conflict.objects.select_for_update().filter(
                    integration=self.integration,
                    kind=KIND,
                    status=Conflict.Status.OPEN,
                    harvest_id__in=[c.harvest_id for c in self.new_conflicts],
                )
            }
            grown = []
            for new in self.new_conflicts:
                old = waiting.get(new.harvest_id)
                if old is None:
                    continue
                known = {c.get("field") for c in old.candidates or [] if isinstance(c, dict)}
                extra = [c for c in new.candidates if c.get("field") and c["field"] not in known]
                if extra:
                    old.candidates = [*(old.candidates or []), *extra]
                    old.detail = f"{old.detail}\n{new.detail}".strip()
                    grown.append(old)
            if grown:
                Conflict.objects.bulk_update(grown, ["candidates", "detail"])
            fresh = [c for c in self.new_conflicts if c.harvest_id not in waiting]
            Conflict.objects.bulk_create(fresh, ignore_conflicts=True)
            if self.conflict_links:
                SyncLink.objects.bulk_create(
                    [
                        SyncLink(
                            integration=self.integration,
                            kind=KIND,
                            harvest_id=h,
                            label=label[:255],
                            state=SyncLink.State.CONFLICT,
                        )
                        for h, label in self.conflict_links.items()
                    ],
                    update_conflicts=True,
                    unique_fields=["integration", "kind", "harvest_id"],
                    update_fields=["label", "state", "updated_at"],
                )
        self.new_conflicts, self.conflict_links = [], {}

    def name_taken(
        self, op: ContactOp, *, link: SyncLink, error: str, creating: bool
    ) -> LinkOutcome:
        """Xero's unique-name rule becomes a conflict for finance, never a raw failure."""
        wanted = str(op.xero_payload.get("Name") or op.client.name).strip().casefold()
        holders = [
            c
            for c in self.contacts.values()
            if c.name.strip().casefold() == wanted and c.contact_id != op.contact_id
        ]
        detail = (
            f"Xero already has an active contact named '{op.xero_payload.get('Name') or op.client.name}'. "
            f"Xero said: {error}"
        )
        if creating:
            candidates = [
                {
                    **c.summary(),
                    "matched": ["name"],
                    "reasons": ["holds this name in Xero"],
                    "contradictions": [],
                    "score": 1.0,
                    "linked_to": "",
                }
                for c in holders
            ]
        else:
            candidates = [
                {
                    "field": "name",
                    "label": "Name",
                    "harvest": op.client.values()["name"],
                    "xero": self.contacts[op.contact_id].name
                    if op.contact_id in self.contacts
                    else "",
                    "contact_id": op.contact_id,
                    "holders": [c.contact_id for c in holders],
                }
            ]
        self.conflict_open(
            op, reason=Conflict.Reason.NAME_TAKEN, detail=detail, candidates=candidates
        )
        self.record(op, CONFLICT, detail, api_error=error)
        if creating:
            self.conflict_links.pop(op.client.client_id, None)
            return LinkOutcome(link=link, error=error, state=SyncLink.State.CONFLICT)
        return LinkOutcome(link=link, error=error, state=SyncLink.State.FAILED)

    def harvest_name_taken(self, op: ContactOp, *, error: str) -> bool:
        """Harvest's client names are unique too: a rename made in Xero that Harvest refuses
        waits in review (the name frozen) instead of failing on every run."""
        wanted = op.harvest_client_changes.get("name")
        if not wanted or "already been taken" not in error.lower():
            return False
        self.conflict_open(
            op,
            reason=Conflict.Reason.NAME_TAKEN,
            detail=f"Harvest already has a client named '{wanted}'. Harvest said: {error}",
            candidates=[
                {
                    "field": "name",
                    "label": "Name",
                    "harvest": op.client.name,
                    "xero": wanted,
                    "contact_id": op.contact_id,
                }
            ],
        )
        self.record(op, CONFLICT, "Harvest refused the name from Xero.", api_error=error)
        return True

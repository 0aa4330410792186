"""Conflicts a contacts run opens: queued while the run goes, written a batch at a time.

One open conflict per record (a database constraint): a field that diverges while the record
already waits in review joins that conflict instead of opening another.
"""

from __future__ import annotations

from django.db import transaction

from syncapp.flows.contacts.plan import ContactOp
from syncapp.models import Conflict, SyncKind, SyncLink

KIND = SyncKind.CLIENT


class ConflictQueue:
    """Mixed into ContactsApply: needs `integration`, `new_conflicts` and `conflict_links`
    (harvest id -> label of clients whose ledger row shows they wait in review)."""

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

"""The month's journal in Xero, exactly once, through its ledger row (kind "journal",
harvest_id "2026-11").

The writes a change needs (create; update a DRAFT; reverse a POSTED one then create the new
one; delete a DRAFT whose month has no costs left) are stored on the row as `pending`, with
their Idempotency-Keys, and committed SENDING before the first request. Each write done is
taken off the list as it is answered. A row left SENDING (answer lost, worker gone) is repaired
first: a create or reversal is searched for by its narration (each revision has its own) before
it is sent again; an update or delete is resent with the same key (doing it twice is harmless).
"""

from __future__ import annotations

from decimal import Decimal

from syncapp.flows.base import FlowContext
from syncapp.flows.journals.plan import (
    CREATE,
    DELETE,
    REVERSE,
    UPDATE,
    JournalPlan,
    journal_reversal,
    month_key,
)
from syncapp.models import SyncEvent, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden, GovernorWouldWait
from syncapp.providers.xero.idempotency import idempotency_key_derive
from syncapp.services.ledger import payload_hash

KIND = "journal"
GONE = ("VOIDED", "DELETED")


def journal_row(*, integration, month) -> SyncLink:
    row, _ = SyncLink.objects.get_or_create(
        integration=integration,
        kind=KIND,
        harvest_id=month_key(month),
        defaults={"label": f"Cost journal {month_key(month)}", "state": SyncLink.State.PENDING},
    )
    return row


class JournalApply:
    def __init__(self, *, flow: FlowContext, row: SyncLink) -> None:
        self.flow = flow
        self.row = row
        self.snapshot = dict(row.snapshot or {})
        self.sent = 0

    # --- what Xero holds -----------------------------------------------------------------------

    @property
    def current(self) -> dict | None:
        return self.snapshot.get("current")

    def xero_status(self) -> str:
        """The live journal's status in Xero now ("" if none, or voided/deleted there): finance
        may have posted a draft, or removed the journal, since the last run."""
        current = self.current
        if not current:
            return ""
        journal = self.flow.xero.get_manual_journal(manual_journal_id=current["id"])
        status = "" if journal.status in GONE else journal.status
        if status != current.get("status"):
            self.snapshot["current"] = {**current, "status": status} if status else None
        return status

    # --- the writes ---------------------------------------------------------------------------

    def _op(self, op: str, payload: dict, **extra) -> dict:
        key = idempotency_key_derive(
            integration_id=self.row.integration_id,
            kind=KIND,
            harvest_id=f"{self.row.harvest_id}:{op}:{payload.get('Narration', '')}",
            payload_hash=payload_hash(payload),
        )
        return {"op": op, "payload": payload, "key": key, **extra}

    def ops_for(self, action: str, *, plan: JournalPlan) -> list[dict]:
        current = self.current or {}
        revision = int(self.snapshot.get("revision") or 0)
        if action == UPDATE:
            payload = {**plan.payload(revision=revision), "ManualJournalID": current["id"]}
            return [self._op(UPDATE, payload, journal_id=current["id"])]
        if action == DELETE:
            payload = {
                "ManualJournalID": current["id"],
                "Narration": current["narration"],
                "Status": "DELETED",
            }
            return [self._op(DELETE, payload, journal_id=current["id"])]
        ops = []
        if action == REVERSE:
            ops.append(self._op(REVERSE, journal_reversal(current["payload"])))
        if not plan.empty:
            ops.append(self._op(CREATE, plan.payload(revision=revision + 1), revision=revision + 1))
        return ops

    def prepare(self, ops: list[dict], *, plan: JournalPlan, content_hash: str) -> None:
        """Committed before any request: the writes to make, each with its key."""
        self.snapshot.update(
            pending=ops, target_hash=content_hash, total=str(plan.total), projects=plan.projects
        )
        self.row.label = plan.label[:255]
        self.row.state = SyncLink.State.SENDING
        self.row.idempotency_key = ops[0]["key"]
        self.row.attempts += 1
        self._save()

    def perform(self) -> bool:
        """Send what is pending, in order; True when nothing is left."""
        while self.snapshot.get("pending"):
            op = self.snapshot["pending"][0]
            try:
                journal = self._found(op) or self._send(op)
            except (AuthExpired, Forbidden, GovernorWouldWait):
                raise
            except ApiError as error:
                self._stopped(op, error)
                return False
            if journal is None:
                return False
            self._done(op, journal)
        return True

    def _found(self, op: dict) -> dict | None:
        """A create or reversal an earlier attempt may have made: found by its narration."""
        if op["op"] not in (CREATE, REVERSE) or not op.get("tried"):
            return None
        wanted = op["payload"]["Narration"]
        for journal in self.flow.xero.list_manual_journals(where=f'Narration=="{wanted}"'):
            if journal.status not in GONE and journal.narration == wanted:
                return journal.raw
        return None

    def _send(self, op: dict) -> dict | None:
        op["tried"] = True
        self._save()
        xero = self.flow.xero
        write = (
            xero.create_manual_journals
            if op["op"] in (CREATE, REVERSE)
            else (xero.update_manual_journals)
        )
        result = write(journals=[_wire(op["payload"])], idempotency_key=op["key"])
        (record,) = result.results
        self.sent += 1
        if not record.ok:
            self._refused(op, record.error_text)
            return None
        return record.element

    def _done(self, op: dict, journal: dict) -> None:
        self.snapshot["pending"] = self.snapshot["pending"][1:]
        payload = op["payload"]
        if op["op"] == REVERSE:
            self.snapshot.setdefault("reversals", []).append(journal.get("ManualJournalID"))
            self.snapshot["current"] = None
        elif op["op"] == DELETE:
            self.snapshot["current"] = None
        else:
            if op["op"] == CREATE:
                self.snapshot["revision"] = op["revision"]
            self.snapshot["current"] = {
                "id": journal.get("ManualJournalID"),
                "narration": payload["Narration"],
                "status": journal.get("Status") or payload["Status"],
                "payload": {k: v for k, v in payload.items() if k != "ManualJournalID"},
            }
        if not self.snapshot["pending"]:
            self.snapshot["sent_hash"] = self.snapshot.get("target_hash", "")
            self.row.state = SyncLink.State.SYNCED
            self.row.last_error = ""
        self.row.xero_id = (self.snapshot.get("current") or {}).get("id") or self.row.xero_id
        self._save()
        self.flow.recorder.record(
            action=SyncEvent.Action.CREATE if op["op"] == CREATE else SyncEvent.Action.UPDATE,
            kind=KIND,
            harvest_id=f"{self.row.harvest_id}:{op['op']}",
            xero_id=journal.get("ManualJournalID") or "",
            label=payload.get("Narration", "")[:255],
            message=_what(op),
            link=self.row,
        )

    def _refused(self, op: dict, reason: str) -> None:
        self.row.state = SyncLink.State.FAILED
        self.row.last_error = (
            f"Xero refused the cost journal ({_what(op)}): {reason} Fix it and run "
            "'sync journals' for the month again."
        )
        self.snapshot["pending"] = []
        self._save()
        self.flow.recorder.record(
            action=SyncEvent.Action.FAIL,
            kind=KIND,
            harvest_id=self.row.harvest_id,
            label=self.row.label,
            message=self.row.last_error,
            api_error=reason,
            link=self.row,
        )

    def _stopped(self, op: dict, error: ApiError) -> None:
        """No answer: the row stays SENDING and the next run searches before sending again."""
        self.row.state = (
            SyncLink.State.SENDING
            if error.maybe_applied or op.get("tried")
            else (SyncLink.State.FAILED)
        )
        self.row.last_error = (
            f"Xero did not answer ({_what(op)}): {error}. The next run looks for the journal "
            "in Xero before sending it again."
        )
        self._save()
        self.flow.recorder.record(
            action=SyncEvent.Action.FAIL,
            kind=KIND,
            harvest_id=self.row.harvest_id,
            label=self.row.label,
            message=self.row.last_error,
            api_error=getattr(error, "api_message", "") or str(error),
            link=self.row,
        )

    def refuse(self, *, plan: JournalPlan, reason: str) -> None:
        self.row.label = plan.label[:255]
        self.row.state = SyncLink.State.HELD
        self.row.last_error = reason
        self._save()

    def _save(self) -> None:
        self.row.snapshot = self.snapshot
        self.row.save(
            update_fields=[
                "snapshot",
                "state",
                "last_error",
                "label",
                "xero_id",
                "idempotency_key",
                "attempts",
                "updated_at",
            ]
        )


def _wire(payload: dict) -> dict:
    """The stored payload keeps amounts as text (JSON); Xero takes numbers."""
    if "JournalLines" not in payload:
        return payload
    lines = [{**ln, "LineAmount": Decimal(ln["LineAmount"])} for ln in payload["JournalLines"]]
    return {**payload, "JournalLines": lines}


def _what(op: dict) -> str:
    return {
        CREATE: "journal created",
        UPDATE: "draft journal replaced in place",
        REVERSE: "posted journal reversed",
        DELETE: "draft journal deleted (no costs left in the month)",
    }[op["op"]]

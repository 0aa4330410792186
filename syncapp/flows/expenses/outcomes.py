"""Settle every expense the run met: its ledger row (state, the reason a person reads, the
document it is in and the Harvest record) and one event, counted as it ended."""

from __future__ import annotations

from syncapp.flows.expenses.ledger import DOC, EXPENSE, expense_rows_write
from syncapp.flows.expenses.plan import CLIENT, FLAG, HOLD, INVOICED, SEND, SKIP, group_reference
from syncapp.flows.expenses.writes import LOST
from syncapp.flows.xero_cache import json_plain
from syncapp.models import SyncEvent, SyncLink

A = SyncEvent.Action
S = SyncLink.State


def _label(fact) -> str:
    what = fact.category_name or "Expense"
    return f"{what} {fact.total} · {fact.user_name or 'unknown person'} · {fact.spent_date}"


def _documents(integration, keys) -> dict[str, SyncLink]:
    return {
        link.harvest_id: link
        for link in SyncLink.objects.filter(
            integration=integration, kind=DOC, harvest_id__in=list(keys)
        )
    }


def _where(key: str) -> str:
    group, _, part = key.rpartition("#")
    what = "spend money" if group.startswith("spend:") else "bill"
    return f"{what} {group_reference(group, int(part or 1))}"


class _Outcomes:
    def __init__(self, *, flow, apply, assignment, rows, dry_run) -> None:
        self.flow = flow
        self.apply = apply
        self.assignment = assignment
        self.rows = rows
        self.dry_run = dry_run
        self.writes: list[tuple[str, str, str, str, dict]] = []
        keys = set(assignment.placed.values()) | {
            (r.snapshot or {}).get("document") for r in rows.values()
        }
        self.docs = _documents(flow.integration, {k for k in keys if k})

    def event(self, action, eid, label, message, api_error="") -> None:
        self.flow.recorder.record(
            action=action,
            kind=EXPENSE,
            harvest_id=eid,
            label=label,
            message=message,
            api_error=api_error,
        )

    def row(self, eid, label, state, reason, *, raw, document=None, note="") -> None:
        if self.dry_run:
            return
        previous = dict((self.rows[eid].snapshot or {}) if eid in self.rows else {})
        snapshot = {**previous, "harvest": json_plain(raw), "note": note}
        if document is not None:
            snapshot["document"] = document
            doc = self.docs.get(document)
            if doc is not None and doc.xero_id:
                snapshot["xero"] = {
                    "id": doc.xero_id,
                    "type": "spend" if document.startswith("spend:") else "bill",
                    "reference": (doc.snapshot or {}).get("reference", ""),
                }
            receipt = ((doc.snapshot or {}).get("receipts", {}) if doc else {}).get(eid)
            snapshot["receipt"] = receipt or {}
        self.writes.append((eid, label, state, reason, snapshot))

    def sent(self, eid, label, raw) -> None:
        key = self.assignment.placed.get(eid)
        if self.dry_run:
            verb = "unchanged in" if eid in self.assignment.unchanged else "would go on"
            action = A.SKIP if eid in self.assignment.unchanged else A.CREATE
            self.event(action, eid, label, f"{verb.capitalize()} {_where(key)}.")
            return
        done = self.apply.writer.outcome.get(key)
        error = self.apply.writer.errors.get(key) or self.apply.interrupted.get(key, "")
        note = self.apply.uploader.notes.get(eid, "")
        before = (self.rows[eid].snapshot or {}).get("document") if eid in self.rows else None
        if error == LOST or "interrupted" in note:
            self.row(eid, label, S.SENDING, error or note, raw=raw, document=key)
            self.event(A.FAIL, eid, label, error or note)
        elif error:
            self.row(
                eid, label, S.FAILED, f"Xero refused {_where(key)}: {error}", raw=raw, document=key
            )
            self.event(A.FAIL, eid, label, f"Xero refused {_where(key)}.", api_error=error)
        elif eid in self.assignment.unchanged and not done:
            self.row(eid, label, S.SYNCED, note, raw=raw, document=key)
            self.event(A.SKIP, eid, label, f"Already on {_where(key)}, unchanged. {note}".strip())
        elif done is None:
            waiting = "Not sent yet: the run stopped (rate limit) and goes on by itself."
            self.row(eid, label, S.SENDING, waiting, raw=raw, document=key)
            self.event(A.HOLD, eid, label, waiting)
        else:
            action = A.CREATE if before is None or before != key else A.UPDATE
            self.row(eid, label, S.SYNCED, note, raw=raw, document=key)
            self.event(action, eid, label, f"On {_where(key)}. {note}".strip())

    def removed(self, eid, row) -> None:
        label = row.label
        key = (row.snapshot or {}).get("document", "")
        raw = (row.snapshot or {}).get("harvest", {})
        if eid in self.assignment.flagged:
            reason = self.assignment.flagged[eid]
            self.row(eid, label, S.CONFLICT, reason, raw=raw, document=key)
            self.event(A.CONFLICT, eid, label, reason)
            return
        message = f"Deleted in Harvest: taken off {_where(key)}."
        if self.dry_run:
            self.event(A.VOID, eid, label, "Would be " + message[0].lower() + message[1:])
            return
        error = self.apply.writer.errors.get(key) or self.apply.interrupted.get(key, "")
        if error:
            self.event(A.FAIL, eid, label, f"Could not take it off {_where(key)}: {error}")
            return
        self.row(eid, label, S.VOIDED, message, raw=raw, document=key)
        self.event(A.VOID, eid, label, message)

    def receipts_only(self, *, seen: set[str]) -> None:
        """Receipts finished or interrupted for expenses this run did not otherwise meet (an
        earlier run's upload left unanswered): each says so, and an interrupted one keeps the run
        from reading as a success."""
        uploader = self.apply.uploader
        for eid in sorted(set(uploader.attached) | set(uploader.notes), key=int):
            if eid in seen:
                continue
            label = self.rows[eid].label if eid in self.rows else f"Expense {eid}"
            note = uploader.notes.get(eid, "")
            if "interrupted" in note:
                self.event(A.FAIL, eid, label, note)
            elif note:
                self.event(A.SKIP, eid, label, note)
            else:
                key = uploader.attached[eid]
                self.event(A.UPDATE, eid, label, f"Receipt attached to {_where(key)}.")


def outcomes_record(*, flow, decisions, apply, assignment, rows, facts, raws, removed, dry_run):
    out = _Outcomes(flow=flow, apply=apply, assignment=assignment, rows=rows, dry_run=dry_run)
    for eid, decision in sorted(decisions.items(), key=lambda item: int(item[0])):
        fact, raw = facts[eid], raws[eid]
        label = _label(fact)
        row = rows.get(eid)
        in_document = (row.snapshot or {}).get("document") if row else None
        if eid in assignment.flagged or decision.action == FLAG:
            reason = assignment.flagged.get(eid) or decision.reason
            out.row(eid, label, S.CONFLICT, reason, raw=raw, document=in_document)
            out.event(A.CONFLICT, eid, label, reason)
        elif decision.action == SEND:
            out.sent(eid, label, raw)
        elif decision.action == HOLD:
            out.row(eid, label, S.HELD, decision.reason, raw=raw, document=in_document)
            out.event(A.HOLD, eid, label, decision.reason)
        elif decision.action == CLIENT:
            out.row(eid, label, S.HELD, decision.reason, raw=raw)
            out.event(A.SKIP, eid, label, decision.reason)
        elif decision.action == INVOICED:
            # Not an error: the row says where it went in its note, not as "last error".
            out.row(eid, label, S.SYNCED, "", raw=raw, note=decision.reason)
            out.event(A.SKIP, eid, label, decision.reason)
        elif decision.action == SKIP:
            suffix = f" It stays on {_where(in_document)} as sent." if in_document else ""
            out.event(A.SKIP, eid, label, decision.reason + suffix)
    for eid, row in sorted(removed.items(), key=lambda item: int(item[0])):
        out.removed(eid, row)
    out.receipts_only(seen=set(decisions) | set(removed))
    expense_rows_write(integration=flow.integration, rows=out.writes)

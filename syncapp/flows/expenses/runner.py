"""The expenses flow's entry point for the engine: read Harvest's expenses (by cursor, and all
of them once a day so deletions are seen from a complete read only), plan each one (pure), place
them in documents, then write people, documents and receipts, and settle every expense's row.

A rate-limit wait (GovernorWouldWait) is let through: the engine re-queues the run and the
ledger (rows SENDING, documents searched by reference) makes the second pass safe.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from syncapp.flows.base import FlowContext
from syncapp.flows.expenses.assign import Assignment, documents_assign
from syncapp.flows.expenses.facts import (
    categories_refresh,
    category_rules,
    expense_facts,
    people_from_users,
    policy_load,
)
from syncapp.flows.expenses.ledger import (
    documents_load,
    expense_rows_load,
    expense_rows_to_replan,
    receipts_pending,
)
from syncapp.flows.expenses.outcomes import outcomes_record
from syncapp.flows.expenses.plan import SEND, expense_plan
from syncapp.flows.expenses.preflight import expenses_preflight
from syncapp.flows.expenses.writes import DocumentsApply
from syncapp.flows.invoices.runner import governors_wait_a_minute, settings_max_age
from syncapp.flows.xero_cache import xero_settings_get
from syncapp.models import SyncLink
from syncapp.providers.harvest.timesheet_types import HarvestExpense
from syncapp.services.cursors import cursors_get, cursors_set

STREAM = "harvest.expenses"
FULL_STREAM = "harvest.expenses.full"
FULL_EVERY = timedelta(hours=24)
CURSOR_OVERLAP = timedelta(minutes=5)
IN_A_DOCUMENT = (SyncLink.State.SYNCED, SyncLink.State.SENDING, SyncLink.State.FAILED)


def expenses_run(flow: FlowContext) -> None:
    ExpenseRun(flow).execute()


class ExpenseRun:
    def __init__(self, flow: FlowContext) -> None:
        self.flow = flow
        self.integration = flow.integration
        self.started = timezone.now()
        governors_wait_a_minute(flow)

    # --- reading ---------------------------------------------------------------------------

    def _read(self) -> tuple[dict[str, HarvestExpense], bool, dict]:
        """Expenses by id, whether the read was complete (every expense), and the cursors to
        write once the run got through."""
        harvest, scope = self.flow.harvest, self.flow.scope
        start = self.integration.expenses_from
        if "harvest_expense_ids" in scope:
            ids = [int(i) for i in scope["harvest_expense_ids"]]
            return {str(i): harvest.get_expense(expense_id=i) for i in ids}, False, {}
        cursors = cursors_get(integration=self.integration, streams=(STREAM, FULL_STREAM))
        since, last_full = cursors[STREAM], cursors[FULL_STREAM]
        # A changed policy (approval, start date, mode) may select expenses read long ago.
        full = (
            since is None
            or last_full is None
            or self.started - last_full > FULL_EVERY
            or self.integration.updated_at > last_full
        )
        read = harvest.list_expenses(
            from_date=start, updated_since=None if full else since - CURSOR_OVERLAP
        )
        expenses = {str(e.id): e for e in read}
        stamps = [e.updated_at for e in expenses.values() if e.updated_at]
        newest = max([*stamps, *([since] if since else [])], default=None)
        moves = {STREAM: newest}
        if full:
            moves[FULL_STREAM] = self.started
        return expenses, full, moves

    def _replan(self, expenses: dict[str, HarvestExpense]) -> dict[str, SyncLink]:
        """Add the rows left held, failed, in flight or flagged, from their stored record."""
        rows = {}
        for link in expense_rows_to_replan(integration=self.integration):
            rows[link.harvest_id] = link
            raw = (link.snapshot or {}).get("harvest")
            if link.harvest_id not in expenses and raw:
                expenses[link.harvest_id] = HarvestExpense.from_api(raw)
        return rows

    # --- the run ---------------------------------------------------------------------------

    def execute(self) -> None:
        flow = self.flow
        expenses, complete, moves = self._read()
        fresh = bool(expenses)
        rows = self._replan(expenses)
        rows.update(expense_rows_load(integration=self.integration, ids=expenses))
        removed = self._removed(expenses) if complete else {}
        rows.update(removed)
        if not expenses and not removed and not receipts_pending(self.integration):
            # Idle: one Harvest call, no Xero call at all (not even the settings).
            flow.recorder.summary.extra.update({"idle": True, "full_read": complete})
            if moves and not flow.dry_run:
                cursors_set(integration=self.integration, values=moves)
            return
        flow.recorder.add_total(len(expenses) + len(removed))
        settings = xero_settings_get(
            integration=self.integration, xero=flow.xero, max_age=settings_max_age(flow)
        )
        policy = policy_load(
            integration=self.integration, settings=settings, today=self.started.date()
        )
        categories = (
            categories_refresh(
                integration=self.integration,
                categories=list(flow.harvest.list_expense_categories()),
            )
            if fresh
            else category_rules(integration=self.integration)
        )
        facts = {eid: expense_facts(e, people={}) for eid, e in expenses.items()}
        decisions = {
            eid: expense_plan(f, category=categories.get(f.category_id), policy=policy)
            for eid, f in facts.items()
        }
        apply = DocumentsApply(flow=flow, policy=self.integration, rows=rows)
        decisions = apply.people_link(
            decisions, facts=facts, people=lambda: people_from_users(flow.harvest.list_users())
        )
        current = {
            eid: (row.snapshot or {}).get("document")
            for eid, row in rows.items()
            if (row.snapshot or {}).get("document") and row.state in IN_A_DOCUMENT
        }
        assignment = self._assign(apply, decisions, current=current, removed=removed)
        record = {
            "flow": flow,
            "decisions": decisions,
            "apply": apply,
            "assignment": assignment,
            "rows": rows,
            "facts": facts,
            "raws": {eid: e.raw for eid, e in expenses.items()},
            "removed": removed,
        }
        if flow.dry_run:
            apply.preview(assignment, decisions=decisions)
            outcomes_record(**record, dry_run=True)
            flow.recorder.summary.extra["preflight"] = expenses_preflight(
                integration=self.integration, settings=settings
            )
            return
        try:
            apply.write(assignment)
            apply.receipts_upload(expenses=expenses)
        finally:
            # Also when a rate-limit wait stops the run: what was sent is settled, the rest is
            # marked in flight for the resumed run.
            outcomes_record(**record, dry_run=False)
        extra = flow.recorder.summary.extra
        extra.update(apply.counters())
        extra["full_read"] = complete
        extra["preflight"] = expenses_preflight(integration=self.integration, settings=settings)
        flow.recorder.flush()
        if moves:
            cursors_set(integration=self.integration, values=moves)

    def _removed(self, expenses: dict[str, HarvestExpense]) -> dict[str, SyncLink]:
        """Rows of expenses in a document that a complete read no longer lists."""
        start = self.integration.expenses_from
        gone = {}
        for link in SyncLink.objects.filter(
            integration=self.integration, kind="expense", state__in=IN_A_DOCUMENT
        ).exclude(harvest_id__in=list(expenses)):
            spent = ((link.snapshot or {}).get("harvest") or {}).get("spent_date") or ""
            if start and spent and spent < start.isoformat():
                continue  # outside the read (spent before the start date), not deleted
            if (link.snapshot or {}).get("document"):
                gone[link.harvest_id] = link
        return gone

    def _assign(self, apply, decisions, *, current, removed) -> Assignment:
        """Place the lines; documents that would change are checked in Xero first (paid,
        reconciled, voided there), and placed again if any turned out locked."""
        groups = {d.group for d in decisions.values() if d.action == SEND}
        documents, doc_rows = documents_load(
            integration=self.integration, keys=set(current.values()), groups=groups
        )
        apply.documents_adopt(documents, doc_rows)
        assignment = documents_assign(
            decisions.values(), current=current, documents=documents, removed=removed
        )
        if apply.locks_check([d for d in documents.values() if d.changed]):
            documents, doc_rows = documents_load(
                integration=self.integration, keys=set(current.values()), groups=groups
            )
            apply.documents_adopt(documents, doc_rows)
            assignment = documents_assign(
                decisions.values(), current=current, documents=documents, removed=removed
            )
        apply.documents = documents
        return assignment

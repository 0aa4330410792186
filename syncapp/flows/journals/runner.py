"""The journals flow's entry point for the engine: keep each project's monthly costs current
(time entries and expenses read by cursor; a changed month rebuilt from a complete read of it),
then build the month's cost journal (pure) and send it to Xero exactly once.

The month is the run's scope ({"month": "2026-11"}), or else the last closed month. A poll that
finds the month's journal sent and nothing changed in Harvest makes no Xero call at all.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from syncapp.flows.base import FlowContext
from syncapp.flows.invoices.runner import governors_wait_a_minute, settings_max_age
from syncapp.flows.journals.apply import JournalApply, journal_row
from syncapp.flows.journals.costs import (
    HarvestDirectory,
    months_read,
    months_store,
)
from syncapp.flows.journals.plan import (
    NOTHING,
    REFUSE,
    JournalPlan,
    journal_decide,
    journal_plan,
    last_closed_month,
    month_key,
    month_name,
    month_parse,
)
from syncapp.flows.journals.policy import journal_policy
from syncapp.flows.journals.preflight import journals_preflight
from syncapp.flows.xero_cache import xero_settings_get
from syncapp.models import SyncEvent, SyncLink, SyncRun
from syncapp.services.cursors import cursors_get, cursors_set
from syncapp.services.ledger import payload_hash

TIME_STREAM = "harvest.costs.time_entries"
EXPENSE_STREAM = "harvest.costs.expenses"
CURSOR_OVERLAP = timedelta(minutes=5)
KIND = "journal"


def journals_run(flow: FlowContext) -> None:
    JournalRun(flow).execute()


def run_month(flow: FlowContext) -> date:
    if flow.scope.get("month"):
        return month_parse(flow.scope["month"])
    return last_closed_month(timezone.localdate())


def journals_set_up(integration) -> bool:
    """Finance chose a credit account: the integration wants cost journals."""
    return bool(integration.journal_credit_account_code)


class JournalRun:
    def __init__(self, flow: FlowContext) -> None:
        self.flow = flow
        self.integration = flow.integration
        self.month = run_month(flow)
        self.directory = HarvestDirectory(flow.harvest)
        governors_wait_a_minute(flow)

    # --- costs ---------------------------------------------------------------------------------

    def _changed_months(self) -> tuple[set[date] | None, dict]:
        """Months whose entries or expenses changed since the cursors (None: never read, so
        everything), and where the cursors move once the run got through."""
        cursors = cursors_get(integration=self.integration, streams=(TIME_STREAM, EXPENSE_STREAM))
        if cursors[TIME_STREAM] is None or cursors[EXPENSE_STREAM] is None:
            return None, {}
        harvest, months, moves = self.flow.harvest, set(), {}
        for stream, read in (
            (TIME_STREAM, harvest.list_time_entries),
            (EXPENSE_STREAM, harvest.list_expenses),
        ):
            since = cursors[stream]
            records = list(read(updated_since=since - CURSOR_OVERLAP))
            months |= {r.spent_date.replace(day=1) for r in records if r.spent_date}
            stamps = [r.updated_at for r in records if r.updated_at]
            moves[stream] = max([since, *stamps])
        return months, moves

    def _costs(self) -> tuple[dict, bool]:
        """The costs of the months read, and whether the run's month is among them."""
        changed, moves = self._changed_months()
        row = SyncLink.objects.filter(
            integration=self.integration, kind=KIND, harvest_id=month_key(self.month)
        ).first()
        settled = row is not None and row.state == SyncLink.State.SYNCED
        on_demand = self.flow.run.trigger != SyncRun.Trigger.SCHEDULE or bool(self.flow.scope)
        started = timezone.now()
        if changed is None:
            costs = months_read(harvest=self.flow.harvest, months=None, directory=self.directory)
            costs.setdefault(self.month, {})
            moves = {TIME_STREAM: started, EXPENSE_STREAM: started}
        else:
            wanted = set(changed)
            if on_demand or not settled:
                wanted.add(self.month)  # a journal is built from a complete read of its month
            costs = months_read(harvest=self.flow.harvest, months=wanted, directory=self.directory)
        if not self.flow.dry_run:
            months_store(integration=self.integration, costs=costs)
            if moves:
                cursors_set(integration=self.integration, values=moves)
        extra = self.flow.recorder.summary.extra
        extra["months_rebuilt"] = len(costs)
        return costs, self.month in costs

    # --- the run -------------------------------------------------------------------------------

    def execute(self) -> None:
        flow, extra = self.flow, self.flow.recorder.summary.extra
        extra["month"] = month_key(self.month)
        costs, rebuilt = self._costs()
        if not rebuilt:
            # Nothing changed in Harvest for a journal already sent: no Xero call at all.
            extra["journal"] = "unchanged"
            return
        if not journals_set_up(self.integration):
            # Costs are kept (the dashboard and budgets read them); no journal, no Xero call.
            extra["journal"] = "not set up"
            return
        settings = xero_settings_get(
            integration=self.integration, xero=flow.xero, max_age=settings_max_age(flow)
        )
        base = settings.base_currency if settings else ""
        projects = [c.as_project_cost(base_currency=base) for c in costs[self.month].values()]
        plan = journal_plan(
            month=self.month,
            costs=projects,
            policy=journal_policy(integration=self.integration, settings=settings),
        )
        extra["journal_lines"] = [
            {
                "account": ln.account,
                "amount": str(ln.amount),
                "description": ln.description,
                "tracking": [f"{c}: {o}" for c, o in ln.tracking],
            }
            for ln in plan.lines
        ]
        extra.update(journal_projects=plan.projects, journal_total=str(plan.total))
        left_out: dict[str, Decimal] = {}
        for cost in costs[self.month].values():
            if base and cost.currency not in ("", base) and cost.expense_cost:
                left_out[cost.currency] = (
                    left_out.get(cost.currency, Decimal(0)) + cost.expense_cost
                )
        if left_out:
            # A manual journal is in the base currency only: say what stayed out, and where.
            amounts = ", ".join(
                f"{code} {amount:,.2f}" for code, amount in sorted(left_out.items())
            )
            extra["left_out_other_currency"] = {k: str(v) for k, v in sorted(left_out.items())}
            extra["left_out_note"] = (
                f"Expenses recorded in other currencies than {base} are not in the journal "
                f"({amounts}): Xero's manual journals are in the base currency. Journal them by "
                "hand at your rate if they belong in cost of sales; the dashboard shows them."
            )
        flow.recorder.set_total(1)
        if flow.dry_run:
            self._preview(plan)
        else:
            self._apply(plan)
        extra["preflight"] = journals_preflight(integration=self.integration, settings=settings)

    def _apply(self, plan: JournalPlan) -> None:
        exists = SyncLink.objects.filter(
            integration=self.integration, kind=KIND, harvest_id=month_key(self.month)
        ).exists()
        if plan.empty and not exists:
            self.flow.recorder.summary.extra["journal"] = NOTHING
            self.flow.recorder.record(
                action=SyncEvent.Action.SKIP,
                kind=KIND,
                harvest_id=month_key(self.month),
                label=plan.label,
                message=f"No project costs in {month_name(self.month)}: no journal to send.",
            )
            return
        row = journal_row(integration=self.integration, month=self.month)
        apply = JournalApply(flow=self.flow, row=row)
        if (row.snapshot or {}).get("pending") and not apply.perform():
            return  # an earlier run's writes, finished first (found, or resent with their key)
        content_hash = payload_hash(plan.content())
        status = apply.xero_status() if apply.current else ""
        decision = journal_decide(
            plan=plan,
            sent_hash=(apply.snapshot.get("sent_hash") or ""),
            new_hash=content_hash,
            xero_status=status,
        )
        extra = self.flow.recorder.summary.extra
        extra["journal"] = decision.action
        if decision.action == REFUSE:
            apply.refuse(plan=plan, reason=decision.reason)
            self.flow.recorder.record(
                action=SyncEvent.Action.HOLD,
                kind=KIND,
                harvest_id=row.harvest_id,
                label=plan.label,
                message=decision.reason,
                link=row,
            )
            return
        if decision.action == NOTHING:
            if row.state != SyncLink.State.SYNCED:
                row.state, row.last_error = SyncLink.State.SYNCED, ""
                row.save(update_fields=["state", "last_error", "updated_at"])
            self.flow.recorder.record(
                action=SyncEvent.Action.SKIP,
                kind=KIND,
                harvest_id=row.harvest_id,
                label=plan.label,
                message=decision.reason,
                link=row,
            )
            return
        apply.prepare(
            apply.ops_for(decision.action, plan=plan), plan=plan, content_hash=content_hash
        )
        apply.perform()
        extra["journal_writes"] = apply.sent

    def _preview(self, plan: JournalPlan) -> None:
        what = (
            f"Would send {plan.label}: {len(plan.lines)} lines."
            if not plan.empty
            else f"No project costs in {month_name(self.month)}: no journal."
        )
        if plan.problems:
            what = " ".join(plan.problems)
        self.flow.recorder.record(
            action=SyncEvent.Action.HOLD if plan.problems else SyncEvent.Action.SKIP,
            kind=KIND,
            harvest_id=month_key(self.month),
            label=plan.label,
            message=what,
        )

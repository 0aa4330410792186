"""Budgets run: Harvest's project budgets against hxsync's cost table; crossings e-mailed once.

It reads Harvest's active projects (budgets, managers) and the cost table the journals run
fills (ProjectMonth); it writes nothing to Harvest or Xero, only BudgetAlert rows and e-mails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from syncapp.engine import RunBlocked
from syncapp.flows.base import FlowContext
from syncapp.flows.budgets.apply import alerts_record, alerts_send
from syncapp.flows.budgets.plan import (
    Budget,
    BudgetStatus,
    MonthUse,
    ThresholdsInvalid,
    alerts_new,
    budget_of,
    budget_status,
    emails_split,
    recipients_merge,
    thresholds_parse,
)
from syncapp.models import BudgetAlert, ProjectBudget, ProjectMonth, SyncEvent

KIND = "budget"
NO_COST_DATA = (
    "No cost data yet: the journals run fills it (hours and costs per project and month from "
    "Harvest's time entries and expenses). Run Journals, then Budgets again."
)


class ProjectManagers:
    """Who manages a project in Harvest, read only for the projects that have news."""

    def __init__(self, harvest) -> None:
        self.harvest = harvest
        self._emails: dict[int, str] | None = None

    def emails(self, *, project_id: str) -> list[str]:
        if self._emails is None:
            self._emails = {user.id: user.email for user in self.harvest.list_users(is_active=True)}
        assignments = self.harvest.list_user_assignments(project_id=int(project_id), is_active=True)
        return [
            self._emails.get(a.user.id, "")
            for a in assignments
            if a.is_project_manager and a.user is not None
        ]


def budgets_read(harvest) -> dict[str, Budget]:
    """The active Harvest projects that have a budget to track, by project id."""
    budgets = {}
    for project in harvest.list_projects(is_active=True):
        budget = budget_of(
            project_id=str(project.id),
            project_name=project.name,
            client_name=project.client.name if project.client else "",
            budget_by=project.budget_by,
            hours_budget=project.budget,
            cost_budget=project.cost_budget,
            monthly=project.budget_is_monthly,
            include_expenses=project.cost_budget_include_expenses,
        )
        if budget is not None:
            budgets[budget.project_id] = budget
    return budgets


def month_uses(*, integration_id: int, project_ids: Iterable[str]) -> dict[str, list[MonthUse]]:
    rows = ProjectMonth.objects.filter(
        integration_id=integration_id, harvest_project_id__in=list(project_ids)
    ).values_list("harvest_project_id", "month", "hours", "time_cost", "expense_cost", "currency")
    uses: dict[str, list[MonthUse]] = defaultdict(list)
    for project_id, month, hours, time_cost, expense_cost, currency in rows:
        uses[project_id].append(MonthUse(month, hours, time_cost, expense_cost, currency))
    return uses


def budgets_run(ctx: FlowContext) -> None:
    integration = ctx.integration
    extra = ctx.recorder.summary.extra
    if not ProjectMonth.objects.filter(integration=integration).exists():
        extra["note"] = NO_COST_DATA
        return
    try:
        thresholds = thresholds_parse(integration.budget_thresholds)
    except ThresholdsInvalid as exc:
        raise RunBlocked(str(exc)) from exc
    budgets = budgets_read(ctx.harvest)
    uses = month_uses(integration_id=integration.pk, project_ids=budgets)
    today = timezone.localdate()
    statuses = [
        budget_status(budget=budget, months=uses[pid], today=today, thresholds=thresholds)
        for pid, budget in budgets.items()
        if pid in uses
    ]
    recorded = set(
        BudgetAlert.objects.filter(
            integration=integration, harvest_project_id__in=list(uses)
        ).values_list("harvest_project_id", "threshold", "period")
    )
    fresh = alerts_new(statuses=statuses, recorded=recorded)
    extra["budgets_tracked"] = len(statuses)
    extra["over_budget"] = sum(1 for s in statuses if s.used > s.budget.amount)
    extra["thresholds"] = list(thresholds)
    if ctx.dry_run:
        extra["would_alert"] = [_describe(status, crossed) for status, crossed in fresh]
        return
    budgets_keep(integration=integration, statuses=statuses)
    _alerts_deliver(ctx, fresh=fresh)


def budgets_keep(*, integration, statuses: list[BudgetStatus]) -> None:
    """Each project's use now, for the dashboard's budget burn (one statement; projects no
    longer budgeted drop out)."""
    rows = [
        ProjectBudget(
            integration=integration,
            harvest_project_id=s.budget.project_id,
            project_name=s.budget.project_name[:255],
            client_name=s.budget.client_name[:255],
            budget_kind=s.budget.kind_label[:60],
            unit=s.unit[:8],
            budget=s.budget.amount,
            used=s.used,
            percent=s.percent,
            period=s.period,
        )
        for s in statuses
    ]
    with transaction.atomic():
        ProjectBudget.objects.filter(integration=integration).exclude(
            harvest_project_id__in=[r.harvest_project_id for r in rows]
        ).delete()
        ProjectBudget.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "harvest_project_id"],
            update_fields=[
                "project_name",
                "client_name",
                "budget_kind",
                "unit",
                "budget",
                "used",
                "percent",
                "period",
                "updated_at",
            ],
            batch_size=500,
        )


def _alerts_deliver(ctx: FlowContext, *, fresh: list[tuple[BudgetStatus, tuple[int, ...]]]):
    """Record and send. Alerts are notices, not records mirrored to Xero or Harvest: they are
    counted in the run's figures and listed under Budget alerts; only a message the mail server
    refused is a failed record of the run."""
    integration = ctx.integration
    managers = ProjectManagers(ctx.harvest)
    finance = emails_split(integration.finance_emails)
    counts = {"alerts_recorded": 0, "alerts_sent": 0, "alerts_not_sent": 0}
    for status, crossed in fresh:
        project = alerts_record(integration=integration, status=status, thresholds=crossed)
        if not project.alerts:
            continue  # another run recorded (and sent) them first
        counts["alerts_recorded"] += len(project.alerts)
        project_id = status.budget.project_id
        recipients = recipients_merge(managers.emails(project_id=project_id), finance)
        reason = alerts_send(integration=integration, project=project, recipients=recipients)
        if reason is None:
            counts["alerts_sent"] += len(project.alerts)
            continue
        counts["alerts_not_sent"] += len(project.alerts)
        if recipients:  # the mail server refused it; no one to tell is a note, not a failure
            mine = tuple(alert.threshold for alert in project.alerts)
            ctx.recorder.record(
                action=SyncEvent.Action.FAIL,
                kind=KIND,
                harvest_id=project_id,
                label=status.budget.project_name,
                message=f"{_describe(status, mine)} {reason}",
            )
    ctx.recorder.summary.extra.update(counts)


def _describe(status: BudgetStatus, crossed) -> str:
    budget = status.budget
    period = f" in {status.period:%B %Y}" if status.period else ""
    name = budget.project_name or f"Harvest project {budget.project_id}"
    return (
        f"{name}: {status.percent} % of the budget used{period} ({budget.kind_label}), "
        f"crossed {', '.join(f'{t} %' for t in crossed)}."
    )

"""Budgets on sandbox projects and cost rows planted the way the journals run writes them."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from syncapp.models import Integration, ProjectMonth


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def last_month() -> date:
    return (this_month() - timezone.timedelta(days=1)).replace(day=1)


def sandbox_projects(sandbox, count: int) -> list[dict]:
    """`count` active sandbox projects, with their budgets cleared."""
    projects = [p for p in sandbox.state.harvest.projects.values() if p["is_active"]][:count]
    for project in projects:
        project.update(budget_by="none", budget=None, cost_budget=None, budget_is_monthly=False)
    for project in sandbox.state.harvest.projects.values():
        if project not in projects:
            project.update(budget_by="none", budget=None, cost_budget=None)
    return projects


def budget_set(project: dict, *, by: str, amount: str, monthly=False, expenses=False) -> None:
    hours = by in ("project", "task", "person")
    project.update(
        budget_by=by,
        budget=Decimal(amount) if hours else None,
        cost_budget=None if hours else Decimal(amount),
        budget_is_monthly=monthly,
        cost_budget_include_expenses=expenses,
    )


def costs_plant(
    integration: Integration,
    project: dict,
    *,
    month: date,
    hours="0",
    time_cost="0",
    expense_cost="0",
) -> ProjectMonth:
    row, _ = ProjectMonth.objects.update_or_create(
        integration=integration,
        harvest_project_id=str(project["id"]),
        month=month,
        defaults={
            "project_name": project["name"],
            "currency": "USD",
            "hours": Decimal(hours),
            "time_cost": Decimal(time_cost),
            "expense_cost": Decimal(expense_cost),
        },
    )
    return row


def managers_of(sandbox, project: dict) -> list[str]:
    hs = sandbox.state.harvest
    return [
        hs.users[a["_user_id"]]["email"]
        for a in hs.user_assignments.values()
        if a["_project_id"] == project["id"] and a["is_project_manager"] and a["is_active"]
    ]

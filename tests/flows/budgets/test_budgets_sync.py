"""Budgets run against the in-process sandbox: crossings recorded once, e-mailed once to the
project's managers and finance, with the numbers in both bodies."""

import json
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from syncapp.flows.budgets.apply import dashboard_url
from syncapp.models import BudgetAlert, SyncRun
from tests.flows.budgets.helpers import (
    budget_set,
    costs_plant,
    last_month,
    managers_of,
    sandbox_projects,
    this_month,
)
from tests.flows.conftest import flow_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(sandbox_integration):
    sandbox_integration.finance_emails = "finance@agency.example, cfo@agency.example"
    sandbox_integration.save()
    return sandbox_integration


def test_no_cost_data_yet_does_nothing_and_says_why(sandbox, finance):
    run = flow_run(finance, "budgets", sandbox=sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED
    counters = run.counters["budgets"]
    assert "the journals run fills it" in counters["note"]
    assert counters["harvest_calls"] == 0
    assert not BudgetAlert.objects.exists() and mail.outbox == []


def test_crossings_are_recorded_and_sent_once(sandbox, finance):
    hours, cost, monthly, quiet = sandbox_projects(sandbox, 4)
    budget_set(hours, by="project", amount="100")
    budget_set(cost, by="project_cost", amount="10000.00", expenses=True)
    budget_set(monthly, by="person", amount="40", monthly=True)
    budget_set(quiet, by="task", amount="500")
    costs_plant(finance, hours, month=last_month(), hours="60", time_cost="3000")
    costs_plant(finance, hours, month=this_month(), hours="16.25", time_cost="812.50")
    costs_plant(finance, cost, month=this_month(), time_cost="8500.00", expense_cost="700.00")
    costs_plant(finance, monthly, month=last_month(), hours="80")  # last month's: not counted
    costs_plant(finance, monthly, month=this_month(), hours="20")
    costs_plant(finance, quiet, month=this_month(), hours="10")

    run = flow_run(finance, "budgets", sandbox=sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    counters = run.counters["budgets"]
    assert counters["budgets_tracked"] == 4 and counters["alerts_sent"] == 6

    alerts = {(a.harvest_project_id, a.threshold, a.period) for a in BudgetAlert.objects.all()}
    assert alerts == {
        (str(hours["id"]), 50, None),
        (str(hours["id"]), 75, None),
        (str(cost["id"]), 50, None),
        (str(cost["id"]), 75, None),
        (str(cost["id"]), 90, None),
        (str(monthly["id"]), 50, this_month()),
    }
    assert all(a.sent_at for a in BudgetAlert.objects.all())
    assert len(mail.outbox) == 3  # one message per project, naming every threshold it crossed

    by_project = {m.subject: m for m in mail.outbox}
    cost_mail = next(m for s, m in by_project.items() if "92.0 %" in s)
    assert set(cost_mail.to) == {
        *managers_of(sandbox, cost),
        "finance@agency.example",
        "cfo@agency.example",
    }
    html = cost_mail.alternatives[0][0]
    for body in (cost_mail.body, html):
        assert "USD 9,200.00 of USD 10,000.00" in body
        assert "92.0 %" in body and "90 %" in body and "Total project cost" in body
        assert "expenses included" in body
        assert dashboard_url(integration=finance) in body
    hours_mail = next(m for s, m in by_project.items() if "76.3 %" in s)
    assert "76.25 hours of 100.00 hours" in hours_mail.body
    assert "76.25 hours of 100.00 hours" in hours_mail.alternatives[0][0]
    monthly_mail = next(m for s, m in by_project.items() if "50.0 %" in s)
    assert "20.00 hours of 40.00 hours" in monthly_mail.body
    assert f"{this_month():%B %Y}" in monthly_mail.body

    # A second run: nothing new, nothing sent again.
    again = flow_run(finance, "budgets", sandbox=sandbox)
    assert again.status == SyncRun.Status.SUCCEEDED
    assert again.counters["budgets"]["alerts_sent"] == 0
    assert len(mail.outbox) == 3 and BudgetAlert.objects.count() == 6

    # More hours: only the newly crossed threshold is sent.
    costs_plant(finance, hours, month=this_month(), hours="41", time_cost="2050")
    flow_run(finance, "budgets", sandbox=sandbox)
    assert len(mail.outbox) == 4
    assert "101.0 %" in mail.outbox[-1].subject
    assert sorted(
        BudgetAlert.objects.filter(harvest_project_id=str(hours["id"])).values_list(
            "threshold", flat=True
        )
    ) == [50, 75, 90, 100]
    assert "Over budget by 1.00 hours" in mail.outbox[-1].body


def test_money_budget_without_expenses_leaves_them_out(sandbox, finance):
    (project,) = sandbox_projects(sandbox, 1)
    budget_set(project, by="task_fees", amount="1000.00", expenses=False)
    costs_plant(finance, project, month=this_month(), time_cost="490.00", expense_cost="400")
    flow_run(finance, "budgets", sandbox=sandbox)
    assert not BudgetAlert.objects.exists() and mail.outbox == []
    project["cost_budget_include_expenses"] = True
    flow_run(finance, "budgets", sandbox=sandbox)
    assert sorted(BudgetAlert.objects.values_list("threshold", "used", "percent")) == [
        (50, Decimal("890.00"), Decimal("89.0")),
        (75, Decimal("890.00"), Decimal("89.0")),
    ]


def test_no_recipients_is_recorded_with_a_note_not_sent(sandbox, sandbox_integration):
    (project,) = sandbox_projects(sandbox, 1)
    budget_set(project, by="project", amount="10")
    for assignment in sandbox.state.harvest.user_assignments.values():
        if assignment["_project_id"] == project["id"]:
            assignment["is_project_manager"] = False
    costs_plant(sandbox_integration, project, month=this_month(), hours="6")

    run = flow_run(sandbox_integration, "budgets", sandbox=sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED
    alert = BudgetAlert.objects.get()
    assert alert.sent_at is None and "no one to tell" in alert.note
    assert "Integrations › Budgets" in alert.note
    assert mail.outbox == []
    assert run.counters["budgets"]["alerts_not_sent"] == 1
    assert run.counters["budgets"]["failed"] == 0
    # Recorded, so a later run does not send it either, even once finance has an address.
    sandbox_integration.finance_emails = "finance@agency.example"
    sandbox_integration.save()
    flow_run(sandbox_integration, "budgets", sandbox=sandbox)
    assert mail.outbox == []


def test_bad_thresholds_block_the_run_with_what_to_do(sandbox, finance):
    (project,) = sandbox_projects(sandbox, 1)
    budget_set(project, by="project", amount="10")
    costs_plant(finance, project, month=this_month(), hours="6")
    finance.budget_thresholds = "50,seventy"
    finance.save()
    run = flow_run(finance, "budgets", sandbox=sandbox)
    assert run.status == SyncRun.Status.BLOCKED
    assert "'seventy'" in run.error and "Integrations › Budgets" in run.error
    assert not BudgetAlert.objects.exists()


def test_custom_thresholds_and_dry_run(sandbox, finance):
    (project,) = sandbox_projects(sandbox, 1)
    budget_set(project, by="project", amount="10")
    costs_plant(finance, project, month=this_month(), hours="3")
    finance.budget_thresholds = "25, 30"
    finance.save()
    preview = flow_run(finance, "budgets", sandbox=sandbox, dry_run=True)
    assert preview.status == SyncRun.Status.SUCCEEDED
    assert preview.counters["budgets"]["would_alert"] == [
        f"{project['name']}: 30.0 % of the budget used (Hours (whole project), total), "
        "crossed 25 %, 30 %."
    ]
    assert not BudgetAlert.objects.exists() and mail.outbox == []
    flow_run(finance, "budgets", sandbox=sandbox)
    assert sorted(BudgetAlert.objects.values_list("threshold", flat=True)) == [25, 30]
    assert len(mail.outbox) == 1


def test_a_refused_message_fails_its_record_and_is_not_sent_again(sandbox, finance, monkeypatch):
    (project,) = sandbox_projects(sandbox, 1)
    budget_set(project, by="project", amount="10")
    costs_plant(finance, project, month=this_month(), hours="5")

    def refuse(message, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"finance@agency.example": (550, b"no such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    run = flow_run(finance, "budgets", sandbox=sandbox)
    assert run.status == SyncRun.Status.WITH_FAILURES
    event = run.events.get()
    assert event.action == "fail" and "the mail server refused it" in event.message
    alert = BudgetAlert.objects.get()
    assert alert.sent_at is None and "EMAIL_HOST" in alert.note
    assert "finance@agency.example" in alert.recipients


def test_each_projects_use_is_kept_for_the_dashboards_budget_burn(sandbox, finance, admin_client):
    from django.urls import reverse

    from syncapp.models import ProjectBudget

    hours, cost = sandbox_projects(sandbox, 2)
    budget_set(hours, by="project", amount="100")
    budget_set(cost, by="project_cost", amount="1000.00", expenses=True)
    costs_plant(finance, hours, month=this_month(), hours="45")
    costs_plant(finance, cost, month=this_month(), time_cost="1100.00", expense_cost="50.00")

    flow_run(finance, "budgets", sandbox=sandbox)

    kept = {b.harvest_project_id: b for b in ProjectBudget.objects.filter(integration=finance)}
    assert kept[str(hours["id"])].percent == Decimal("45.0")
    assert kept[str(cost["id"])].percent == Decimal("115.0")
    page = admin_client.get(reverse("admin:syncapp_projectmonth_dashboard"))
    figure = json.loads(
        page.content.decode().split('id="chart-budgets-figure">')[1].split("</script>")[0]
    )
    bars = figure["data"][0]
    assert bars["x"] == [45.0, 115.0], "most used last (plotly draws bars bottom up)"
    assert bars["marker"]["color"][1] == "#ba2121", "over budget in red"

    budget_set(cost, by="none", amount="0")
    flow_run(finance, "budgets", sandbox=sandbox)
    assert set(ProjectBudget.objects.values_list("harvest_project_id", flat=True)) == {
        str(hours["id"])
    }, "a project no longer budgeted drops out"

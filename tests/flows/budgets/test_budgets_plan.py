"""Budget use and crossings, pure: every budget kind, monthly and total, expenses in or out."""

from datetime import date
from decimal import Decimal as D

import pytest

from syncapp.flows.budgets.plan import MonthUse as M
from syncapp.flows.budgets.plan import (
    ThresholdsInvalid,
    alerts_new,
    budget_of,
    budget_status,
    emails_split,
    recipients_merge,
    thresholds_parse,
)

TODAY = date(2026, 11, 18)
THRESHOLDS = (50, 75, 90, 100)
MONTHS = [
    M(date(2026, 9, 1), hours=D("40"), time_cost=D("2000.00"), expense_cost=D("300.00")),
    M(date(2026, 10, 1), hours=D("30"), time_cost=D("1500.00"), expense_cost=D("0")),
    M(date(2026, 11, 1), hours=D("12.5"), time_cost=D("625.50"), expense_cost=D("99.50")),
]


def budget(by="project", *, hours=None, cost=None, monthly=False, expenses=False):
    return budget_of(
        project_id="7",
        project_name="Website",
        client_name="Acme",
        budget_by=by,
        hours_budget=hours,
        cost_budget=cost,
        monthly=monthly,
        include_expenses=expenses,
    )


@pytest.mark.parametrize("by", ["project", "task", "person"])
def test_hours_budgets_count_every_month_of_a_total_budget(by):
    status = budget_status(
        budget=budget(by, hours=D("100")), months=MONTHS, today=TODAY, thresholds=THRESHOLDS
    )
    assert status.used == D("82.5") and status.unit == "hours"
    assert status.percent == D("82.5")
    assert status.crossed == (50, 75)
    assert status.period is None


def test_a_monthly_hours_budget_counts_this_month_only():
    status = budget_status(
        budget=budget(hours=D("20"), monthly=True),
        months=MONTHS,
        today=TODAY,
        thresholds=THRESHOLDS,
    )
    assert status.used == D("12.5") and status.percent == D("62.5")
    assert status.crossed == (50,)
    assert status.period == date(2026, 11, 1)


@pytest.mark.parametrize("by", ["project_cost", "task_fees"])
def test_money_budgets_without_expenses_count_time_cost(by):
    months = [M(**{**m.__dict__, "currency": "USD"}) for m in MONTHS]
    status = budget_status(
        budget=budget(by, cost=D("5000.00")), months=months, today=TODAY, thresholds=THRESHOLDS
    )
    assert status.used == D("4125.50") and status.unit == "USD"
    assert status.percent == D("82.5")  # 82.51
    assert status.crossed == (50, 75)


def test_money_budget_with_expenses_counts_them_and_crosses_more():
    status = budget_status(
        budget=budget("project_cost", cost=D("5000.00"), expenses=True),
        months=MONTHS,
        today=TODAY,
        thresholds=THRESHOLDS,
    )
    assert status.used == D("4525.00")  # 4125.50 + 300 + 99.50
    assert status.percent == D("90.5")
    assert status.crossed == (50, 75, 90)
    assert "expenses included" in status.budget.kind_label


def test_monthly_money_budget_with_expenses_and_over_budget():
    status = budget_status(
        budget=budget("project_cost", cost=D("700.00"), monthly=True, expenses=True),
        months=MONTHS,
        today=TODAY,
        thresholds=THRESHOLDS,
    )
    assert status.used == D("725.00")
    assert status.percent == D("103.6")
    assert status.crossed == THRESHOLDS
    assert status.budget.kind_label == "Total project cost, expenses included, monthly"


def test_an_hours_budget_ignores_the_include_expenses_flag():
    assert budget(hours=D("10"), expenses=True).include_expenses is False


def test_crossing_compares_exactly_not_the_rounded_percent():
    status = budget_status(
        budget=budget(hours=D("100.00")),
        months=[M(TODAY, hours=D("74.96"), time_cost=D(0), expense_cost=D(0))],
        today=TODAY,
        thresholds=THRESHOLDS,
    )
    assert status.percent == D("75.0")
    assert status.crossed == (50,)
    exact = budget_status(
        budget=budget(hours=D("100.00")),
        months=[M(TODAY, hours=D("75.00"), time_cost=D(0), expense_cost=D(0))],
        today=TODAY,
        thresholds=THRESHOLDS,
    )
    assert exact.crossed == (50, 75)


@pytest.mark.parametrize(
    "by,hours,cost",
    [
        ("none", D("10"), D("10")),
        ("project", None, None),
        ("project", D("0"), None),
        ("project_cost", D("100"), None),
        ("made_up", D("1"), D("1")),
    ],
)
def test_projects_without_a_budget_to_track(by, hours, cost):
    assert budget(by, hours=hours, cost=cost) is None


def test_thresholds_parse_sorts_and_dedupes():
    assert thresholds_parse(" 90,50 ,75,100,90") == (50, 75, 90, 100)
    assert thresholds_parse("120") == (120,)


@pytest.mark.parametrize("text", ["", " , ", "50,abc", "50;75", "0,50", "1000", "50,,75", "7.5"])
def test_bad_thresholds_say_what_to_do(text):
    with pytest.raises(ThresholdsInvalid) as error:
        thresholds_parse(text)
    assert "Integrations › Budgets" in str(error.value)
    assert "50, 75, 90, 100" in str(error.value)


def test_alerts_new_leaves_out_what_is_recorded_for_the_same_period():
    total = budget_status(
        budget=budget(hours=D("100")), months=MONTHS, today=TODAY, thresholds=THRESHOLDS
    )
    monthly = budget_status(
        budget=budget(hours=D("20"), monthly=True),
        months=MONTHS,
        today=TODAY,
        thresholds=THRESHOLDS,
    )
    recorded = {("7", 50, None), ("7", 50, date(2026, 10, 1))}
    assert alerts_new(statuses=[total], recorded=recorded) == [(total, (75,))]
    # Last month's 50 % does not count for this month's budget.
    assert alerts_new(statuses=[monthly], recorded=recorded) == [(monthly, (50,))]
    assert alerts_new(statuses=[total], recorded={("7", 50, None), ("7", 75, None)}) == []


def test_recipients_each_once_and_only_addresses():
    managers = ["Ann@Agency.example", "", "not-an-address"]
    finance = emails_split("finance@agency.example; ann@agency.example, ,cfo@agency.example")
    assert recipients_merge(managers, finance) == [
        "Ann@Agency.example",
        "finance@agency.example",
        "cfo@agency.example",
    ]

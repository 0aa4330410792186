"""The month's journal, pure: balanced to the cent, tracking, WIP policy, locks, empty months,
and what a rerun does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from syncapp.flows.journals.plan import (
    CREATE,
    DELETE,
    NOTHING,
    REFUSE,
    REVERSE,
    UPDATE,
    WIP,
    JournalPolicy,
    ProjectCost,
    entry_cost,
    journal_decide,
    journal_plan,
    journal_reversal,
    last_closed_month,
    month_parse,
)

NOVEMBER = date(2026, 11, 1)
POLICY = JournalPolicy(cost_account="310", wip_account="640", credit_account="814", status="POSTED")


def cost(project: str, amount: str, *, client: str = "c1", hours: str = "1") -> ProjectCost:
    return ProjectCost(
        project_id=project,
        project_name=f"Project {project}",
        client_id=client,
        client_name=f"Client {client}",
        hours=Decimal(hours),
        cost=Decimal(amount),
    )


hours = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("24"), places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=4)


@given(st.lists(st.lists(st.tuples(hours, rates), min_size=1, max_size=8), max_size=12))
def test_the_journal_balances_to_the_cent_over_any_hours_and_rates(projects):
    costs = []
    for index, entries in enumerate(projects):
        amount = sum((entry_cost(hours=h, cost_rate=r) for h, r in entries), Decimal("0.00"))
        costs.append(cost(str(index), str(amount)))
    plan = journal_plan(month=NOVEMBER, costs=costs, policy=POLICY)
    amounts = [line.amount for line in plan.lines]
    assert all(a == a.quantize(Decimal("0.01")) for a in amounts)
    assert sum(amounts) == 0
    assert plan.total == sum(c.cost for c in costs)
    assert plan.projects == sum(1 for c in costs if c.cost)
    if plan.lines:
        assert plan.lines[-1].account == "814" and plan.lines[-1].amount == -plan.total


def test_each_entry_costs_its_own_rate_to_the_cent():
    # A raise in the middle of the month: the earlier hours keep the earlier rate.
    before = entry_cost(hours=Decimal("7.5"), cost_rate=Decimal("60"))
    after = entry_cost(hours=Decimal("7.5"), cost_rate=Decimal("66.6667"))
    assert (before, after) == (Decimal("450.00"), Decimal("500.00"))
    assert entry_cost(hours=Decimal("0.25"), cost_rate=None) == 0


def test_payload_names_the_month_dates_its_last_day_and_takes_the_status():
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "100.10")], policy=POLICY)
    payload = plan.payload()
    assert payload["Narration"] == "Project costs for November 2026 (hxsync)"
    assert payload["Date"] == "2026-11-30" and payload["Status"] == "POSTED"
    assert plan.payload(revision=2)["Narration"].endswith("(hxsync, revision 2)")
    assert plan.label == "Cost journal November 2026 — 1 projects, 100.10"


def test_project_tracking_wins_over_the_clients_for_the_same_category():
    policy = JournalPolicy(
        **{
            **POLICY.__dict__,
            "tracking": {
                ("client", "c1"): (("Department", "Strategy"), ("Region", "Europe")),
                ("project", "1"): (("Department", "Design"),),
            },
        }
    )
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "10"), cost("2", "5")], policy=policy)
    by_project = {line.description.split(" (")[0]: line.tracking for line in plan.lines[:-1]}
    assert by_project["Project 1"] == (("Department", "Design"), ("Region", "Europe"))
    assert by_project["Project 2"] == (("Department", "Strategy"), ("Region", "Europe"))
    assert plan.lines[0].as_xero()["Tracking"][0] == {"Name": "Department", "Option": "Design"}


def test_three_tracking_categories_refuse_the_journal_with_the_reason():
    policy = JournalPolicy(
        **{
            **POLICY.__dict__,
            "tracking": {
                ("project", "1"): (("A", "a"), ("B", "b"), ("C", "c")),
            },
        }
    )
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "10")], policy=policy)
    decision = journal_decide(plan=plan, sent_hash="", new_hash="h", xero_status="")
    assert decision.action == REFUSE and "at most 2" in decision.reason


def test_wip_policy_debits_the_wip_account():
    policy = JournalPolicy(**{**POLICY.__dict__, "debit": WIP})
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "10"), cost("2", "3")], policy=policy)
    assert [line.account for line in plan.lines] == ["640", "640", "814"]


def test_zero_cost_projects_are_left_out_and_an_empty_month_has_no_journal():
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "0"), cost("2", "12.5")], policy=POLICY)
    assert plan.projects == 1 and len(plan.lines) == 2
    empty = journal_plan(month=NOVEMBER, costs=[cost("1", "0")], policy=POLICY)
    assert empty.empty and empty.lines == ()
    decision = journal_decide(plan=empty, sent_hash="", new_hash="h", xero_status="")
    assert decision.action == NOTHING and "No project costs in November 2026" in decision.reason


def test_missing_accounts_and_a_locked_month_are_refused_with_what_to_do():
    unset = journal_plan(month=NOVEMBER, costs=[cost("1", "1")], policy=JournalPolicy())
    assert any("Journal cost account code" in p for p in unset.problems)
    assert any("Journal credit account code" in p for p in unset.problems)
    locked = JournalPolicy(**{**POLICY.__dict__, "lock_date": date(2026, 11, 30)})
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "1")], policy=locked)
    decision = journal_decide(plan=plan, sent_hash="", new_hash="h", xero_status="")
    assert decision.action == REFUSE and "November 2026 is locked in Xero" in decision.reason
    open_month = JournalPolicy(**{**POLICY.__dict__, "lock_date": date(2026, 10, 31)})
    assert not journal_plan(month=NOVEMBER, costs=[cost("1", "1")], policy=open_month).problems


def test_a_rerun_sends_nothing_unchanged_replaces_a_draft_reverses_a_posted_one():
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "1")], policy=POLICY)
    decide = journal_decide
    assert decide(plan=plan, sent_hash="a", new_hash="a", xero_status="POSTED").action == NOTHING
    assert decide(plan=plan, sent_hash="a", new_hash="b", xero_status="DRAFT").action == UPDATE
    assert decide(plan=plan, sent_hash="a", new_hash="b", xero_status="POSTED").action == REVERSE
    assert decide(plan=plan, sent_hash="a", new_hash="a", xero_status="").action == CREATE
    empty = journal_plan(month=NOVEMBER, costs=[], policy=POLICY)
    assert decide(plan=empty, sent_hash="a", new_hash="b", xero_status="DRAFT").action == DELETE


def test_the_reversal_swaps_debits_and_credits_and_is_posted():
    plan = journal_plan(month=NOVEMBER, costs=[cost("1", "10.05")], policy=POLICY)
    reversal = journal_reversal(plan.payload())
    assert reversal["Narration"] == "Reversal of Project costs for November 2026 (hxsync)"
    assert [ln["LineAmount"] for ln in reversal["JournalLines"]] == ["-10.05", "10.05"]
    assert reversal["Status"] == "POSTED" and reversal["Date"] == "2026-11-30"


def test_months():
    assert month_parse("2026-11") == NOVEMBER
    assert last_closed_month(date(2027, 1, 3)) == date(2026, 12, 1)
    try:
        month_parse("Nov 2026")
    except ValueError as error:
        assert "YYYY-MM" in str(error)
    else:
        raise AssertionError("a bad month was accepted")

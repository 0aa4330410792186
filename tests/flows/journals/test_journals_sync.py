"""The cost journal against the in-process sandbox: exactly one per month, replaced or reversed
when costs change, never sent twice, refused for a locked month, nothing written on a dry run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from syncapp.flows.journals.plan import entry_cost
from syncapp.models import ProjectMonth, SyncLink, SyncRun, XeroOrgCache
from syncapp.sandbox.core.faults import FaultPlan
from tests.flows.conftest import sandbox_build, sandbox_integration_create
from tests.flows.journals.helpers import (
    counters,
    debits,
    journal_setup,
    journals_in_xero,
    journals_run,
    tracking_map,
)

pytestmark = pytest.mark.django_db
MONTH = "2026-11"
JOURNALS_PUT = "PUT /api.xero.com/api.xro/2.0/ManualJournals"


def expected_costs(sandbox, month: str, *, base: str = "USD") -> dict[str, Decimal]:
    """Per project, from the sandbox's own records (each entry at its own cost rate; expenses
    when the project's budget includes them and they are in the organisation's currency)."""
    hs = sandbox.state.harvest
    found: dict[str, Decimal] = {}
    for entry in hs.time_entries.values():
        if entry["spent_date"].startswith(month):
            key = str(entry["_project_id"])
            cost = entry_cost(hours=entry["hours"], cost_rate=entry["cost_rate"])
            found[key] = found.get(key, Decimal(0)) + cost
    for expense in hs.expenses.values():
        project = hs.projects[expense["_project_id"]]
        currency = hs.clients[project["_client_id"]]["currency"]
        if (
            expense["spent_date"].startswith(month)
            and project["cost_budget_include_expenses"]
            and currency == base
        ):
            key = str(project["id"])
            found[key] = found.get(key, Decimal(0)) + expense["total_cost"]
    return {k: v for k, v in found.items() if v}


def an_entry(sandbox, month: str) -> dict:
    return next(
        e for e in sandbox.state.harvest.time_entries.values() if e["spent_date"].startswith(month)
    )


@pytest.fixture
def setup(sandbox, sandbox_integration):
    journal_setup(sandbox_integration)
    return sandbox, sandbox_integration


def test_first_run_posts_one_balanced_journal_with_the_months_costs(setup):
    sandbox, integration = setup
    project = next(iter(expected_costs(sandbox, MONTH)))
    tracking_map(integration, sandbox, project_id=project)
    run = journals_run(integration, sandbox, month=MONTH)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    (journal,) = journals_in_xero(sandbox)
    assert journal["Narration"] == "Project costs for November 2026 (hxsync)"
    assert journal["Status"] == "POSTED" and journal["Date"] == date(2026, 11, 30)
    expected = expected_costs(sandbox, MONTH)
    lines = journal["JournalLines"]
    assert len(lines) == len(expected) + 1
    assert sum(Decimal(str(ln["LineAmount"])) for ln in lines) == 0
    assert debits(journal) == sum(expected.values())
    assert lines[-1]["AccountCode"] == "814"
    assert {ln["AccountCode"] for ln in lines[:-1]} == {"310"}
    assert sum(1 for ln in lines if ln["Tracking"]) == 1
    stored = ProjectMonth.objects.filter(integration=integration, month=date(2026, 11, 1))
    assert {r.harvest_project_id for r in stored if r.cost} == set(expected)
    assert sum(r.time_cost for r in stored) == sum(
        entry_cost(hours=e["hours"], cost_rate=e["cost_rate"])
        for e in sandbox.state.harvest.time_entries.values()
        if e["spent_date"].startswith(MONTH)
    )
    row = SyncLink.objects.get(integration=integration, kind="journal", harvest_id=MONTH)
    assert row.state == SyncLink.State.SYNCED and row.xero_id == journal["ManualJournalID"]
    assert row.label.startswith(f"Cost journal November 2026 — {len(expected)} projects, ")


def test_expenses_in_another_currency_are_left_out_and_said(setup):
    sandbox, integration = setup
    hs = sandbox.state.harvest
    left_out: dict[str, Decimal] = {}
    for expense in hs.expenses.values():
        project = hs.projects[expense["_project_id"]]
        currency = hs.clients[project["_client_id"]]["currency"]
        if (
            expense["spent_date"].startswith(MONTH)
            and project["cost_budget_include_expenses"]
            and currency != "USD"
        ):
            left_out[currency] = left_out.get(currency, Decimal(0)) + expense["total_cost"]
    assert left_out, "the seed has expenses of EUR or GBP clients in November"

    run = journals_run(integration, sandbox, month=MONTH)

    said = counters(run)
    assert {k: Decimal(v) for k, v in said["left_out_other_currency"].items()} == left_out
    assert "not in the journal" in said["left_out_note"]


def test_a_rerun_with_nothing_changed_sends_nothing(setup):
    sandbox, integration = setup
    journals_run(integration, sandbox, month=MONTH)
    again = journals_run(integration, sandbox, month=MONTH)
    assert counters(again)["journal"] == "nothing"
    writes = [c for c in ("created", "updated") if counters(again)[c]]
    assert writes == [] and len(journals_in_xero(sandbox)) == 1
    # A scheduled poll with nothing changed in Harvest makes no Xero call at all.
    poll = SyncRun.objects.create(
        integration=integration,
        flow="journals",
        trigger=SyncRun.Trigger.SCHEDULE,
        scope={"month": MONTH},
    )
    from tests.flows.expenses.helpers import run_as_a_worker_would

    SyncRun.objects.filter(pk=poll.pk).update(scope={})
    poll = run_as_a_worker_would(sandbox, poll)
    assert poll.status == SyncRun.Status.SUCCEEDED, poll.error
    assert counters(poll)["xero_calls"] == 0


def test_changed_hours_replace_a_draft_in_place(sandbox, sandbox_integration):
    journal_setup(sandbox_integration, status="DRAFT")
    journals_run(sandbox_integration, sandbox, month=MONTH)
    (before,) = journals_in_xero(sandbox)
    entry = an_entry(sandbox, MONTH)
    entry["hours"] += Decimal("2.00")
    entry["updated_at"] = "2026-12-05T10:00:00Z"
    run = journals_run(sandbox_integration, sandbox, month=MONTH)
    assert counters(run)["journal"] == "update"
    (after,) = journals_in_xero(sandbox)
    assert after["ManualJournalID"] == before["ManualJournalID"] and after["Status"] == "DRAFT"
    assert debits(after) - debits(before) == entry_cost(
        hours=Decimal("2.00"), cost_rate=entry["cost_rate"]
    )


def test_changed_hours_reverse_a_posted_journal_and_post_the_new_one(setup):
    sandbox, integration = setup
    journals_run(integration, sandbox, month=MONTH)
    (first,) = journals_in_xero(sandbox)
    entry = an_entry(sandbox, MONTH)
    entry["hours"] += Decimal("1.00")
    run = journals_run(integration, sandbox, month=MONTH)
    assert counters(run)["journal"] == "reverse"
    everything = journals_in_xero(sandbox)
    narrations = sorted(j["Narration"] for j in everything)
    assert narrations == [
        "Project costs for November 2026 (hxsync)",
        "Project costs for November 2026 (hxsync, revision 2)",
        "Reversal of Project costs for November 2026 (hxsync)",
    ]
    reversal = next(j for j in everything if j["Narration"].startswith("Reversal"))
    assert [ln["LineAmount"] for ln in reversal["JournalLines"]] == [
        -ln["LineAmount"] for ln in first["JournalLines"]
    ]
    new = next(j for j in everything if j["Narration"].endswith("revision 2)"))
    assert new["Status"] == "POSTED"
    assert debits(new) - debits(first) == entry_cost(hours=Decimal(1), cost_rate=entry["cost_rate"])
    again = journals_run(integration, sandbox, month=MONTH)
    assert counters(again)["journal"] == "nothing" and len(journals_in_xero(sandbox)) == 3


def test_a_lost_answer_still_gives_exactly_one_journal(db):
    faults = FaultPlan(seed=3)
    faults.script(JOURNALS_PUT, *["lost_response"] * 5)
    sandbox = sandbox_build(faults=faults)
    integration = sandbox_integration_create(sandbox)
    journal_setup(integration)
    first = journals_run(integration, sandbox, month=MONTH)
    assert "lost_response" in [f.kind for f in faults.injected]
    row = SyncLink.objects.get(integration=integration, kind="journal", harvest_id=MONTH)
    assert first.status != SyncRun.Status.SUCCEEDED and row.state == SyncLink.State.SENDING
    second = journals_run(integration, sandbox, month=MONTH)
    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    assert len(journals_in_xero(sandbox)) == 1
    row.refresh_from_db()
    assert row.state == SyncLink.State.SYNCED
    assert row.xero_id == journals_in_xero(sandbox)[0]["ManualJournalID"]


def test_a_locked_month_is_refused_with_the_reason(setup):
    sandbox, integration = setup
    sandbox.state.xero.organisation["PeriodLockDate"] = date(2026, 11, 30)
    XeroOrgCache.objects.filter(integration=integration).delete()
    run = journals_run(integration, sandbox, month=MONTH)
    assert journals_in_xero(sandbox) == []
    row = SyncLink.objects.get(integration=integration, kind="journal", harvest_id=MONTH)
    assert row.state == SyncLink.State.HELD
    assert "November 2026 is locked in Xero (lock date 30 Nov 2026)" in row.last_error
    assert counters(run)["journal"] == "refuse"
    preflight = {p["code"]: p for p in counters(run)["preflight"]}
    assert "30 Nov 2026" in preflight["journal_lock_date"]["message"]
    assert "locked in Xero" in preflight["journal_refused"]["message"]


def test_a_dry_run_shows_the_lines_and_writes_nothing(setup):
    sandbox, integration = setup
    run = journals_run(integration, sandbox, month=MONTH, dry_run=True)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    lines = counters(run)["journal_lines"]
    expected = expected_costs(sandbox, MONTH)
    assert len(lines) == len(expected) + 1
    assert sum(Decimal(line["amount"]) for line in lines) == 0
    assert journals_in_xero(sandbox) == []
    assert not SyncLink.objects.filter(integration=integration, kind="journal").exists()
    assert not ProjectMonth.objects.filter(integration=integration).exists()


def test_a_month_without_costs_gives_no_journal(setup):
    sandbox, integration = setup
    run = journals_run(integration, sandbox, month="2026-01")
    assert counters(run)["journal"] == "nothing" and journals_in_xero(sandbox) == []
    event = run.events.get(kind="journal")
    assert "No project costs in January 2026" in event.message

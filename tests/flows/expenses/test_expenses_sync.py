"""Harvest expenses reach Xero as bills and spend money, receipts attached, each exactly once,
through the real clients and engine against the in-process sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.models import ExpenseCategoryMapping
from syncapp.models import SyncEvent, SyncLink, SyncRun
from tests.flows.conftest import sandbox_build, sandbox_integration_create
from tests.flows.expenses.helpers import (
    approved,
    categories_map,
    expenses_run,
    lines_by_expense,
    live_documents,
    references_repeated,
)

pytestmark = pytest.mark.django_db

DONE = (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES)


@pytest.fixture
def agency():
    sandbox = sandbox_build()
    integration = sandbox_integration_create(sandbox)
    integration.expense_card_account_code = "095"
    integration.save()
    return sandbox, integration


def xero_writes(run: SyncRun) -> int:
    return run.counters["expenses"]["xero_calls"]


def test_unmapped_categories_hold_every_expense_with_the_fix_named(agency):
    sandbox, integration = agency
    run = expenses_run(integration, sandbox)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert live_documents(sandbox) == []
    names = set(ExpenseCategoryMapping.objects.values_list("name", flat=True))
    assert {c["name"] for c in sandbox.state.harvest.expense_categories.values()} <= names
    held = SyncLink.objects.filter(kind="expense", state=SyncLink.State.HELD)
    assert held.count() == len(approved(sandbox))
    assert all("Mappings › Expense categories" in h.last_error for h in held)
    preflight = run.counters["expenses"]["preflight"]
    assert {p["code"] for p in preflight} == {"expense_category_unmapped"}
    assert sum(len(p["harvest_ids"]) for p in preflight) == held.count()


def test_mapped_expenses_reach_xero_once_to_the_cent_with_their_receipts(agency):
    sandbox, integration = agency
    expenses_run(integration, sandbox)
    categories_map(integration, modes={"Software": "spend_money"})

    first = expenses_run(integration, sandbox)

    assert first.status in DONE, first.error
    wanted = approved(sandbox)
    lines = lines_by_expense(sandbox)
    # Card spending in a client's other currency waits: Xero takes spend money only in the
    # card account's currency (USD here).
    other_currency = {
        h.harvest_id
        for h in SyncLink.objects.filter(kind="expense", state=SyncLink.State.HELD)
        if "card account 095 is in USD" in h.last_error
    }
    assert other_currency, "the seed has software bought for EUR and GBP clients"
    assert set(lines) == set(wanted) - other_currency, "every approved expense, and only those"
    currencies = {d.get("CurrencyCode") for d in live_documents(sandbox)}
    assert {"USD", "EUR", "GBP"} <= currencies, "bills in each client's currency"
    assert all(len(amounts) == 1 for amounts in lines.values()), "each on one line only"
    for eid, (amount,) in lines.items():
        assert amount == Decimal(str(wanted[eid]["total_cost"])).quantize(Decimal("0.01"))
    assert references_repeated(sandbox) == []
    spends = [d for d in live_documents(sandbox) if d.get("Type") == "SPEND"]
    software = {
        str(c["id"])
        for c in sandbox.state.harvest.expense_categories.values()
        if c["name"] == "Software"
    }
    assert len(spends) == sum(
        1
        for eid, e in wanted.items()
        if str(e["_expense_category_id"]) in software and eid not in other_currency
    )
    card = next(a for a in sandbox.state.xero.accounts.values() if a.get("Code") == "095")
    assert all(s["BankAccountID"] == card["AccountID"] for s in spends)
    # One supplier contact per person, never two.
    people = SyncLink.objects.filter(kind="person", state=SyncLink.State.SYNCED)
    names = [sandbox.state.xero.contacts[p.xero_id]["Name"] for p in people]
    assert len(names) == len(set(names))
    # Receipts: one file per expense with a receipt Xero can take, on its own document.
    attached = sum(len(files) for files in sandbox.state.xero.attachments.values())
    counters = first.counters["expenses"]
    assert counters["attachments_uploaded"] == attached > 0
    refused = SyncLink.objects.filter(kind="expense", last_error__startswith="Receipt not attached")
    assert refused.exists(), "the seed's receipt over Xero's 10 MB is refused with the reason"
    assert all(r.state == SyncLink.State.SYNCED for r in refused)

    second = expenses_run(integration, sandbox)

    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    assert xero_writes(second) == 0, "nothing changed: not one Xero call"
    assert lines_by_expense(sandbox) == lines
    assert sum(len(f) for f in sandbox.state.xero.attachments.values()) == attached


def test_a_bill_holds_at_most_ten_receipts(agency):
    sandbox, integration = agency
    expenses_run(integration, sandbox)
    categories_map(integration)
    expenses_run(integration, sandbox)

    for files in sandbox.state.xero.attachments.values():
        assert len(files) <= 10
    parts = [d["InvoiceNumber"] for d in live_documents(sandbox) if d["InvoiceNumber"][-2:] == "-2"]
    assert parts, "the seed's busy month (13 receipts for one person) became two bills"


def _bill_of(sandbox, expense_id: str) -> dict:
    for document in live_documents(sandbox):
        for line in document["LineItems"]:
            if line["Description"].endswith(f"(Harvest expense {expense_id})"):
                return document
    raise AssertionError(f"expense {expense_id} is on no live document")


def _edit(sandbox, expense_id: str, **fields) -> None:
    record = sandbox.state.harvest.expenses[int(expense_id)]
    record.update(fields)
    record["updated_at"] = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_edit_updates_the_unpaid_bill_in_place_and_a_paid_one_is_flagged(agency):
    sandbox, integration = agency
    expenses_run(integration, sandbox)
    categories_map(integration)
    expenses_run(integration, sandbox)
    bills = {}
    for eid in approved(sandbox):
        bill = _bill_of(sandbox, eid)
        if bill.get("Type") == "ACCPAY":
            bills.setdefault(bill["InvoiceID"], eid)
    (unpaid_id, unpaid_eid), (paid_id, paid_eid) = list(bills.items())[:2]
    paid = sandbox.state.xero.invoices[paid_id]
    paid_total = paid["Total"]
    paid.update(Status="PAID", AmountPaid=paid_total, AmountDue=Decimal(0))
    count = len(live_documents(sandbox))

    _edit(sandbox, unpaid_eid, total_cost=Decimal("123.45"), units=None)
    _edit(sandbox, paid_eid, total_cost=Decimal("99.99"), units=None)
    run = expenses_run(integration, sandbox)

    assert run.status in DONE, run.error
    assert len(live_documents(sandbox)) == count, "updated in place, never a second bill"
    assert lines_by_expense(sandbox)[unpaid_eid] == [Decimal("123.45")]
    assert _bill_of(sandbox, unpaid_eid)["InvoiceID"] == unpaid_id
    assert sandbox.state.xero.invoices[paid_id]["Total"] == paid_total, "paid: never changed"
    flagged = SyncLink.objects.get(kind="expense", harvest_id=paid_eid)
    assert flagged.state == SyncLink.State.CONFLICT
    assert "paid" in flagged.last_error and "does not change it" in flagged.last_error


def test_a_deleted_expense_leaves_its_bill_and_an_empty_spend_is_deleted(agency):
    sandbox, integration = agency
    expenses_run(integration, sandbox)
    categories_map(integration, modes={"Software": "spend_money"})
    expenses_run(integration, sandbox)
    spend = next(d for d in live_documents(sandbox) if d.get("Type") == "SPEND")
    spend_eid = spend["LineItems"][0]["Description"].rsplit(" ", 1)[-1].rstrip(")")
    shared = next(
        d for d in live_documents(sandbox) if d.get("Type") == "ACCPAY" and len(d["LineItems"]) > 1
    )
    shared_eid = shared["LineItems"][0]["Description"].rsplit(" ", 1)[-1].rstrip(")")
    for eid in (spend_eid, shared_eid):
        del sandbox.state.harvest.expenses[int(eid)]
    # Deletions are concluded from a complete read only: the daily full read.
    from syncapp.models import Cursor

    Cursor.objects.filter(integration=integration, stream="harvest.expenses.full").delete()

    run = expenses_run(integration, sandbox)

    assert run.status in DONE, run.error
    assert sandbox.state.xero.bank_transactions[spend["BankTransactionID"]]["Status"] == "DELETED"
    remaining = sandbox.state.xero.invoices[shared["InvoiceID"]]
    assert remaining["Status"] not in ("DELETED", "VOIDED")
    assert len(remaining["LineItems"]) == len(shared["LineItems"]) - 1
    assert shared_eid not in lines_by_expense(sandbox)
    for eid in (spend_eid, shared_eid):
        assert SyncLink.objects.get(kind="expense", harvest_id=eid).state == SyncLink.State.VOIDED


def test_dry_run_writes_nothing_and_says_what_it_would_do(agency):
    sandbox, integration = agency
    expenses_run(integration, sandbox)
    categories_map(integration)

    run = expenses_run(integration, sandbox, dry_run=True)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert live_documents(sandbox) == []
    assert run.counters["expenses"]["would"]
    assert SyncEvent.objects.filter(run=run, message__startswith="Would go on bill").exists()
    assert not SyncLink.objects.filter(kind="expense_doc").exists()


def test_the_approval_policy_decides_which_expenses_go(agency):
    sandbox, integration = agency
    expenses_run(integration, sandbox)
    categories_map(integration)
    integration.expense_approval = "all"
    integration.save()

    run = expenses_run(integration, sandbox)

    assert run.status in DONE, run.error
    every = {str(e["id"]) for e in sandbox.state.harvest.expenses.values()}
    assert set(lines_by_expense(sandbox)) == every

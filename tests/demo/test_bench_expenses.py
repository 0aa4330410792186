"""`bench expenses` at a small size, with faults: Xero ends with every approved expense on
exactly one bill or spend money, totals to the cent, each receipt attached once."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from syncapp.demo.bench._expenses_check import CENT, expenses_verify
from syncapp.demo.bench._expenses_plant import expense_policies_set, expenses_plant
from syncapp.demo.sandbox_rig import sandbox_integration_connect, sandbox_rig

pytestmark = pytest.mark.django_db


def test_small_bench_with_faults_ends_with_nothing_duplicated_lost_or_wrong():
    out = StringIO()
    call_command(
        "bench", "expenses", "--count", "60", "--faults", "0.2", "--seeds", "2", stdout=out
    )
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["expenses"] == 120 and figures["faults_injected"] > 0
    assert figures["bills"] > 0 and figures["bank_transactions"] > 0
    assert figures["attachments"] > 0 and figures["bytes_uploaded"] > 0
    for defect in (
        "duplicates",
        "duplicate_attachments",
        "lost",
        "mismatched_totals",
        "wrong_mode",
        "receipts_missing",
        "misplaced_attachments",
        "unsettled",
    ):
        assert figures[defect] == 0, (defect, figures)
    assert figures["rerun_writes"] == 0
    assert figures["passed"] is True


def test_the_checks_see_a_duplicate_a_lost_expense_a_wrong_total_and_a_missing_receipt():
    """The checks read the sandbox's Xero, so a damaged Xero must show in every figure."""
    from decimal import Decimal

    from syncapp.sandbox.xero.documents import INVOICE, BatchContext, doc_commit, doc_prepare

    rig = sandbox_rig(seed=0)
    planted = expenses_plant(state=rig.state, count=4, seed=0, today=_today())
    integration = sandbox_integration_connect(rig, name="bench-expenses-check")
    modes = expense_policies_set(integration=integration, state=rig.state)
    hs, xero = rig.state.harvest, rig.state.xero
    contact = next(c for c, v in xero.contacts.items() if v["ContactStatus"] == "ACTIVE")
    first, second, *_ = planted.expense_ids
    ctx = BatchContext(now=rig.clock.now())

    def bill(number, expense_id, amount):
        raw = {
            "Type": "ACCPAY",
            "Contact": {"ContactID": contact},
            "InvoiceNumber": number,
            "LineAmountTypes": "Inclusive",
            "Status": "DRAFT",
            "LineItems": [
                {
                    "Description": f"Taxi (Harvest expense {expense_id})",
                    "Quantity": Decimal(1),
                    "UnitAmount": amount,
                    "AccountCode": "493",
                }
            ],
        }
        prepared = doc_prepare(xero, INVOICE, raw, ctx=ctx)
        assert not prepared.errors, prepared.errors
        return doc_commit(xero, prepared, ctx=ctx)

    for expense_id in planted.expense_ids:
        hs.expenses[expense_id]["_expense_category_id"] = next(
            int(c) for c, mode in modes.items() if mode == "bill"
        )
    hs.receipts[first] = ("r.pdf", "application/pdf", b"%PDF-1.4 r")
    hs.receipts.pop(second, None)
    total = Decimal(str(hs.expenses[first]["total_cost"]))
    bill(f"HX-E-{first}", first, total)
    bill(f"HX-E-{first}", first, total)  # the same bill twice
    bill(f"HX-E-{second}", second, Decimal(str(hs.expenses[second]["total_cost"])) + CENT)
    figures = expenses_verify(state=rig.state, modes=modes)
    assert figures["duplicates"] == 2  # two bills with one reference, one expense on both
    assert figures["lost"] == len(planted.expense_ids) - 2
    assert figures["mismatched_totals"] == 1
    assert figures["receipts_missing"] == 1


def _today():
    from datetime import UTC, datetime

    return datetime.now(tz=UTC).date()

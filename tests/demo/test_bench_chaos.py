"""`bench chaos` at CI size: real worker processes (polls, Sync now, `manage.py sync`, resync,
webhooks) against the sandbox served over loopback with 20 % faults, Harvest edits and Xero
payments between waves, SIGKILLed workers, both numbering policies; then recovery and the
comparison of Xero's store with Harvest's."""

from types import SimpleNamespace

import pytest

from syncapp.demo.bench import chaos
from syncapp.demo.bench._chaos_check import case_verify

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_chaos_at_ci_size_loses_nothing_duplicates_nothing_and_recovers():
    opts = chaos.Options(invoices=30, waves=2, workers=3, kills=1, timeout=3)
    figures = chaos.chaos_figures(seeds=1, opts=opts)

    assert figures["processes"] >= 2 * (2 * opts.workers)  # both policies, every wave
    assert figures["killed"] >= 2
    assert figures["runs"] >= 8
    assert figures["faults_injected"] > 0 and figures["harvest_edits"] > 0
    assert set(figures["per_policy"]) == {"keep_harvest", "xero"}
    assert figures["duplicates"] == 0
    assert figures["lost"] == 0
    assert figures["mismatched_totals"] == 0
    assert figures["stuck_runs"] == 0
    assert figures["unsettled"] == 0
    assert figures["hung_workers"] == 0
    assert figures["abandoned_recovered"] == figures["abandoned"]
    # Every kill was taken over, well inside what a working watchdog and lease allow (a broken
    # one leaves the run until the minute's watchdog, or for ever). The recovery *target*
    # (timeout + heartbeat + lease poll + 1 s) is a performance figure: `bench chaos` holds it
    # and reports it (`max_recovery_seconds`, `passed`), as performance targets live in
    # benchmarks, not in timed unit tests (in the full suite it measured 3 to 5.2 s).
    assert figures["max_recovery_seconds"] < 4 * opts.timeout, figures


def test_a_missed_target_exits_non_zero_with_the_figures(monkeypatch, capsys):
    monkeypatch.setattr(
        chaos, "chaos_figures", lambda *, seeds, opts: {"passed": False, "duplicates": 1}
    )
    with pytest.raises(SystemExit) as exit_:
        chaos.run(seeds=1, invoices=5)
    assert exit_.value.code == 1
    assert '"duplicates": 1' in capsys.readouterr().out


def _state(*, xero_invoices, credit_notes=(), harvest_payments=(), xero_payments=()):
    harvest = {
        1: {
            "id": 1,
            "number": "101",
            "state": "open",
            "amount": 110,
            "tax_amount": 10,
            "tax2_amount": 0,
            "_payments": list(harvest_payments),
        },
        2: {
            "id": 2,
            "number": "102",
            "state": "paid",
            "amount": -50,
            "tax_amount": 0,
            "tax2_amount": 0,
            "_payments": [],
        },
    }
    return SimpleNamespace(
        harvest=SimpleNamespace(invoices=harvest),
        xero=SimpleNamespace(
            invoices={str(i): inv for i, inv in enumerate(xero_invoices)},
            credit_notes={str(i): cn for i, cn in enumerate(credit_notes)},
            payments={str(i): p for i, p in enumerate(xero_payments)},
            seed_info={},
        ),
    )


def _invoice(total="110", tax="10"):
    from decimal import Decimal

    return {
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Url": "https://h/invoices/1",
        "Total": Decimal(total),
        "TotalTax": Decimal(tax),
    }


def _credit(**fields):
    from decimal import Decimal

    return {"Status": "AUTHORISED", "Total": Decimal("50"), "TotalTax": Decimal("0"), **fields}


def test_the_check_sees_duplicates_losses_and_wrong_totals():
    credit = _credit(Reference="Harvest #102")  # Xero numbered it
    clean = case_verify(
        state=_state(xero_invoices=[_invoice()], credit_notes=[credit]),
        numbering="xero",
        xero_payment_ids=set(),
    )
    assert (clean["duplicates"], clean["lost"], clean["mismatched_totals"]) == (0, 0, 0)

    twice = case_verify(
        state=_state(xero_invoices=[_invoice(), _invoice()], credit_notes=[credit]),
        numbering="xero",
        xero_payment_ids=set(),
    )
    assert twice["duplicates"] == 1

    wrong = case_verify(
        state=_state(xero_invoices=[_invoice(total="117")]),
        numbering="keep_harvest",
        xero_payment_ids={"PAY-1"},
    )
    assert wrong["mismatched_totals"] == 1
    assert wrong["invoices_lost"] == 1  # the credit note for 102 never reached Xero
    assert wrong["payments_lost"] == 1  # the Xero payment never reached Harvest

    mirrored = {"notes": "Paid in Xero (hxsync:pay-1)"}
    paid_twice = case_verify(
        state=_state(
            xero_invoices=[_invoice()],
            credit_notes=[_credit(CreditNoteNumber="102")],
            harvest_payments=[mirrored, mirrored],
            xero_payments=[{"Reference": "Harvest payment 7"}] * 2,
        ),
        numbering="keep_harvest",
        xero_payment_ids={"PAY-1"},
    )
    assert paid_twice["payment_duplicates"] == 2
    assert paid_twice["lost"] == 0

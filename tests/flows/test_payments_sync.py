"""The payments flow by polling (`manage.py sync payments`): crash repair, holds, dry run."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from mappings.models import CurrencyMapping
from syncapp.models import Cursor, Integration, SyncEvent, SyncKind, SyncLink, SyncRun
from syncapp.sandbox.core.faults import FaultPlan
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create
from tests.flows.payments.helpers import (
    harvest_payments,
    linked_invoice,
    open_harvest_invoices,
    xero_invoice_for,
    xero_pay,
)

pytestmark = pytest.mark.django_db


def payment_links(**filters):
    return SyncLink.objects.filter(kind=SyncKind.PAYMENT, **filters)


def test_poll_mirrors_payments_and_moves_its_cursors(sandbox, sandbox_integration):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("12.34"))
    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.counters["payments"]["created"] == 1
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("12.34")]
    streams = set(Cursor.objects.values_list("stream", flat=True))
    assert {"xero.invoices.payments", "xero.payments"} <= streams

    again = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert again.counters["payments"]["created"] == 0
    assert again.counters["payments"]["harvest_calls"] == 0  # in sync: Harvest is not even read
    assert len(harvest_payments(sandbox, harvest_invoice)) == 1


def test_crash_between_harvest_write_and_ledger_write_gives_one_payment(
    sandbox, sandbox_integration, monkeypatch
):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    payment = xero_pay(sandbox, xero_invoice, amount=Decimal("40.00"))

    def crash(**_):
        raise RuntimeError("worker killed after the Harvest write")

    monkeypatch.setattr("syncapp.flows.payments.apply.payment_links_settle", crash)
    crashed = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert crashed.status == SyncRun.Status.FAILED
    assert len(harvest_payments(sandbox, harvest_invoice)) == 1
    link = payment_links().get(xero_id=payment["PaymentID"])
    assert link.state == SyncLink.State.SENDING and link.harvest_id is None

    monkeypatch.undo()
    rerun = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert rerun.status == SyncRun.Status.SUCCEEDED, rerun.error
    payments = harvest_payments(sandbox, harvest_invoice)
    assert len(payments) == 1
    link.refresh_from_db()
    assert link.state == SyncLink.State.SYNCED
    assert link.harvest_id == str(payments[0]["id"])
    assert rerun.counters["payments"]["linked"] == 1
    assert rerun.counters["payments"]["created"] == 0


def test_lost_response_from_harvest_is_found_again_not_duplicated(db):
    faults = FaultPlan(seed=1)
    sandbox = sandbox_build(faults=faults)
    integration = sandbox_integration_create(sandbox)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("15.00"))
    faults.script("POST /api.harvestapp.com/v2/invoices/*/payments", "lost_response")

    first = flow_run(integration, "payments", sandbox=sandbox)
    assert first.counters["payments"]["failed"] == 1
    assert payment_links().get().state == SyncLink.State.SENDING
    second = flow_run(integration, "payments", sandbox=sandbox)
    assert second.counters["payments"]["linked"] == 1
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("15.00")]


def test_currency_mismatch_is_held_with_the_reason(sandbox, sandbox_integration):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    CurrencyMapping.objects.create(
        integration=sandbox_integration, harvest_currency="USD", xero_currency="EUR"
    )
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))
    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert harvest_payments(sandbox, harvest_invoice) == []
    link = payment_links().get()
    assert link.state == SyncLink.State.HELD
    assert "Currency check failed" in link.last_error
    assert run.counters["payments"]["held"] >= 1


def test_more_than_harvest_has_due_is_held_not_sent(sandbox, sandbox_integration):
    """Xero's invoice is larger than Harvest's: the full Xero payment cannot fit in Harvest."""
    harvest_invoice = open_harvest_invoices(sandbox, currency="USD")[0]
    bigger = Decimal(str(harvest_invoice["amount"])) + Decimal("100.00")
    xero_invoice = xero_invoice_for(sandbox, sandbox_integration, harvest_invoice, total=bigger)
    SyncLink.objects.create(
        integration=sandbox_integration,
        kind=SyncKind.INVOICE,
        harvest_id=str(harvest_invoice["id"]),
        xero_id=xero_invoice["InvoiceID"],
        state=SyncLink.State.SYNCED,
    )
    xero_pay(sandbox, xero_invoice)
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert harvest_payments(sandbox, harvest_invoice) == []
    link = payment_links().get()
    assert link.state == SyncLink.State.HELD
    assert "only" in link.last_error and "is due" in link.last_error


def test_closed_harvest_invoice_is_held(sandbox, sandbox_integration):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    sandbox.state.harvest.invoices[harvest_invoice["id"]]["state"] = "closed"
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert harvest_payments(sandbox, harvest_invoice) == []
    assert "closed" in payment_links().get().last_error


def test_dry_run_counts_and_writes_nothing(sandbox, sandbox_integration):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))
    run = flow_run(sandbox_integration, "payments", sandbox=sandbox, dry_run=True)
    assert run.counters["payments"]["created"] == 1
    assert harvest_payments(sandbox, harvest_invoice) == []
    assert not payment_links().exists()
    assert not Cursor.objects.filter(stream__startswith="xero.").exists()
    assert SyncEvent.objects.filter(run=run, message__startswith="Would create").count() == 1


def test_unlinked_invoice_matched_by_number_only_by_policy(sandbox, sandbox_integration):
    harvest_invoice = open_harvest_invoices(sandbox, currency="USD")[0]
    xero_invoice = xero_invoice_for(
        sandbox, sandbox_integration, harvest_invoice
    )  # numbered "H-<number>"
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))

    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert harvest_payments(sandbox, harvest_invoice) == []
    assert run.counters["payments"]["unlinked_invoices"] >= 1

    sandbox_integration.payment_match_policy = Integration.PaymentMatchPolicy.BY_NUMBER
    sandbox_integration.invoice_number_prefix = "H-"
    sandbox_integration.save()
    Cursor.objects.all().delete()
    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert run.counters["payments"]["matched_by_number"] == 1
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("10.00")]


def test_sync_command_prints_the_summary(sandbox, sandbox_integration, monkeypatch):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))
    from syncapp.management.commands import sync as sync_command

    real = sync_command.sync_run_execute

    def execute(*, run_id, **options):
        return real(run_id=run_id, transport=sandbox.transport)

    monkeypatch.setattr(sync_command, "sync_run_execute", execute)
    out = io.StringIO()
    call_command(
        "sync", "payments", "--integration", str(sandbox_integration.pk), "--dry-run", stdout=out
    )
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["created"] == 1
    assert harvest_payments(sandbox, harvest_invoice) == []


def test_held_payment_goes_once_the_harvest_invoice_is_reopened(sandbox, sandbox_integration):
    from datetime import timedelta

    from django.utils import timezone

    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    sandbox.state.harvest.invoices[harvest_invoice["id"]]["state"] = "closed"
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert payment_links().get().state == SyncLink.State.HELD
    sandbox.state.harvest.invoices[harvest_invoice["id"]]["state"] = "open"  # re-opened
    # Nothing changed in Xero since: its cursors see nothing new.
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    Cursor.objects.filter(stream__startswith="xero.").update(value=later)
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert harvest_payments(sandbox, harvest_invoice) == []  # rechecked at most every 10 min
    payment_links().update(updated_at=timezone.now() - timedelta(minutes=11))
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("10.00")]
    assert payment_links().get().state == SyncLink.State.SYNCED


def test_numbered_by_xero_matches_harvest_number_in_reference(sandbox, sandbox_integration):
    sandbox_integration.payment_match_policy = Integration.PaymentMatchPolicy.BY_NUMBER
    sandbox_integration.save()
    harvest_invoice = open_harvest_invoices(sandbox, currency="USD")[0]
    xero_invoice = xero_invoice_for(
        sandbox,
        sandbox_integration,
        harvest_invoice,
        number="INV-90001",
        reference=harvest_invoice["number"],
    )
    xero_pay(sandbox, xero_invoice, amount=Decimal("7.00"))
    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert run.counters["payments"]["matched_by_number"] == 1
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("7.00")]


def test_database_queries_per_batch_not_per_payment(db):
    """Mirroring 4 or 12 payments costs the flow the same number of queries (one batch)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (4, 12):
        sandbox = sandbox_build(validate=False)
        integration = sandbox_integration_create(sandbox, name=f"Batch {size}")
        for index in range(size):
            _, xero_invoice = linked_invoice(sandbox, integration, currency=None, index=index)
            xero_pay(sandbox, xero_invoice, amount=Decimal("1.00"))
        with CaptureQueriesContext(connection) as queries:
            run = flow_run(integration, "payments", sandbox=sandbox)
        assert run.counters["payments"]["created"] == size
        # The rate governor's own bookkeeping is per API call by design (and its savepoints).
        ours = [
            q["sql"]
            for q in queries.captured_queries
            if "rategovernorstate" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        ]
        counts.append(len(ours))
    assert counts[1] == counts[0], counts

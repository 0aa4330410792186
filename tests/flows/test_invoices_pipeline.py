"""Invoices after the real contacts flow: invoices of clients in contact review wait with the
reason shown and go once finance resolves the conflict; `manage.py sync invoices`; credit notes;
a totals difference is flagged, never accepted silently."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial

import pytest
from django.core.management import call_command

from mappings.models import TaxMapping
from syncapp.demo.bench.invoices import contacts_prelink, sandbox_invoices_verify
from syncapp.flows.invoices.plan import CLOSED_REASON
from syncapp.flows.invoices.services import invoices_preflight
from syncapp.models import Conflict, SyncEvent, SyncKind, SyncLink
from syncapp.providers.clock import SimulatedClock
from syncapp.sandbox.harvest.invoices import invoice_recompute
from syncapp.services.conflicts import conflict_best_candidate, conflict_link
from syncapp.services.runs import sync_run_execute
from tests.flows.conftest import flow_run

pytestmark = pytest.mark.django_db


def _run(integration, sandbox, flow="invoices", *, failures=False, **options):
    run = flow_run(integration, flow, sandbox=sandbox, clock=SimulatedClock(), **options)
    assert run.status == ("with_failures" if failures else "succeeded"), run.error
    return run


def test_invoices_wait_for_contact_review_and_go_when_resolved(sandbox, sandbox_integration):
    _run(sandbox_integration, sandbox, "contacts")
    conflicts = list(Conflict.objects.filter(integration=sandbox_integration, status="open"))
    assert conflicts
    run = _run(sandbox_integration, sandbox)
    held = SyncEvent.objects.filter(run=run, action=SyncEvent.Action.HOLD).exclude(
        message=CLOSED_REASON
    )
    waiting_clients = {c.harvest_id for c in conflicts}
    held_invoices = {
        e.harvest_id
        for e in held
        if str(sandbox.state.harvest.invoices[int(e.harvest_id)]["_client_id"]) in waiting_clients
    }
    assert held_invoices
    assert "waiting in contact review" in held.first().message
    for conflict in conflicts:
        best = conflict_best_candidate(conflict)
        if best:
            conflict_link(conflict=conflict, xero_contact_id=best, release=False)
    # As the released run does: the contact change first (an archived twin is restored), then
    # the invoices that waited.
    _run(sandbox_integration, sandbox, "contacts")
    released = _run(sandbox_integration, sandbox).counters["invoices"]
    assert released["created"] >= 1
    still = SyncLink.objects.filter(
        integration=sandbox_integration, kind=SyncKind.INVOICE, state=SyncLink.State.HELD
    ).exclude(last_error=CLOSED_REASON)
    linked_clients = {
        c.harvest_id
        for c in Conflict.objects.filter(integration=sandbox_integration, status="resolved")
    }
    for link in still:
        client = str(sandbox.state.harvest.invoices[int(link.harvest_id)]["_client_id"])
        assert client not in linked_clients
    verified = sandbox_invoices_verify(state=sandbox.state)
    assert verified["duplicates"] == 0
    assert verified["mismatched_totals"] == 0


def test_manage_py_sync_invoices_prints_the_summary(
    sandbox, sandbox_integration, monkeypatch, capsys
):
    contacts_prelink(state=sandbox.state, integration=sandbox_integration)
    monkeypatch.setattr(
        "syncapp.management.commands.sync.sync_run_execute",
        partial(sync_run_execute, transport=sandbox.transport, clock=SimulatedClock()),
    )
    call_command("sync", "invoices", "--dry-run", "--integration", str(sandbox_integration.pk))
    preview = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert preview["dry_run"] is True and preview["created"] > 0
    for key in (
        "created",
        "updated",
        "linked",
        "conflicts",
        "failed",
        "skipped",
        "xero_calls",
        "harvest_calls",
        "mismatched_totals",
        "would_total",
    ):
        assert key in preview
    assert not SyncLink.objects.filter(kind=SyncKind.INVOICE).exists()
    call_command("sync", "invoices")
    done = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert done["status"] == "succeeded"
    assert done["created"] == preview["created"]
    assert done["conflicts"] == preview["conflicts"] == 1  # the number already used in Xero


def test_negative_invoice_becomes_a_credit_note(sandbox, sandbox_integration):
    contacts_prelink(state=sandbox.state, integration=sandbox_integration)
    invoice = next(i for i in sandbox.state.harvest.invoices.values() if i["state"] == "open")
    for line in invoice["_line_items"]:
        line["quantity"] = -line["quantity"]
        line["amount"] = -line["amount"]
    invoice_recompute(invoice)
    assert invoice["amount"] < 0
    _run(sandbox_integration, sandbox)
    link = SyncLink.objects.get(
        integration=sandbox_integration, kind=SyncKind.CREDIT_NOTE, harvest_id=str(invoice["id"])
    )
    note = sandbox.state.xero.credit_notes[link.xero_id]
    assert note["Type"] == "ACCRECCREDIT"
    assert note["CreditNoteNumber"] == invoice["number"]
    assert note["Total"] == -invoice["amount"]
    assert note["TotalTax"] == -(invoice["tax_amount"] + invoice["tax2_amount"])


def test_a_totals_difference_is_flagged_not_accepted(sandbox, sandbox_integration):
    contacts_prelink(state=sandbox.state, integration=sandbox_integration)
    # hxsync read Xero's settings, then finance changed the NY rate in Xero (the cache is still
    # fresh): Xero now computes 9 % where Harvest charged 8.875 %.
    invoices_preflight(integration=sandbox_integration, refresh=True, transport=sandbox.transport)
    sandbox.state.xero.tax_rates["TAX001"]["TaxComponents"][0]["Rate"] = Decimal("9")
    sandbox.state.xero.tax_rates["TAX001"].pop("_effective", None)
    run = _run(sandbox_integration, sandbox)
    counters = run.counters["invoices"]
    assert counters["mismatched_totals"] > 0
    flagged = (
        SyncLink.objects.filter(
            integration=sandbox_integration, kind=SyncKind.INVOICE, state=SyncLink.State.CONFLICT
        )
        .exclude(snapshot__mismatch=None)
        .first()
    )
    assert flagged is not None
    assert "Xero's totals differ from Harvest's" in flagged.last_error
    event = SyncEvent.objects.filter(run=run, harvest_id=flagged.harvest_id).get()
    assert event.action == SyncEvent.Action.CONFLICT
    # Not sent again and again: the next run leaves it for finance.
    again = _run(sandbox_integration, sandbox).counters["invoices"]
    assert again["updated"] == again["created"] == 0


def test_a_tax_mapping_at_the_wrong_rate_is_refused_before_sending(sandbox, sandbox_integration):
    contacts_prelink(state=sandbox.state, integration=sandbox_integration)
    TaxMapping.objects.create(
        integration=sandbox_integration,
        applies="tax",
        tax_percent=Decimal("8.875"),
        xero_tax_type="TAX003",
    )
    counters = _run(sandbox_integration, sandbox, failures=True).counters["invoices"]
    assert counters["failed"] > 0
    assert counters["mismatched_totals"] == 0
    assert any(p["code"] == "tax_rate_differs" for p in counters["preflight"])
    failed = SyncLink.objects.filter(
        integration=sandbox_integration, state=SyncLink.State.FAILED
    ).first()
    assert "points to TAX003 at 19 % but Harvest charges 8.875 %" in failed.last_error


def test_balance_policy_adds_one_rounding_line_then_leaves_it(sandbox, sandbox_integration):
    contacts_prelink(state=sandbox.state, integration=sandbox_integration)
    sandbox_integration.rounding_policy = "balance"
    sandbox_integration.rounding_account_code = "260"
    sandbox_integration.save()
    invoices_preflight(integration=sandbox_integration, refresh=True, transport=sandbox.transport)
    sandbox.state.xero.tax_rates["TAX001"]["TaxComponents"][0]["Rate"] = Decimal("9")
    sandbox.state.xero.tax_rates["TAX001"].pop("_effective", None)
    run = _run(sandbox_integration, sandbox)
    balanced = SyncEvent.objects.filter(run=run, message__startswith="Balanced by a rounding line")
    assert balanced.exists()
    link = SyncLink.objects.get(
        integration=sandbox_integration,
        kind=SyncKind.INVOICE,
        harvest_id=balanced.first().harvest_id,
    )
    record = sandbox.state.xero.invoices[link.xero_id]
    harvest = sandbox.state.harvest.invoices[int(link.harvest_id)]
    assert record["Total"] == harvest["amount"]
    assert record["LineItems"][-1]["AccountCode"] == "260"
    again = _run(sandbox_integration, sandbox).counters["invoices"]
    assert again["updated"] == again["created"] == 0

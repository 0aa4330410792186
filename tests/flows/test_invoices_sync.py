"""Invoices end to end against the in-process sandbox, through the real clients and engine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncapp.demo.bench.invoices import contacts_prelink, sandbox_invoices_verify
from syncapp.flows.invoices.plan import CLOSED_REASON
from syncapp.models import SyncEvent, SyncKind, SyncLink
from syncapp.providers.clock import SimulatedClock
from syncapp.sandbox.core.faults import FaultPlan
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create

pytestmark = pytest.mark.django_db

INVOICES_PUT = "PUT /api.xero.com/api.xro/2.0/Invoices"


def _later() -> str:
    return (
        datetime.now(tz=UTC)
        .replace(year=datetime.now(tz=UTC).year + 1)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


@pytest.fixture
def linked(sandbox):
    integration = sandbox_integration_create(sandbox)
    contacts_prelink(state=sandbox.state, integration=integration)
    return integration


def _run(integration, sandbox, **options):
    return flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock(), **options)


def _ours(sandbox):
    return [r for r in sandbox.state.xero.invoices.values() if "/invoices/" in (r.get("Url") or "")]


def test_first_sync_creates_each_invoice_once_equal_to_the_cent(sandbox, linked):
    run = _run(linked, sandbox)
    assert run.status == "succeeded", run.error
    counters = run.counters["invoices"]
    verified = sandbox_invoices_verify(state=sandbox.state)
    assert verified["duplicates"] == 0
    assert verified["lost"] == 0
    assert verified["mismatched_totals"] == 0
    assert counters["created"] == verified["eligible"] > 0
    assert counters["mismatched_totals"] == 0
    # The seeded Xero invoice numbered like a Harvest one is never overwritten: it is a conflict.
    assert counters["conflicts"] == verified["number_collisions"] == 1
    record = _ours(sandbox)[0]
    assert record["Status"] == "DRAFT"
    assert record["LineAmountTypes"] == "Exclusive"
    harvest = sandbox.state.harvest.invoices[int(record["Url"].rsplit("/", 1)[1])]
    assert record["InvoiceNumber"] == harvest["number"]
    # Batches of 50: a handful of writes, not one per invoice.
    assert counters["xero_calls"] <= 6 + -(-counters["created"] // 50) + 2
    link = SyncLink.objects.filter(
        integration=linked, kind=SyncKind.INVOICE, state=SyncLink.State.SYNCED
    ).first()
    assert link.snapshot["explain"][0]["account_rule"].startswith("no rule for this line")


def test_second_run_writes_nothing(sandbox, linked):
    _run(linked, sandbox)
    before = len(sandbox.state.xero.invoices)
    again = _run(linked, sandbox).counters["invoices"]
    assert again["created"] == again["updated"] == 0
    assert again["xero_calls"] == 0  # settings cached, nothing to write
    assert len(sandbox.state.xero.invoices) == before


def test_invoice_waits_for_its_contact_and_goes_once_linked(sandbox, linked):
    client_link = SyncLink.objects.filter(integration=linked, kind=SyncKind.CLIENT).first()
    client_id = int(client_link.harvest_id)
    xero_id = client_link.xero_id
    client_link.delete()
    run = _run(linked, sandbox)
    held = SyncLink.objects.filter(integration=linked, state=SyncLink.State.HELD).exclude(
        last_error=CLOSED_REASON
    )
    assert held.exists()
    event = (
        SyncEvent.objects.filter(run=run, action=SyncEvent.Action.HOLD)
        .exclude(message=CLOSED_REASON)
        .first()
    )
    assert "not been synced to Xero yet" in event.message
    held_ids = {int(h) for h in held.values_list("harvest_id", flat=True)}
    assert {sandbox.state.harvest.invoices[h]["_client_id"] for h in held_ids} == {client_id}
    SyncLink.objects.create(
        integration=linked,
        kind=SyncKind.CLIENT,
        harvest_id=str(client_id),
        xero_id=xero_id,
        state=SyncLink.State.SYNCED,
    )
    released = _run(linked, sandbox).counters["invoices"]
    assert released["created"] == len(held_ids)
    verified = sandbox_invoices_verify(state=sandbox.state)
    assert (verified["lost"], verified["duplicates"]) == (0, 0)


def test_changed_invoice_updates_xero_and_removed_one_is_voided(sandbox, linked):
    _run(linked, sandbox)
    linked.removed_invoice_policy = "void"
    linked.save()
    links = list(
        SyncLink.objects.filter(integration=linked, kind=SyncKind.INVOICE, state="synced")[:2]
    )
    changed = sandbox.state.harvest.invoices[int(links[0].harvest_id)]
    changed["_line_items"][0]["description"] = "Renamed line"
    changed["updated_at"] = _later()
    removed = sandbox.state.harvest.invoices[int(links[1].harvest_id)]
    removed.update(state="draft", updated_at=_later())
    counters = _run(linked, sandbox).counters["invoices"]
    assert counters["updated"] == 1
    assert counters["voided"] == 1
    xero = sandbox.state.xero.invoices
    assert xero[links[0].xero_id]["LineItems"][0]["Description"] == "Renamed line"
    assert xero[links[1].xero_id]["Status"] == "DELETED"  # a draft is deleted, not voided


def test_dry_run_previews_and_writes_nothing(sandbox, linked):
    run = _run(linked, sandbox, dry_run=True)
    counters = run.counters["invoices"]
    assert counters["created"] > 0
    assert counters["would_total"]
    assert not _ours(sandbox)
    assert not SyncLink.objects.filter(integration=linked, kind=SyncKind.INVOICE).exists()
    preview = SyncEvent.objects.filter(run=run, action=SyncEvent.Action.CREATE).first()
    assert preview.message.startswith("Would create invoice")


def test_lost_answers_are_repaired_without_duplicates(db):
    faults = FaultPlan(seed=1)
    rig = sandbox_build(validate=False, faults=faults)
    integration = sandbox_integration_create(rig)
    contacts_prelink(state=rig.state, integration=integration)
    # Every attempt of the first batch is applied by Xero but its answer is lost.
    faults.script(INVOICES_PUT, *["lost_response"] * 5)
    run = _run(integration, rig)
    assert run.status == "succeeded", run.error
    verified = sandbox_invoices_verify(state=rig.state)
    assert verified["duplicates"] == 0
    assert verified["lost"] == 0
    assert not SyncLink.objects.filter(state=SyncLink.State.SENDING).exists()


def test_change_xero_forbids_becomes_an_issue_with_xeros_reason_not_a_loop(sandbox, linked):
    from syncapp.sandbox.xero.control import xero_invoice_pay

    linked.xero_invoice_status = "AUTHORISED"
    linked.save()
    _run(linked, sandbox)
    link = SyncLink.objects.filter(
        integration=linked, kind=SyncKind.INVOICE, state=SyncLink.State.SYNCED
    ).first()
    xero_invoice_pay(sandbox.state.xero, invoice_ref=link.xero_id, now=datetime.now(tz=UTC))
    changed = sandbox.state.harvest.invoices[int(link.harvest_id)]
    changed["_line_items"][0]["description"] = "Changed after payment"
    changed["updated_at"] = _later()
    run = _run(linked, sandbox)
    event = SyncEvent.objects.get(run=run, harvest_id=link.harvest_id)
    assert event.action == SyncEvent.Action.CONFLICT
    assert event.api_error == "Invoice not of valid status for modification"  # Xero's words
    link.refresh_from_db()
    assert link.state == SyncLink.State.CONFLICT
    assert link.last_error == event.api_error
    changed["updated_at"] = _later()
    again = _run(linked, sandbox).counters["invoices"]
    assert again["updated"] == 0 and again["conflicts"] == 0  # waits for finance, no loop


def test_xero_numbering_repairs_by_reference_without_duplicates(db):
    faults = FaultPlan(seed=2)
    rig = sandbox_build(validate=False, faults=faults)
    integration = sandbox_integration_create(rig)
    integration.numbering_policy = "xero"
    integration.save()
    contacts_prelink(state=rig.state, integration=integration)
    faults.script(INVOICES_PUT, *["lost_response"] * 5)
    run = _run(integration, rig)
    assert run.status == "succeeded", run.error
    verified = sandbox_invoices_verify(state=rig.state)
    assert (verified["duplicates"], verified["lost"]) == (0, 0)
    ours = _ours(rig)
    assert all(r["Reference"].startswith("Harvest #") for r in ours)
    # Xero numbered them itself (INV-...), so Harvest's 1003 collides with nothing.
    assert run.counters["invoices"]["conflicts"] == 0

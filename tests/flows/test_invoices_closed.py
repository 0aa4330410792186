"""Harvest "closed" is closed without full payment (a write-off): never pushed to Xero as unpaid;
one already in Xero is written off there only when finance approves (or chose the policy)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from syncapp.demo.bench.invoices import contacts_prelink
from syncapp.flows.invoices.plan import CLOSED_REASON
from syncapp.models import Cursor, SyncEvent, SyncKind, SyncLink, SyncRun
from syncapp.providers.clock import SimulatedClock
from syncapp.sandbox.xero.control import xero_invoice_pay
from syncapp.services.runs import sync_run_execute
from tests.flows.conftest import flow_run, sandbox_integration_create

pytestmark = pytest.mark.django_db


def _later() -> str:
    now = datetime.now(tz=UTC)
    return now.replace(year=now.year + 1).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def approved(sandbox):
    integration = sandbox_integration_create(sandbox)
    integration.xero_invoice_status = "AUTHORISED"
    integration.save()
    contacts_prelink(state=sandbox.state, integration=integration)
    return integration


def _run(integration, sandbox):
    run = flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock())
    assert run.status == "succeeded", run.error
    return run


def _harvest_url_ids(sandbox) -> set[int]:
    return {
        int(r["Url"].rsplit("/", 1)[1])
        for r in sandbox.state.xero.invoices.values()
        if "/invoices/" in (r.get("Url") or "")
    }


def _close(sandbox, link) -> dict:
    invoice = sandbox.state.harvest.invoices[int(link.harvest_id)]
    invoice.update(state="closed", closed_at=_later(), updated_at=_later())
    return invoice


def test_closed_invoices_never_reach_xero_and_wait_with_the_reason(sandbox, approved):
    closed = {i for i, inv in sandbox.state.harvest.invoices.items() if inv["state"] == "closed"}
    assert closed
    run = _run(approved, sandbox)
    assert not closed & _harvest_url_ids(sandbox)
    held = SyncLink.objects.filter(integration=approved, harvest_id__in=[str(i) for i in closed])
    assert {link.state for link in held} == {SyncLink.State.HELD}
    assert {link.last_error for link in held} == {CLOSED_REASON}
    assert SyncEvent.objects.filter(run=run, action="hold", message=CLOSED_REASON).count() == len(
        closed
    )
    # Not planned again from the ledger on every run: Harvest must change them first (the
    # cursor is moved past every seeded invoice so only the ledger's leftovers would be read).
    Cursor.objects.filter(integration=approved, stream="harvest.invoices").update(value=_later())
    again = _run(approved, sandbox)
    assert not SyncEvent.objects.filter(run=again, message=CLOSED_REASON).exists()


def test_closed_after_sync_is_flagged_then_voided_once_finance_approves(
    sandbox, approved, admin_client
):
    _run(approved, sandbox)
    link = SyncLink.objects.filter(
        integration=approved, kind=SyncKind.INVOICE, state=SyncLink.State.SYNCED
    ).first()
    _close(sandbox, link)
    run = _run(approved, sandbox)
    link.refresh_from_db()
    assert link.state == SyncLink.State.CONFLICT
    assert "Closed in Harvest" in link.last_error and "Write off in Xero" in link.last_error
    assert sandbox.state.xero.invoices[link.xero_id]["Status"] == "AUTHORISED"  # untouched
    assert SyncEvent.objects.get(run=run, harvest_id=link.harvest_id).action == "conflict"
    # Flagged once: the next run leaves it waiting for finance.
    _run(approved, sandbox)
    assert sandbox.state.xero.invoices[link.xero_id]["Status"] == "AUTHORISED"

    response = admin_client.post(
        reverse("admin:syncapp_synclink_changelist"),
        {"action": "write_off_closed", "_selected_action": [link.pk]},
        follow=True,
    )
    assert response.status_code == 200
    queued = SyncRun.objects.get(trigger=SyncRun.Trigger.RESYNC)
    done = sync_run_execute(run_id=queued.pk, transport=sandbox.transport, clock=SimulatedClock())
    assert done.status == "succeeded", done.error
    assert sandbox.state.xero.invoices[link.xero_id]["Status"] == "VOIDED"
    link.refresh_from_db()
    assert link.state == SyncLink.State.VOIDED
    assert link.idempotency_key  # written through the ledger's prepared row


def test_policy_credits_what_is_still_due_when_part_is_paid_in_xero(sandbox, approved):
    approved.closed_invoice_policy = "write_off"
    approved.save()
    _run(approved, sandbox)
    link = SyncLink.objects.filter(
        integration=approved, kind=SyncKind.INVOICE, state=SyncLink.State.SYNCED
    ).first()
    record = sandbox.state.xero.invoices[link.xero_id]
    total = Decimal(str(record["Total"]))
    paid = (total / 4).quantize(Decimal("0.01"))
    xero_invoice_pay(
        sandbox.state.xero, invoice_ref=link.xero_id, now=datetime.now(tz=UTC), amount=paid
    )
    _close(sandbox, link)
    run = _run(approved, sandbox)
    record = sandbox.state.xero.invoices[link.xero_id]
    assert record["Status"] == "PAID"
    assert Decimal(str(record["AmountDue"])) == 0
    notes = [
        n
        for n in sandbox.state.xero.credit_notes.values()
        if (n.get("Reference") or "").startswith("Write-off of")
    ]
    assert len(notes) == 1
    assert Decimal(str(notes[0]["Total"])) == total - paid
    link.refresh_from_db()
    assert link.state == SyncLink.State.SYNCED
    assert "credit note" in SyncEvent.objects.get(run=run, harvest_id=link.harvest_id).message
    # Exactly once: the next runs write nothing more.
    _close(sandbox, link)
    _run(approved, sandbox)
    assert (
        len(
            [
                n
                for n in sandbox.state.xero.credit_notes.values()
                if (n.get("Reference") or "").startswith("Write-off of")
            ]
        )
        == 1
    )

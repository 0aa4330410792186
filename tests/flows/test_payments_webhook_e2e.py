"""Xero payments reach Harvest through real signed webhooks from the sandbox, exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncapp.models import SyncKind, SyncLink, SyncRun, WebhookEvent
from syncapp.sandbox.xero.webhooks import webhook_replay
from syncapp.services.webhook_runs import webhook_events_process
from tests.flows.payments.helpers import (
    WebhookPipe,
    harvest_payments,
    linked_invoice,
    xero_credit_note_allocate,
    xero_pay,
    xero_payment_delete,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipe(sandbox, sandbox_integration, monkeypatch):
    """Deliveries go to the real receiver; the task it enqueues runs in this process."""
    pipe = WebhookPipe(sandbox)
    sandbox_integration.xero_webhook_key = pipe.key
    sandbox_integration.save()
    pipe.queued: list[list[int]] = []
    monkeypatch.setattr(
        "syncapp.webhook_views.webhook_events_enqueue",
        lambda *, event_ids: pipe.queued.append(list(event_ids)) if event_ids else None,
    )
    return pipe


def deliver_and_process(pipe, client, sandbox, deliveries=None) -> list[int]:
    """POST every delivery to /webhooks/xero/, then run the queued task(s)."""
    for body, headers in deliveries if deliveries is not None else pipe.take():
        response = pipe.post(client, body, headers)
        assert response.status_code == 200
        assert response.content == b""
    processed = []
    for ids in pipe.queued:
        webhook_events_process(event_ids=ids, transport=sandbox.transport)
        processed.extend(ids)
    pipe.queued.clear()
    return processed


def test_partial_then_full_payment_reaches_harvest_with_note_and_no_thank_you(
    sandbox, sandbox_integration, pipe, client
):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    total = Decimal(str(xero_invoice["Total"]))
    first = xero_pay(sandbox, xero_invoice, amount=Decimal("100.00"))
    deliver_and_process(pipe, client, sandbox)

    payments = harvest_payments(sandbox, harvest_invoice)
    assert [p["amount"] for p in payments] == [Decimal("100.00")]
    assert first["PaymentID"] in payments[0]["notes"]
    assert payments[0]["paid_date"] == first["Date"].isoformat()
    harvest_now = sandbox.state.harvest.invoices[harvest_invoice["id"]]
    assert harvest_now["state"] == "open"
    assert harvest_now["due_amount"] == total - Decimal("100.00")

    second = xero_pay(sandbox, xero_invoice)  # the rest
    deliver_and_process(pipe, client, sandbox)
    payments = harvest_payments(sandbox, harvest_invoice)
    assert sorted(p["amount"] for p in payments) == sorted([Decimal("100.00"), total - 100])
    assert any(second["PaymentID"] in p["notes"] for p in payments)
    harvest_now = sandbox.state.harvest.invoices[harvest_invoice["id"]]
    assert harvest_now["state"] == "paid"
    assert harvest_now["due_amount"] == 0
    # send_thank_you=false: Harvest recorded no thank-you message to the client.
    assert not [m for m in harvest_now["_messages"] if m.get("thank_you")]
    links = SyncLink.objects.filter(kind=SyncKind.PAYMENT, state=SyncLink.State.SYNCED)
    assert {link.xero_id for link in links} == {first["PaymentID"], second["PaymentID"]}
    run = SyncRun.objects.filter(trigger=SyncRun.Trigger.WEBHOOK).latest()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.counters["payments"]["created"] == 1
    # Two UPDATEs (one per payment) processed; the invoice's CREATE needs no work.
    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSED).count() == 2
    created = WebhookEvent.objects.get(event_type="CREATE")
    assert created.status == WebhookEvent.Status.IGNORED


def test_duplicate_delivery_is_stored_once_and_pays_once(
    sandbox, sandbox_integration, pipe, client
):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("50.00"))
    deliver_and_process(pipe, client, sandbox)
    events_before = WebhookEvent.objects.count()

    with sandbox.state.xero.lock:
        webhook_replay(sandbox.state.xero)  # Xero delivers the same payload again
    assert deliver_and_process(pipe, client, sandbox) == []  # nothing new to process
    assert WebhookEvent.objects.count() == events_before
    # Even processing the old event again (an admin retry) writes nothing twice.
    webhook_events_process(
        event_ids=list(WebhookEvent.objects.values_list("pk", flat=True)),
        transport=sandbox.transport,
    )
    WebhookEvent.objects.update(status=WebhookEvent.Status.RECEIVED)
    webhook_events_process(
        event_ids=list(WebhookEvent.objects.values_list("pk", flat=True)),
        transport=sandbox.transport,
    )
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("50.00")]


def test_out_of_order_deliveries_converge(sandbox, sandbox_integration, pipe, client):
    """A payment and its deletion delivered newest first: Harvest ends as Xero is now."""
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    kept = xero_pay(sandbox, xero_invoice, amount=Decimal("30.00"))
    paid = pipe.take()
    doomed = xero_pay(sandbox, xero_invoice, amount=Decimal("20.00"))
    paid += pipe.take()
    xero_payment_delete(sandbox, sandbox_integration, doomed["PaymentID"])
    deleted = pipe.take()
    assert deleted, "the deletion queued an invoice event"

    deliver_and_process(pipe, client, sandbox, deliveries=list(reversed(deleted + paid)))
    payments = harvest_payments(sandbox, harvest_invoice)
    assert [p["amount"] for p in payments] == [Decimal("30.00")]
    assert kept["PaymentID"] in payments[0]["notes"]
    # The deleted payment was never mirrored, so there is nothing to remove.
    assert not SyncLink.objects.filter(xero_id=doomed["PaymentID"]).exists()


def test_payment_deleted_in_xero_is_removed_from_harvest(
    sandbox, sandbox_integration, pipe, client
):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    payment = xero_pay(sandbox, xero_invoice)
    deliver_and_process(pipe, client, sandbox)
    assert sandbox.state.harvest.invoices[harvest_invoice["id"]]["state"] == "paid"

    xero_payment_delete(sandbox, sandbox_integration, payment["PaymentID"])
    deliver_and_process(pipe, client, sandbox)
    assert harvest_payments(sandbox, harvest_invoice) == []
    harvest_now = sandbox.state.harvest.invoices[harvest_invoice["id"]]
    assert harvest_now["state"] == "open"
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, xero_id=payment["PaymentID"])
    assert link.state == SyncLink.State.VOIDED


def test_credit_note_allocation_settles_the_harvest_invoice(
    sandbox, sandbox_integration, pipe, client
):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    total = Decimal(str(xero_invoice["Total"]))
    xero_pay(sandbox, xero_invoice, amount=total - Decimal("25.00"))
    note = xero_credit_note_allocate(sandbox, sandbox_integration, xero_invoice, Decimal("25.00"))
    deliver_and_process(pipe, client, sandbox)

    assert sandbox.state.xero.invoices[xero_invoice["InvoiceID"]]["AmountDue"] == 0
    payments = harvest_payments(sandbox, harvest_invoice)
    assert sorted(p["amount"] for p in payments) == sorted([total - 25, Decimal("25.00")])
    credit = next(p for p in payments if p["amount"] == Decimal("25.00"))
    assert note["CreditNoteNumber"] in credit["notes"]
    assert sandbox.state.harvest.invoices[harvest_invoice["id"]]["state"] == "paid"


def test_events_for_an_unknown_tenant_are_ignored(sandbox, sandbox_integration, pipe, client):
    linked = linked_invoice(sandbox, sandbox_integration)
    sandbox_integration.connections.filter(provider="xero").update(account_id="someone-else")
    xero_pay(sandbox, linked[1], amount=Decimal("5.00"))
    deliver_and_process(pipe, client, sandbox)
    statuses = set(WebhookEvent.objects.values_list("status", flat=True))
    assert statuses == {WebhookEvent.Status.IGNORED}
    assert harvest_payments(sandbox, linked[0]) == []


def test_events_left_waiting_are_taken_by_the_fallback_poll(
    sandbox, sandbox_integration, pipe, client
):
    """The worker was down (or busy): the next poll processes what the inbox holds."""
    from tests.flows.conftest import flow_run

    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("8.00"))
    for body, headers in pipe.take():
        assert pipe.post(client, body, headers).status_code == 200
    pipe.queued.clear()  # no worker ran them
    assert WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).count() == 2
    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert [p["amount"] for p in harvest_payments(sandbox, harvest_invoice)] == [Decimal("8.00")]
    assert not WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exists()


def test_overpayment_applied_to_the_invoice_becomes_a_harvest_payment(
    sandbox, sandbox_integration, pipe, client
):
    from tests.flows.payments.helpers import xero_overpayment_allocate

    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    overpayment_id = xero_overpayment_allocate(
        sandbox,
        sandbox_integration,
        xero_invoice,
        received=Decimal("500.00"),
        applied=Decimal("120.00"),
    )
    deliver_and_process(pipe, client, sandbox)
    (payment,) = harvest_payments(sandbox, harvest_invoice)
    assert payment["amount"] == Decimal("120.00")
    assert f"op:{overpayment_id.lower()}" in payment["notes"]
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, xero_id__startswith="op:")
    assert link.snapshot["source"] == "overpayment"

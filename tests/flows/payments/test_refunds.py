"""Money paid back to a client on a negative Harvest invoice (sent to Xero as a credit note by the
invoice flow) becomes a refund of that credit note in Xero, once, and goes when Harvest drops it."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from mappings.models import CurrencyMapping
from syncapp.demo.bench.invoices import contacts_prelink
from syncapp.models import Cursor, Integration, SyncKind, SyncLink, SyncRun
from syncapp.sandbox.core.faults import FaultPlan
from syncapp.sandbox.harvest.common import new_id
from syncapp.sandbox.harvest.invoices import invoice_recompute
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create
from tests.flows.payments.helpers import harvest_payments, open_harvest_invoices, xero_api

pytestmark = pytest.mark.django_db

INVOICES = 12  # a small seeded account keeps the invoice flow quick
PAYMENTS_PUT = "PUT /api.xero.com/api.xro/2.0/Payments"


@pytest.fixture
def sandbox():
    return sandbox_build(invoices=INVOICES)


def integration_for(sandbox):
    """Approved documents in Xero (a draft credit note takes no refund) and the option on."""
    integration = sandbox_integration_create(sandbox)
    integration.harvest_payments_to_xero = True
    integration.xero_invoice_status = Integration.XeroInvoiceStatus.AUTHORISED
    integration.save()
    CurrencyMapping.objects.create(
        integration=integration,
        harvest_currency="USD",
        xero_currency="USD",
        clearing_account_code="615",
    )
    return integration


@pytest.fixture
def integration(db, sandbox):
    return integration_for(sandbox)


def credit_note_synced(sandbox, integration) -> tuple[dict, dict]:
    """A Harvest invoice turned negative, sent to Xero by the invoice flow: (invoice, note)."""
    contacts_prelink(state=sandbox.state, integration=integration)
    invoice = open_harvest_invoices(sandbox, currency="USD")[0]
    for line in invoice["_line_items"]:
        line["quantity"] = -line["quantity"]
        line["amount"] = -line["amount"]
    invoice_recompute(invoice)
    assert invoice["amount"] < 0
    run = flow_run(integration, "invoices", sandbox=sandbox)
    assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES), run.error
    link = SyncLink.objects.get(
        integration=integration, kind=SyncKind.CREDIT_NOTE, harvest_id=str(invoice["id"])
    )
    note = sandbox.state.xero.credit_notes[link.xero_id]
    assert note["Type"] == "ACCRECCREDIT" and note["RemainingCredit"] == -invoice["amount"]
    return invoice, note


def harvest_refund(sandbox, invoice: dict, amount: Decimal) -> dict:
    """Finance records the money paid back as a payment on the negative invoice.

    Harvest's API documents no sign for it and the Harvest simulator takes positive payments up
    to what is due only, so the payment is put in its store as Harvest would hold it."""
    now = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    payment = {
        "id": new_id(sandbox.state, "payments"),
        "amount": amount,
        "paid_at": now,
        "paid_date": now[:10],
        "recorded_by": "Finance",
        "recorded_by_email": "finance@example.com",
        "notes": "Refund by bank transfer",
        "transaction_id": None,
        "payment_gateway": {"id": None, "name": None},
        "created_at": now,
        "updated_at": now,
    }
    record = sandbox.state.harvest.invoices[invoice["id"]]
    record["_payments"].append(payment)
    invoice_recompute(record)
    record["updated_at"] = now
    return payment


def refunds_of(sandbox, note: dict) -> list[dict]:
    return [
        p
        for p in sandbox.state.xero.payments.values()
        if p.get("CreditNoteID") == note["CreditNoteID"] and p["Status"] != "DELETED"
    ]


def refund_link(payment: dict) -> SyncLink:
    return SyncLink.objects.get(kind=SyncKind.PAYMENT, harvest_id=str(payment["id"]))


@pytest.mark.parametrize("sign", [Decimal("-1"), Decimal("1")], ids=["negative", "positive"])
def test_a_harvest_refund_becomes_one_refund_of_the_credit_note(sandbox, integration, sign):
    invoice, note = credit_note_synced(sandbox, integration)
    total = note["RemainingCredit"]
    paid_back = harvest_refund(sandbox, invoice, sign * Decimal("40.00"))

    run = flow_run(integration, "payments", sandbox=sandbox)
    assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES), run.error
    (refund,) = refunds_of(sandbox, note)
    assert refund["Amount"] == Decimal("40.00")
    assert refund["PaymentType"] == "ARCREDITPAYMENT"
    assert refund["Reference"] == f"Harvest payment {paid_back['id']}"
    assert sandbox.state.xero.accounts[refund["AccountID"]]["Code"] == "615"
    assert note["RemainingCredit"] == total - Decimal("40.00")
    link = refund_link(paid_back)
    assert link.state == SyncLink.State.SYNCED and link.xero_id == refund["PaymentID"]
    assert link.snapshot["xero_credit_note_id"] == note["CreditNoteID"]

    # Again, and again after a full re-read: no second refund, and nothing comes back to Harvest.
    flow_run(integration, "payments", sandbox=sandbox)
    Cursor.objects.all().delete()
    flow_run(integration, "payments", sandbox=sandbox)
    assert len(refunds_of(sandbox, note)) == 1
    assert [p["id"] for p in harvest_payments(sandbox, invoice)] == [paid_back["id"]]


def test_a_lost_answer_is_not_a_second_refund(db):
    faults = FaultPlan(seed=5)
    sandbox = sandbox_build(invoices=INVOICES, faults=faults)
    integration = integration_for(sandbox)
    invoice, note = credit_note_synced(sandbox, integration)
    paid_back = harvest_refund(sandbox, invoice, Decimal("-25.00"))
    faults.script(PAYMENTS_PUT, "lost_response")

    flow_run(integration, "payments", sandbox=sandbox)
    assert len(refunds_of(sandbox, note)) == 1  # the retry got Xero's replay
    assert refund_link(paid_back).state == SyncLink.State.SYNCED


class CreditNotesWithoutPayments(httpx.BaseTransport):
    """Xero answering /CreditNotes without each note's payments, as a summary answer does."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET" or not request.url.path.lower().endswith("/creditnotes"):
            return response
        body = json.loads(response.read())
        for note in body.get("CreditNotes", []):
            note.pop("Payments", None)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, json=body)


@pytest.mark.parametrize("answer", ["with payments", "summary"])
def test_a_crash_after_the_write_is_repaired_by_reference(
    sandbox, integration, monkeypatch, answer
):
    invoice, note = credit_note_synced(sandbox, integration)
    paid_back = harvest_refund(sandbox, invoice, Decimal("-30.00"))

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed after the Xero write")

    monkeypatch.setattr("syncapp.flows.payments.reverse._item_outcome", crash)
    crashed = flow_run(integration, "payments", sandbox=sandbox)
    assert crashed.status == SyncRun.Status.FAILED
    assert refund_link(paid_back).state == SyncLink.State.SENDING
    assert len(refunds_of(sandbox, note)) == 1
    monkeypatch.undo()
    # The Idempotency-Key would replay only for a while: the Reference on the credit note's
    # payments is what finds the refund again.
    sandbox.state.xero.idempotency.clear()
    if answer == "summary":  # the refund is then found by a search for its Reference
        sandbox = replace(sandbox, transport=CreditNotesWithoutPayments(sandbox.transport))
    flow_run(integration, "payments", sandbox=sandbox)
    (refund,) = refunds_of(sandbox, note)
    link = refund_link(paid_back)
    assert link.state == SyncLink.State.SYNCED and link.xero_id == refund["PaymentID"]


def test_a_refund_deleted_in_harvest_is_deleted_in_xero(sandbox, integration):
    invoice, note = credit_note_synced(sandbox, integration)
    total = note["RemainingCredit"]
    paid_back = harvest_refund(sandbox, invoice, -total)
    flow_run(integration, "payments", sandbox=sandbox)
    (refund,) = refunds_of(sandbox, note)
    assert note["Status"] == "PAID"

    record = sandbox.state.harvest.invoices[invoice["id"]]
    record["_payments"].clear()
    invoice_recompute(record)
    record["updated_at"] = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    flow_run(integration, "payments", sandbox=sandbox)
    assert refunds_of(sandbox, note) == []
    assert sandbox.state.xero.payments[refund["PaymentID"]]["Status"] == "DELETED"
    assert (note["Status"], note["RemainingCredit"]) == ("AUTHORISED", total)
    assert refund_link(paid_back).state == SyncLink.State.VOIDED


def test_a_refund_already_made_in_xero_is_held_not_counted_twice(sandbox, integration):
    invoice, note = credit_note_synced(sandbox, integration)
    total = note["RemainingCredit"]
    with xero_api(sandbox, integration) as xero:  # finance refunds the whole credit in Xero
        (made,) = xero.create_payments(
            payments=[
                {
                    "CreditNote": {"CreditNoteID": note["CreditNoteID"]},
                    "Account": {"Code": "090"},
                    "Amount": total,
                    "Date": sandbox.clock.now().date().isoformat(),
                    "Reference": "Refund by bank transfer",
                }
            ],
            idempotency_key="test-refund-by-hand",
        ).results
        assert made.ok, made.error_text
    paid_back = harvest_refund(sandbox, invoice, -total)  # ... and records it in Harvest too

    flow_run(integration, "payments", sandbox=sandbox)
    assert [p["PaymentID"] for p in refunds_of(sandbox, note)] == [made.xero_id]
    link = refund_link(paid_back)
    assert link.state == SyncLink.State.HELD
    assert "already recorded in Xero" in link.last_error
    # The refund made in Xero is not copied to Harvest either.
    assert [p["id"] for p in harvest_payments(sandbox, invoice)] == [paid_back["id"]]


def test_a_refund_on_a_draft_credit_note_waits_with_the_reason(sandbox, integration):
    integration.xero_invoice_status = Integration.XeroInvoiceStatus.DRAFT
    integration.save()
    invoice, note = credit_note_synced(sandbox, integration)
    assert note["Status"] == "DRAFT"
    paid_back = harvest_refund(sandbox, invoice, Decimal("-10.00"))
    flow_run(integration, "payments", sandbox=sandbox)
    assert refunds_of(sandbox, note) == []
    link = refund_link(paid_back)
    assert link.state == SyncLink.State.HELD
    assert link.last_error == (
        "The Xero credit note is DRAFT; Xero takes refunds on approved credit notes only."
    )

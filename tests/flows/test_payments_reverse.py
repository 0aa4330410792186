"""The option: payments taken in Harvest become Xero payments into the clearing account, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.models import CurrencyMapping
from syncapp.models import SyncKind, SyncLink, SyncRun
from syncapp.sandbox.core.faults import FaultPlan
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create
from tests.flows.payments.helpers import (
    harvest_payments,
    linked_invoice,
    sandbox_control,
    xero_pay,
)

pytestmark = pytest.mark.django_db


def enable_reverse(integration, *, clearing: str | None = "615"):
    integration.harvest_payments_to_xero = True
    integration.save()
    if clearing is not None:
        CurrencyMapping.objects.create(
            integration=integration,
            harvest_currency="USD",
            xero_currency="USD",
            clearing_account_code=clearing,
        )


def harvest_card_payment(sandbox, harvest_invoice, amount: Decimal) -> dict:
    answer = sandbox_control(
        sandbox,
        "POST",
        f"/_sandbox/harvest/invoices/{harvest_invoice['id']}/pay",
        {"amount": str(amount), "notes": "Paid by card (Stripe)", "send_thank_you": False},
    )
    return answer["payment"]


def xero_payments_of(sandbox, xero_invoice) -> list[dict]:
    xero = sandbox.state.xero
    return [
        p
        for p in xero.payments.values()
        if p.get("InvoiceID") == xero_invoice["InvoiceID"] and p["Status"] != "DELETED"
    ]


def account_code(sandbox, account_id) -> str:
    return sandbox.state.xero.accounts[account_id]["Code"]


def test_harvest_card_payment_goes_to_the_clearing_account_once(sandbox, sandbox_integration):
    enable_reverse(sandbox_integration)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    card = harvest_card_payment(sandbox, harvest_invoice, Decimal("75.00"))

    run = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    (payment,) = xero_payments_of(sandbox, xero_invoice)
    assert payment["Amount"] == Decimal("75.00")
    assert payment["Reference"] == f"Harvest payment {card['id']}"
    assert account_code(sandbox, payment["AccountID"]) == "615"
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, harvest_id=str(card["id"]))
    assert link.state == SyncLink.State.SYNCED and link.xero_id == payment["PaymentID"]

    # Twice more: no second Xero payment, and it never comes back to Harvest as a new one.
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    from syncapp.models import Cursor

    Cursor.objects.all().delete()  # even a full re-read
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert len(xero_payments_of(sandbox, xero_invoice)) == 1
    assert [p["id"] for p in harvest_payments(sandbox, harvest_invoice)] == [card["id"]]


def test_payment_mirrored_from_xero_is_not_sent_back(sandbox, sandbox_integration):
    enable_reverse(sandbox_integration)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("20.00"))
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert len(xero_payments_of(sandbox, xero_invoice)) == 1
    assert len(harvest_payments(sandbox, harvest_invoice)) == 1


def test_no_clearing_account_holds_with_what_to_do(sandbox, sandbox_integration):
    enable_reverse(sandbox_integration, clearing=None)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    card = harvest_card_payment(sandbox, harvest_invoice, Decimal("10.00"))
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert xero_payments_of(sandbox, xero_invoice) == []
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, harvest_id=str(card["id"]))
    assert link.state == SyncLink.State.HELD
    assert "Mappings › Currencies" in link.last_error


def test_deleted_in_harvest_is_deleted_in_xero(sandbox, sandbox_integration):
    enable_reverse(sandbox_integration)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    card = harvest_card_payment(sandbox, harvest_invoice, Decimal("10.00"))
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert len(xero_payments_of(sandbox, xero_invoice)) == 1
    invoice = sandbox.state.harvest.invoices[harvest_invoice["id"]]
    invoice["_payments"].clear()
    invoice["due_amount"] = invoice["amount"]
    invoice["updated_at"] = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert xero_payments_of(sandbox, xero_invoice) == []
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, harvest_id=str(card["id"]))
    assert link.state == SyncLink.State.VOIDED


def test_lost_xero_answer_is_replayed_by_idempotency_key(db):
    faults = FaultPlan(seed=3)
    sandbox = sandbox_build(faults=faults)
    integration = sandbox_integration_create(sandbox)
    enable_reverse(integration)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, integration)
    harvest_card_payment(sandbox, harvest_invoice, Decimal("33.00"))
    faults.script("PUT /api.xero.com/api.xro/2.0/Payments", "lost_response")
    first = flow_run(integration, "payments", sandbox=sandbox)
    assert first.status == SyncRun.Status.SUCCEEDED, first.error
    assert len(xero_payments_of(sandbox, xero_invoice)) == 1  # the retry got Xero's replay
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, snapshot__direction="harvest_to_xero")
    assert link.state == SyncLink.State.SYNCED


def test_crash_after_the_xero_write_is_repaired_by_reference(
    sandbox, sandbox_integration, monkeypatch
):
    enable_reverse(sandbox_integration)
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    harvest_card_payment(sandbox, harvest_invoice, Decimal("44.00"))

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed after the Xero write")

    monkeypatch.setattr("syncapp.flows.payments.reverse._item_outcome", crash)
    crashed = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert crashed.status == SyncRun.Status.FAILED
    link = SyncLink.objects.get(kind=SyncKind.PAYMENT, snapshot__direction="harvest_to_xero")
    assert link.state == SyncLink.State.SENDING
    monkeypatch.undo()
    rerun = flow_run(sandbox_integration, "payments", sandbox=sandbox)
    assert rerun.status == SyncRun.Status.SUCCEEDED, rerun.error
    (payment,) = xero_payments_of(sandbox, xero_invoice)
    link.refresh_from_db()
    assert link.state == SyncLink.State.SYNCED and link.xero_id == payment["PaymentID"]

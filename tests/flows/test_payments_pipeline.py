"""With the real invoice flow (issue 7): invoices go to Xero, payments come back to Harvest."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.models import CurrencyMapping
from syncapp.demo.bench.invoices import contacts_prelink
from syncapp.models import Integration, SyncKind, SyncLink
from syncapp.providers.clock import SimulatedClock
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create
from tests.flows.payments.helpers import harvest_payments, xero_pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    # A smaller seed without contract validation: the invoice flow's own tests cover those.
    return sandbox_build(invoices=30, validate=False)


@pytest.fixture
def synced(sandbox):
    integration = sandbox_integration_create(sandbox)
    integration.xero_invoice_status = Integration.XeroInvoiceStatus.AUTHORISED
    integration.save()
    contacts_prelink(state=sandbox.state, integration=integration)
    run = flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock())
    assert run.status == "succeeded", run.error
    return integration


def _linked(sandbox, integration, *, paid_in_harvest: bool):
    """(harvest invoice, xero invoice) pairs the invoice flow created, AUTHORISED in Xero."""
    pairs = []
    for link in SyncLink.objects.filter(
        integration=integration, kind=SyncKind.INVOICE, state=SyncLink.State.SYNCED
    ):
        harvest = sandbox.state.harvest.invoices[int(link.harvest_id)]
        xero = sandbox.state.xero.invoices.get(link.xero_id)
        if xero is None or xero["Status"] != "AUTHORISED" or harvest["state"] != "open":
            continue
        if bool(harvest["_payments"]) == paid_in_harvest and xero["AmountDue"] > 0:
            pairs.append((harvest, xero))
    assert pairs, "the seed has such an invoice"
    return pairs


def test_xero_payment_on_an_invoice_the_invoice_flow_sent(sandbox, synced):
    harvest, xero = _linked(sandbox, synced, paid_in_harvest=False)[0]
    xero_pay(sandbox, xero, amount=Decimal("1.00"))
    xero_pay(sandbox, xero)  # and the rest
    run = flow_run(synced, "payments", sandbox=sandbox)
    assert run.status == "succeeded", run.error
    assert run.counters["payments"]["created"] == 2
    assert sorted(p["amount"] for p in harvest_payments(sandbox, harvest))[0] == Decimal("1.00")
    assert sandbox.state.harvest.invoices[harvest["id"]]["state"] == "paid"
    assert run.counters["payments"].get("flagged", 0) == 0


def test_round_trip_with_a_payment_taken_in_harvest_first(sandbox, synced):
    """Partly paid in Harvest (by card): that payment goes to Xero's clearing account, then
    finance receives the rest in Xero, which comes back to Harvest: paid on both sides."""
    harvest, xero = _linked(sandbox, synced, paid_in_harvest=True)[0]
    synced.harvest_payments_to_xero = True
    synced.save()
    CurrencyMapping.objects.create(
        integration=synced,
        harvest_currency=harvest["currency"],
        xero_currency=harvest["currency"],
        clearing_account_code="615",
    )
    first = flow_run(synced, "payments", sandbox=sandbox)
    assert first.status == "succeeded", first.error
    xero_now = sandbox.state.xero.invoices[xero["InvoiceID"]]
    assert xero_now["AmountDue"] == Decimal(str(harvest["due_amount"]))

    xero_pay(sandbox, xero_now)
    flow_run(synced, "payments", sandbox=sandbox)
    harvest_now = sandbox.state.harvest.invoices[harvest["id"]]
    assert harvest_now["state"] == "paid"
    assert sandbox.state.xero.invoices[xero["InvoiceID"]]["AmountDue"] == 0
    # Nothing was mirrored twice: Harvest's own payment plus the one from Xero.
    assert len(harvest_now["_payments"]) == 2


def test_harvest_payments_on_invoices_linked_after_a_poll_still_reach_xero(sandbox):
    """The reverse poll ran before the invoices reached Xero (its cursor moved on); the
    payments Harvest already had must still be mirrored once the invoices are linked."""
    integration = sandbox_integration_create(sandbox)
    integration.xero_invoice_status = Integration.XeroInvoiceStatus.AUTHORISED
    integration.harvest_payments_to_xero = True
    integration.save()
    for currency in ("USD", "EUR", "GBP"):
        CurrencyMapping.objects.create(
            integration=integration,
            harvest_currency=currency,
            xero_currency=currency,
            clearing_account_code="615",
        )
    early = flow_run(integration, "payments", sandbox=sandbox)
    assert early.status == "succeeded", early.error
    contacts_prelink(state=sandbox.state, integration=integration)
    assert (
        flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock()).status
        == "succeeded"
    )

    later = flow_run(integration, "payments", sandbox=sandbox)
    assert later.status == "succeeded", later.error
    paid_in_harvest = _linked_paid_in_harvest(sandbox, integration)
    assert paid_in_harvest, "the seed has invoices paid (in part) in Harvest"
    for harvest, xero_id in paid_in_harvest:
        xero = sandbox.state.xero.invoices[xero_id]
        assert xero["AmountDue"] == Decimal(str(harvest["due_amount"])), harvest["number"]


def _linked_paid_in_harvest(sandbox, integration):
    pairs = []
    for link in SyncLink.objects.filter(
        integration=integration, kind=SyncKind.INVOICE, state=SyncLink.State.SYNCED
    ):
        harvest = sandbox.state.harvest.invoices[int(link.harvest_id)]
        if harvest["_payments"] and link.xero_id in sandbox.state.xero.invoices:
            pairs.append((harvest, link.xero_id))
    return pairs

"""Under random faults (429, 5xx, timeouts, answers lost after the write), repeated runs end
with every Xero settlement in Harvest exactly once: no duplicate, nothing lost."""

from __future__ import annotations

import os
from collections import Counter
from decimal import Decimal

import pytest

from syncapp.demo.bench.invoices import SharedClock
from syncapp.models import SyncKind, SyncLink
from syncapp.sandbox.core.faults import FaultPlan
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create
from tests.flows.payments.helpers import (
    linked_invoice,
    xero_credit_note_allocate,
    xero_pay,
    xero_payment_delete,
)

pytestmark = pytest.mark.django_db

SEEDS = range(int(os.environ.get("HXSYNC_PAYMENT_FAULT_SEEDS", "5")))
INVOICES = 6


def xero_settlements(sandbox, xero_id: str) -> Counter:
    xero = sandbox.state.xero
    invoice = xero.invoices[xero_id]
    wanted = Counter()
    for payment_id in invoice.get("PaymentIDs", []):
        payment = xero.payments[payment_id]
        if payment["Status"] != "DELETED":
            wanted[(payment_id.lower(), payment["Amount"])] += 1
    for allocation in invoice.get("Allocations", []):
        wanted[(allocation["CreditNoteID"].lower(), allocation["Amount"])] += 1
    return wanted


def harvest_mirror(sandbox, harvest_id: int) -> Counter:
    mirrored = Counter()
    for payment in sandbox.state.harvest.invoices[harvest_id]["_payments"]:
        tag = payment["notes"].split("hxsync:", 1)[1].rstrip(")")
        key = tag.split(":")[1] if tag.startswith("cn:") else tag
        mirrored[(key, payment["amount"])] += 1
    return mirrored


@pytest.mark.parametrize("seed", SEEDS)
def test_random_faults_never_duplicate_or_lose_a_payment(seed):
    # Harvest payment writes fail more often than the rest, so every run meets write faults
    # (the overall rate applies from the first sync on; the set-up below runs without faults).
    faults = FaultPlan(seed=seed, routes={"POST /api.harvestapp.com/v2/invoices/*/payments*": 0.0})
    sandbox = sandbox_build(seed=seed, validate=False, faults=faults)
    integration = sandbox_integration_create(sandbox)
    pairs = [linked_invoice(sandbox, integration, currency=None, index=i) for i in range(INVOICES)]
    for index, (_, xero_invoice) in enumerate(pairs):
        total = Decimal(str(xero_invoice["Total"]))
        first = xero_pay(sandbox, xero_invoice, amount=(total / 3).quantize(Decimal("0.01")))
        if index % 3 == 0:
            xero_payment_delete(sandbox, integration, first["PaymentID"])
        elif index % 3 == 1:
            xero_credit_note_allocate(sandbox, integration, xero_invoice, Decimal("5.00"))
            xero_pay(sandbox, xero_invoice)  # the rest
    # Faults from here on: a fifth of the flow's calls to both services fail somehow.
    faults.rate = 0.2
    faults._routes = [(route, 0.4) for route, _ in faults._routes]
    # Whatever the seed draws, the first Harvest payment writes meet the worst cases: an answer
    # lost after the write, then a failure before it.
    faults.script("POST /api.harvestapp.com/v2/invoices/*/payments*", "lost_response", "503")
    # Waits (backoff, a 429's Retry-After) pass on the sandbox's clock, as in bench
    # invoices_faults: a run sleeps through them instead of being put back in the queue.
    clock = SharedClock(sandbox.clock)
    for _ in range(15):
        run = flow_run(integration, "payments", sandbox=sandbox, clock=clock)
        done = run.status == "succeeded" and not run.counters["payments"]["failed"]
        pending = SyncLink.objects.filter(
            integration=integration,
            kind=SyncKind.PAYMENT,
            state__in=(SyncLink.State.SENDING, SyncLink.State.FAILED),
        ).exists()
        if done and not pending:
            break
    faults.rate = 0.0
    flow_run(integration, "payments", sandbox=sandbox, clock=clock)  # a calm run changes nothing
    kinds = Counter(f.kind for f in faults.injected if f.method == "POST")
    assert sum(kinds.values()) >= 1, "Harvest payment writes met faults"
    for harvest_invoice, xero_invoice in pairs:
        wanted = xero_settlements(sandbox, xero_invoice["InvoiceID"])
        assert harvest_mirror(sandbox, harvest_invoice["id"]) == wanted
        assert max(wanted.values(), default=1) == 1
        xero_due = sandbox.state.xero.invoices[xero_invoice["InvoiceID"]]["AmountDue"]
        assert sandbox.state.harvest.invoices[harvest_invoice["id"]]["due_amount"] == xero_due

"""An invoice whose Harvest tax has no Xero rate waits (HELD, with the reason) instead of failing
on every run; the preflight lists the combination with the invoices it holds, and creating the
rate in Xero, or mapping it to an existing rate, sends them right after."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from mappings.models import TaxMapping
from syncapp.demo.bench.invoices import contacts_prelink
from syncapp.flows.invoices.fixes import held_tax_rate_create
from syncapp.models import SyncLink, SyncRun
from syncapp.providers.clock import SimulatedClock
from syncapp.sandbox.harvest.invoices import invoice_recompute
from syncapp.services.runs import sync_run_execute
from tests.flows.conftest import flow_run, sandbox_integration_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def odd_tax(sandbox):
    integration = sandbox_integration_create(sandbox)
    contacts_prelink(state=sandbox.state, integration=integration)
    invoice = next(i for i in sandbox.state.harvest.invoices.values() if i["state"] == "open")
    invoice.update(tax=Decimal("7.25"), tax2=None)
    for line in invoice["_line_items"]:
        line.update(taxed=True, taxed2=False)
    invoice_recompute(invoice)
    return integration, invoice


def _run(integration, sandbox):
    run = flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock())
    assert run.status == "succeeded", run.error
    return run.counters["invoices"]


def _link(integration, invoice) -> SyncLink:
    return SyncLink.objects.get(integration=integration, harvest_id=str(invoice["id"]))


def _release(sandbox) -> SyncLink:
    queued = SyncRun.objects.filter(trigger=SyncRun.Trigger.RESYNC).latest("pk")
    done = sync_run_execute(run_id=queued.pk, transport=sandbox.transport, clock=SimulatedClock())
    assert done.status == "succeeded", done.error
    return done


def test_missing_rate_waits_is_listed_and_creating_it_sends_the_invoice(sandbox, odd_tax):
    integration, invoice = odd_tax
    counters = _run(integration, sandbox)
    link = _link(integration, invoice)
    assert link.state == SyncLink.State.HELD
    assert "No Xero tax rate for tax 7.25 %" in link.last_error
    listed = [p for p in counters["preflight"] if p["code"] == "tax_rate_missing"]
    assert [p["harvest_ids"] for p in listed] == [[str(invoice["id"])]]
    assert listed[0]["fix"] == {"applies": "tax", "tax": "7.25", "tax2": "0"}
    again = _run(integration, sandbox)
    assert again["failed"] == 0  # waits; does not fail on every run
    assert _link(integration, invoice).state == SyncLink.State.HELD

    held_tax_rate_create(
        integration=integration,
        applies="tax",
        tax="7.25",
        tax2="0",
        name="Harvest 7.25",
        report_tax_type="OUTPUT",
        transport=sandbox.transport,
    )
    created = [r for r in sandbox.state.xero.tax_rates.values() if r["Name"] == "Harvest 7.25"]
    assert len(created) == 1
    _release(sandbox)
    link = _link(integration, invoice)
    assert link.state == SyncLink.State.SYNCED
    record = sandbox.state.xero.invoices[link.xero_id]
    assert {line["TaxType"] for line in record["LineItems"]} == {created[0]["TaxType"]}
    assert record["Total"] == invoice["amount"]


def test_preflight_page_maps_to_an_existing_rate_and_releases(sandbox, odd_tax, admin_client):
    integration, invoice = odd_tax
    _run(integration, sandbox)
    url = reverse("admin:syncapp_synclink_preflight", args=[integration.pk])
    text = admin_client.get(url).content.decode()
    assert "Create this rate in Xero" in text and "Map to an existing rate" in text
    # Finance changed a rate in Xero to 7.25 % meanwhile (the cached settings show it).
    rate = next(iter(sandbox.state.xero.tax_rates.values()))
    settings = integration.xero_cache
    settings.tax_rates = [
        {**t, "EffectiveRate": "7.25"} if t["TaxType"] == rate["TaxType"] else t
        for t in settings.tax_rates
    ]
    settings.save()
    sandbox.state.xero.tax_rates[rate["TaxType"]]["TaxComponents"] = [
        {"Name": "Tax", "Rate": Decimal("7.25"), "IsCompound": False, "IsNonRecoverable": False}
    ]
    sandbox.state.xero.tax_rates[rate["TaxType"]].pop("_effective", None)
    response = admin_client.post(
        url,
        {
            "map_tax": "1",
            "applies": "tax",
            "tax": "7.25",
            "tax2": "0",
            "xero_tax_type": rate["TaxType"],
        },
        follow=True,
    )
    assert "waiting invoice(s) are being sent" in response.content.decode()
    assert (
        TaxMapping.objects.get(integration=integration, applies="tax").xero_tax_type
        == (rate["TaxType"])
    )
    _release(sandbox)
    assert _link(integration, invoice).state == SyncLink.State.SYNCED

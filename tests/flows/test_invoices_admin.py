"""The invoice pages finance uses: preflight, "which rule chose this account", resync."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mappings.models import AccountMapping
from syncapp.demo.bench.invoices import contacts_prelink
from syncapp.models import SyncKind, SyncLink, SyncRun
from syncapp.providers.clock import SimulatedClock
from syncapp.services.runs import sync_run_execute
from tests.flows.conftest import flow_run, sandbox_integration_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(sandbox):
    integration = sandbox_integration_create(sandbox)
    contacts_prelink(state=sandbox.state, integration=integration)
    invoice = next(i for i in sandbox.state.harvest.invoices.values() if i["state"] == "open")
    project_id = invoice["_line_items"][0]["_project_id"]
    AccountMapping.objects.create(
        integration=integration,
        scope="project",
        harvest_project_id=str(project_id),
        account_code="220",
    )
    run = flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock())
    assert run.status == "succeeded", run.error
    return integration, invoice


def test_preflight_lists_an_archived_account_with_what_to_do(admin_client, synced):
    integration, _ = synced
    integration.default_account_code = "250"  # archived in the seeded chart
    integration.save()
    page = admin_client.get(reverse("admin:syncapp_synclink_preflight", args=[integration.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Account 250 (Legacy Retainers) is archived in Xero." in text
    assert "Restore it in Xero" in text
    assert "Blocks sending" in text


def test_preflight_is_clean_for_the_seeded_setup(admin_client, synced):
    integration, _ = synced
    page = admin_client.get(reverse("admin:syncapp_synclink_preflight", args=[integration.pk]))
    assert 'id="preflight-ok"' in page.content.decode()


def test_ledger_page_says_which_rule_chose_each_account(admin_client, synced):
    integration, invoice = synced
    link = SyncLink.objects.get(
        integration=integration, kind=SyncKind.INVOICE, harvest_id=str(invoice["id"])
    )
    page = admin_client.get(reverse("admin:syncapp_synclink_change", args=[link.pk]))
    text = page.content.decode()
    assert "Which rule chose the account" in text
    assert f"Project rule (project {invoice['_line_items'][0]['_project_id']}) -&gt; 220" in text
    assert "Resync this invoice" in text


def test_resync_action_sends_the_selected_invoice_again(admin_client, synced, sandbox):
    integration, invoice = synced
    link = SyncLink.objects.get(
        integration=integration, kind=SyncKind.INVOICE, harvest_id=str(invoice["id"])
    )
    response = admin_client.post(
        reverse("admin:syncapp_synclink_changelist"),
        {"action": "resync_invoices", "_selected_action": [link.pk]},
        follow=True,
    )
    assert response.status_code == 200
    run = SyncRun.objects.get(trigger=SyncRun.Trigger.RESYNC)
    assert run.scope == {"harvest_invoice_ids": [str(invoice["id"])]}
    finished = sync_run_execute(run_id=run.pk, transport=sandbox.transport, clock=SimulatedClock())
    counters = finished.counters["invoices"]
    assert counters["updated"] == 1
    assert counters["created"] == 0
    link.refresh_from_db()
    assert link.state == SyncLink.State.SYNCED

"""A Finance user, in a real headless Chromium: the invoice preflight, which rule chose each
line's account, and a resync of one invoice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mappings.models import AccountMapping
from syncapp.demo.bench.invoices import contacts_prelink
from syncapp.models import SyncKind, SyncLink, SyncRun
from syncapp.providers.clock import SimulatedClock
from tests.browser.conftest import browser_page  # noqa: F401, F811 - the shared Chromium fixture
from tests.factories import UserFactory
from tests.flows.conftest import flow_run, sandbox_build, sandbox_integration_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("HXSYNC_SCREENSHOTS", "/tmp/hxsync-screenshots"))  # noqa: S108


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_finance_user_checks_preflight_reads_account_rules_and_resyncs(
    live_server,
    browser_page,  # noqa: F811
):
    sandbox = sandbox_build(validate=False)
    integration = sandbox_integration_create(sandbox)
    contacts_prelink(state=sandbox.state, integration=integration)
    invoice = next(i for i in sandbox.state.harvest.invoices.values() if i["state"] == "open")
    project_id = invoice["_line_items"][0]["_project_id"]
    AccountMapping.objects.create(
        integration=integration,
        scope="project",
        harvest_project_id=str(project_id),
        account_code="220",
        description="Design work",
    )
    run = flow_run(integration, "invoices", sandbox=sandbox, clock=SimulatedClock())
    assert run.status == "succeeded", run.error
    integration.default_account_code = "250"  # archived in Xero: preflight must say so
    integration.save()
    UserFactory(username="fiona", finance=True)
    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "a-long-test-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Keep Harvest and Xero in step")

    page.goto(f"{live_server.url}/admin/syncapp/synclink/?kind__exact=invoice")
    page.click("a.preflight-link")
    page.wait_for_selector("#preflight-problems")
    shot(page, "invoices-01-preflight")
    assert "Account 250 (Legacy Retainers) is archived in Xero." in page.inner_text("#preflight")

    link = SyncLink.objects.get(
        integration=integration, kind=SyncKind.INVOICE, harvest_id=str(invoice["id"])
    )
    page.goto(f"{live_server.url}/admin/syncapp/synclink/{link.pk}/change/")
    page.wait_for_selector("table.account-rules")
    shot(page, "invoices-02-account-rules")
    rules = page.inner_text("table.account-rules")
    assert f"Project rule (project {project_id}) -> 220" in rules
    page.click("#resync-one")
    page.wait_for_selector(".messagelist .success")
    shot(page, "invoices-03-resync-queued")
    resync = SyncRun.objects.get(trigger=SyncRun.Trigger.RESYNC)
    assert resync.scope == {"harvest_invoice_ids": [str(invoice["id"])]}

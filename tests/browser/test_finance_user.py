"""A Finance user, in a real headless Chromium: log in, edit a mapping, press Sync now."""

import os
from pathlib import Path

import pytest

from mappings.models import AccountMapping
from syncapp.models import Connection, SyncRun
from tests.factories import (
    SECRETS,
    AccountMappingFactory,
    ConnectionFactory,
    IntegrationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("HXSYNC_SCREENSHOTS", "/tmp/hxsync-screenshots"))  # noqa: S108


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_finance_user_edits_a_mapping_and_triggers_sync_now(live_server, browser_page):
    page = browser_page
    integration = IntegrationFactory(name="Northwind Studio")
    ConnectionFactory(integration=integration, provider=Connection.Provider.HARVEST)
    ConnectionFactory(integration=integration, provider=Connection.Provider.XERO)
    mapping = AccountMappingFactory(
        integration=integration, harvest_task_id="8201", account_code="200", description="Design"
    )
    UserFactory(username="fiona", finance=True)

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "a-long-test-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Keep Harvest and Xero in step")
    shot(page, "01-dashboard")
    assert page.locator("a[href='/admin/auth/user/']").count() == 0

    page.goto(f"{live_server.url}/admin/mappings/accountmapping/")
    page.click(f"a[href='/admin/mappings/accountmapping/{mapping.pk}/change/']")
    page.fill("#id_account_code", "4000")
    shot(page, "02-edit-mapping")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert AccountMapping.objects.get(pk=mapping.pk).account_code == "4000"

    page.goto(f"{live_server.url}/admin/syncapp/integration/")
    page.check(f"input[name=_selected_action][value='{integration.pk}']")
    page.select_option("select[name=action]", "sync_now")
    page.click("button[name=index]")
    message = page.wait_for_selector(".messagelist .success")
    shot(page, "03-sync-now")
    run = SyncRun.objects.get(integration=integration)
    assert f"run #{run.pk}" in message.inner_text()
    assert run.requested_by.username == "fiona"

    page.click(f"a[href='/admin/syncapp/syncrun/{run.pk}/change/']")
    page.wait_for_selector("#run-progress")
    shot(page, "04-run-page")
    page.goto(f"{live_server.url}/admin/syncapp/connection/")
    shot(page, "05-connections")
    content = page.content()
    assert not any(secret in content for secret in SECRETS)

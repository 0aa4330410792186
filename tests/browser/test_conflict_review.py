"""A Finance user, in a real headless Chromium, works the contact review queue after a first sync."""

import os
from pathlib import Path

import pytest

from syncapp.flows.contacts.links import contact_link_for_client
from syncapp.models import Conflict, SyncLink, SyncRun
from tests.factories import UserFactory
from tests.flows.conftest import sandbox_build, sandbox_integration_create
from tests.flows.contacts.helpers import contacts_run, summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("HXSYNC_SCREENSHOTS", "/tmp/hxsync-screenshots"))  # noqa: S108


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def login(page, live_server):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "a-long-test-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Keep Harvest and Xero in step")


def test_finance_user_resolves_a_conflict(live_server, browser_page):
    page = browser_page
    sandbox = sandbox_build()
    integration = sandbox_integration_create(sandbox)
    summary(contacts_run(integration, sandbox)[0])
    acme = Conflict.objects.get(label="Acme Corporation", status=Conflict.Status.OPEN)
    twin_id = acme.candidates[0]["contact_id"]
    UserFactory(username="fiona", finance=True)

    login(page, live_server)
    page.goto(f"{live_server.url}/admin/syncapp/conflict/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == Conflict.objects.filter(status=Conflict.Status.OPEN).count() == 7
    shot(page, "conflict-01-queue")

    page.click("#result_list a:text('Acme Corporation')")
    page.wait_for_selector("#candidate-table")
    # The Harvest client beside its candidate, the agreeing e-mail highlighted, the name not.
    email_row = page.locator("#candidate-table tr", has_text="E-mail")
    assert "match" in email_row.locator("td").nth(1).get_attribute("class")
    name_row = page.locator("#candidate-table tr", has_text="Name").first
    assert name_row.locator("td").nth(0).inner_text() == "Acme Corporation"
    assert name_row.locator("td").nth(1).inner_text() == "ACME Corp."
    assert "match" not in (name_row.locator("td").nth(1).get_attribute("class") or "")
    assert page.locator("text=different name").count() >= 1
    shot(page, "conflict-02-review")

    page.click(f"button.link-candidate[data-contact='{twin_id}']")
    message = page.wait_for_selector(".messagelist .success")
    assert "Linked" in message.inner_text()
    shot(page, "conflict-03-resolved")
    acme.refresh_from_db()
    assert acme.status == Conflict.Status.RESOLVED and acme.resolved_by.username == "fiona"
    assert contact_link_for_client(integration=integration, harvest_client_id=acme.harvest_id) == (
        twin_id,
        None,
    )
    # One run for just this client: its contact, then the invoices that waited for it.
    released = SyncRun.objects.get(trigger=SyncRun.Trigger.RESYNC, flow=SyncRun.Flow.ALL)
    assert released.scope == {"harvest_client_ids": [acme.harvest_id]}
    assert page.locator("#result_list tbody tr").count() == 6

    # Bulk: ignore two at once from the list.
    bluefin = Conflict.objects.get(label="Bluefin Studios")
    harbor = Conflict.objects.get(label="Harbor View Hotels")
    for conflict in (bluefin, harbor):
        page.check(f"input[name=_selected_action][value='{conflict.pk}']")
    page.select_option("select[name=action]", "bulk_ignore")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    shot(page, "conflict-04-bulk")
    assert set(
        Conflict.objects.filter(pk__in=[bluefin.pk, harbor.pk]).values_list("status", flat=True)
    ) == {Conflict.Status.IGNORED}
    assert SyncLink.objects.get(harvest_id=acme.harvest_id).xero_id == twin_id

    # A resolved conflict shows what was decided, with no buttons left.
    page.goto(f"{live_server.url}/admin/syncapp/conflict/{acme.pk}/change/")
    assert "Linked to a Xero record" in page.inner_text("#conflict-resolution")
    assert page.locator("button.link-candidate").count() == 0


def test_finance_user_picks_xeros_value_for_a_double_edit(live_server, browser_page):
    from datetime import timedelta

    from tests.flows.contacts.helpers import api_clients

    page = browser_page
    sandbox = sandbox_build()
    integration = sandbox_integration_create(sandbox)
    summary(contacts_run(integration, sandbox)[0])
    link = SyncLink.objects.filter(state=SyncLink.State.SYNCED).order_by("harvest_id").first()
    sandbox.clock.advance(timedelta(minutes=1))
    with api_clients(integration, sandbox) as (harvest, xero):
        harvest.update_client(client_id=int(link.harvest_id), name=f"{link.label} Group")
        xero.update_contacts(
            contacts=[{"ContactID": link.xero_id, "Name": f"{link.label} Holdings"}],
            idempotency_key="browser-edit",
        )
    sandbox.clock.advance(timedelta(minutes=1))
    summary(contacts_run(integration, sandbox)[0])
    conflict = Conflict.objects.get(harvest_id=link.harvest_id, status=Conflict.Status.OPEN)
    UserFactory(username="fiona", finance=True)

    login(page, live_server)
    page.goto(f"{live_server.url}/admin/syncapp/conflict/{conflict.pk}/change/")
    page.wait_for_selector("#field-table")
    row = page.locator("#field-table tbody tr").first
    assert (
        f"{link.label} Group" in row.inner_text() and f"{link.label} Holdings" in row.inner_text()
    )
    shot(page, "conflict-05-field-review")
    page.click("#take-xero")
    page.wait_for_selector(".messagelist .success")
    summary(contacts_run(integration, sandbox)[0])
    assert sandbox.state.harvest.clients[int(link.harvest_id)]["name"] == f"{link.label} Holdings"

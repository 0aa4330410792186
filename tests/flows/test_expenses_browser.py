"""A Finance user, in a real headless Chromium: maps the Travel expense category to a Xero account
by its name, presses Sync now, and finds a Travel expense in the ledger with its receipt linked;
the link hands over the file Harvest holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mappings.models import ExpenseCategoryMapping
from syncapp.models import SyncKind, SyncLink, SyncRun
from tests.browser.conftest import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.factories import UserFactory
from tests.flows.conftest import sandbox_build, sandbox_integration_create, sandbox_served
from tests.flows.expenses.helpers import expenses_run, run_as_a_worker_would

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("HXSYNC_SCREENSHOTS", "/tmp/hxsync-screenshots"))  # noqa: S108


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"expenses-{name}.png"), full_page=True)


def log_in(page, url):
    page.goto(f"{url}/admin/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "a-long-test-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("text=Keep Harvest and Xero in step")


def test_finance_maps_travel_syncs_and_opens_a_receipt_from_the_ledger(
    live_server,
    browser_page,  # noqa: F811
):
    page = browser_page
    sandbox = sandbox_build(validate=False)
    with sandbox_served(sandbox) as url:
        integration = sandbox_integration_create(sandbox, base_url=url)
        # An earlier run met Harvest's categories and read Xero's chart: every expense waits.
        assert expenses_run(integration, sandbox).status == SyncRun.Status.SUCCEEDED
        travel = ExpenseCategoryMapping.objects.get(integration=integration, name="Travel")
        UserFactory(username="fiona", finance=True)
        log_in(page, live_server.url)

        page.goto(f"{live_server.url}/admin/syncapp/synclink/?kind__exact=expense")
        page.click("a.preflight-link")
        page.wait_for_selector("#preflight-expense-problems")
        shot(page, "00-preflight")
        travel_problem = page.locator("#preflight-expense-problems tr", has_text="'Travel'")
        assert "has no Xero account" in travel_problem.inner_text()
        map_it = travel_problem.locator("a.preflight-fix-link")
        assert map_it.inner_text() == "Map it"
        assert map_it.get_attribute("href").endswith(f"/expensecategorymapping/{travel.pk}/change/")

        page.click("text=Expense categories")
        page.click(f"a[href$='/expensecategorymapping/{travel.pk}/change/']")
        page.select_option("#id_account_code", label="493 — Travel")
        shot(page, "01-map-travel")
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success")
        travel.refresh_from_db()
        assert travel.account_code == "493"

        page.goto(f"{live_server.url}/admin/syncapp/integration/")
        page.check(f"input[name=_selected_action][value='{integration.pk}']")
        page.select_option("select[name=action]", "sync_now")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist .success")
        run = SyncRun.objects.get(integration=integration, status=SyncRun.Status.QUEUED)
        run = run_as_a_worker_would(sandbox, run)
        assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES), run.error
        assert run.counters["expenses"]["attachments_uploaded"] > 0

        expense = (
            SyncLink.objects.filter(
                integration=integration,
                kind=SyncKind.EXPENSE,
                state=SyncLink.State.SYNCED,
                label__startswith="Travel ",
                snapshot__receipt__state="sent",
            )
            .order_by("pk")
            .first()
        )
        assert expense is not None, "a Travel expense reached Xero with its receipt"
        page.goto(f"{live_server.url}/admin/syncapp/synclink/?kind__exact=expense")
        page.fill("#searchbar", expense.harvest_id)
        page.press("#searchbar", "Enter")
        row = page.locator("#result_list tbody tr", has_text=expense.label)
        assert row.locator("td.field-receipt_column").inner_text().strip() == "attached"
        shot(page, "02-ledger-expenses")
        row.locator("th a").click()
        page.wait_for_selector("a.receipt-open")
        shot(page, "03-expense-row")

        receipt = expense.snapshot["harvest"]["receipt"]
        assert receipt["file_name"] in page.inner_text(".expense-receipt")
        in_xero = page.inner_text(".expense-in-xero")
        assert expense.snapshot["xero"]["reference"] in in_xero
        assert "Receipt: Attached in Xero as" in in_xero

        href = page.get_attribute("a.receipt-open", "href")
        answer = page.context.request.get(f"{live_server.url}{href}")
        name, content_type, data = sandbox.state.harvest.receipts[int(expense.harvest_id)]
        assert answer.status == 200
        assert answer.headers["content-type"] == content_type
        assert answer.body() == data
        assert name in answer.headers["content-disposition"]

        page.click("a.expense-document-link")
        page.wait_for_selector("table.expense-document-lines")
        shot(page, "04-bill-row")
        assert expense.label in page.inner_text("table.expense-document-lines")

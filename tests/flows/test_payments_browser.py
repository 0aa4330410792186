"""The demo in a real headless Chromium: the sandbox's webhooks subscribed as `manage.py start`
does it, pay in the sandbox's Xero, and see the payment in Harvest, the inbox and the payment
ledger. The webhook keys page shows the key set and offers no sandbox-only button."""

from __future__ import annotations

import os
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.db import connections

from syncapp.demo.sandbox_webhooks import sandbox_webhooks_subscribe
from syncapp.models import WebhookEvent
from syncapp.services.webhook_runs import webhook_events_process
from tests.browser.conftest import browser_page  # noqa: F401 - the shared Chromium fixture
from tests.factories import UserFactory
from tests.flows.conftest import sandbox_build, sandbox_integration_create, sandbox_served
from tests.flows.payments.helpers import harvest_payments, linked_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("HXSYNC_SCREENSHOTS", "/tmp/hxsync-screenshots"))  # noqa: S108


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"payments-{name}.png"), full_page=True)


def test_pay_in_the_sandbox_and_see_it_in_harvest(live_server, browser_page, monkeypatch):  # noqa: F811
    page = browser_page
    sandbox = sandbox_build(validate=False)

    # The worker is this process: each event batch is processed in a thread, as a task would be.
    def process(event_ids):
        try:
            webhook_events_process(event_ids=event_ids)
        finally:
            connections.close_all()

    monkeypatch.setattr(
        "syncapp.webhook_views.webhook_events_enqueue",
        lambda *, event_ids: threading.Thread(
            target=process, args=(list(event_ids),), daemon=True
        ).start(),
    )
    with sandbox_served(sandbox) as url:
        integration = sandbox_integration_create(sandbox, base_url=url)
        harvest_invoice, xero_invoice = linked_invoice(sandbox, integration)
        UserFactory(username="admin2", is_superuser=True)

        page.goto(f"{live_server.url}/admin/")
        page.fill("#id_username", "admin2")
        page.fill("#id_password", "a-long-test-password-1")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/syncapp/webhookevent/")
        page.click("text=Webhook keys and the delivery URL for Xero")
        shot(page, "01-keys-before")
        assert page.locator("input[name=subscribe_sandbox]").count() == 0
        sandbox_webhooks_subscribe(
            integration=integration, receiver_url=f"{live_server.url}/webhooks/xero/"
        )
        page.reload()
        shot(page, "02-keys-subscribed")
        integration.refresh_from_db()
        assert integration.xero_webhook_key
        assert integration.xero_webhook_key not in page.content()

        paid = httpx.post(
            f"{url}/_sandbox/xero/invoices/{xero_invoice['InvoiceID']}/pay",
            json={"amount": "250.00"},
        ).json()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not harvest_payments(sandbox, harvest_invoice):
            time.sleep(0.05)
        payments = harvest_payments(sandbox, harvest_invoice)
        assert [p["amount"] for p in payments] == [Decimal("250.00")]
        assert paid["PaymentID"] in payments[0]["notes"]

        page.goto(f"{live_server.url}/admin/syncapp/webhookevent/")
        shot(page, "03-inbox")
        event = WebhookEvent.objects.filter(status=WebhookEvent.Status.PROCESSED).first()
        page.goto(f"{live_server.url}/admin/syncapp/webhookevent/{event.pk}/change/")
        page.wait_for_selector("text=Payload (as Xero sent it)")
        shot(page, "04-event")
        page.goto(f"{live_server.url}/admin/syncapp/paymentledgerentry/")
        page.wait_for_selector("text=250.00 USD")
        shot(page, "05-payment-ledger")

        # A second payment Harvest cannot take: held, with the reason, and checked again later.
        sandbox.state.harvest.invoices[harvest_invoice["id"]]["state"] = "closed"
        httpx.post(
            f"{url}/_sandbox/xero/invoices/{xero_invoice['InvoiceID']}/pay",
            json={"amount": "10.00"},
        )
        page.wait_for_timeout(1500)
        page.goto(f"{live_server.url}/admin/syncapp/paymentledgerentry/?attention=yes")
        page.wait_for_selector("text=is closed (written off)")
        shot(page, "06-held-payment")
        page.check("input[name=_selected_action]")
        page.select_option("select[name=action]", "recheck")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist .success")
        shot(page, "07-recheck")

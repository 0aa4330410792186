"""Admin: the webhook inbox (status, payload, retry), the webhook keys page, the payment ledger."""

from __future__ import annotations

import pytest
from django.urls import reverse

from syncapp.models import Integration, SyncLink, WebhookEvent
from tests import factories

pytestmark = pytest.mark.django_db

SECRET_KEY = "whk-very-secret-key-9b1c4f"


@pytest.fixture
def queued(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "syncapp.flows.payments.webhooks.webhook_events_enqueue",
        lambda *, event_ids: calls.append(list(event_ids)),
    )
    return calls


@pytest.fixture
def failed_event():
    integration = factories.IntegrationFactory(xero_webhook_key=SECRET_KEY)
    return factories.WebhookEventFactory(
        integration=integration,
        status=WebhookEvent.Status.FAILED,
        error="HostUnavailable: Harvest answered 503",
        attempts=1,
        payload={"resourceId": "abc-123", "eventCategory": "INVOICE", "eventType": "UPDATE"},
    )


def test_inbox_shows_status_error_and_payload(client, admin_user, failed_event):
    client.force_login(admin_user)
    listing = client.get(reverse("admin:syncapp_webhookevent_changelist")).content.decode()
    assert "Failed" in listing
    page = client.get(reverse("admin:syncapp_webhookevent_change", args=[failed_event.pk]))
    body = page.content.decode()
    assert "HostUnavailable: Harvest answered 503" in body
    assert "&quot;resourceId&quot;: &quot;abc-123&quot;" in body
    assert "Process this event again" in body
    assert SECRET_KEY not in body


def test_retry_button_queues_the_event_again(client, failed_event, queued):
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    url = reverse("admin:syncapp_webhookevent_retry", args=[failed_event.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.RECEIVED
    assert failed_event.error == ""
    assert queued == [[failed_event.pk]]


def test_retry_action_on_the_list(client, admin_user, failed_event, queued):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:syncapp_webhookevent_changelist"),
        {"action": "retry_events", "_selected_action": [failed_event.pk]},
    )
    assert response.status_code == 302
    assert queued == [[failed_event.pk]]


def test_keys_page_says_set_or_not_set_and_never_shows_a_key(client, admin_user, failed_event):
    factories.IntegrationFactory(name="Without key")
    client.force_login(admin_user)
    url = reverse("admin:syncapp_webhookevent_keys")
    body = client.get(url).content.decode()
    assert SECRET_KEY not in body
    assert ">set<" in body and ">not set<" in body
    assert "/webhooks/xero/" in body

    other = Integration.objects.get(name="Without key")
    response = client.post(url, {"integration": other.pk, "key": "new-key-from-xero"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.xero_webhook_key == "new-key-from-xero"
    assert "new-key-from-xero" not in client.get(url).content.decode()
    integration_page = client.get(reverse("admin:syncapp_integration_change", args=[other.pk]))
    assert "new-key-from-xero" not in integration_page.content.decode()


def test_finance_cannot_open_the_keys_page(client):
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    assert client.get(reverse("admin:syncapp_webhookevent_keys")).status_code == 403


def test_payment_ledger_lists_payments_with_why_they_are_held(client):
    factories.PaymentLedgerEntryFactory(
        state=SyncLink.State.HELD,
        last_error="Harvest invoice 1001 is closed (written off)",
    )
    factories.SyncLinkFactory(label="INV-NOT-A-PAYMENT")
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    url = reverse("admin:syncapp_paymentledgerentry_changelist")
    body = client.get(url + "?attention=yes").content.decode()
    assert "is closed (written off)" in body
    assert "120.00 USD" in body
    assert "Xero → Harvest" in body
    assert "INV-NOT-A-PAYMENT" not in client.get(url).content.decode()


def test_finance_rechecks_a_held_payment_from_the_ledger(client, monkeypatch):
    from syncapp.models import SyncRun

    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")
    held = factories.PaymentLedgerEntryFactory(
        state=SyncLink.State.HELD, last_error="closed", attempts=4
    )
    synced = factories.PaymentLedgerEntryFactory(integration=held.integration)
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    response = client.post(
        reverse("admin:syncapp_paymentledgerentry_changelist"),
        {"action": "recheck", "_selected_action": [held.pk, synced.pk]},
        follow=True,
    )
    assert "Queued payments run" in response.content.decode()
    run = SyncRun.objects.get()
    assert (run.flow, run.trigger, run.requested_by.username) == ("payments", "manual", "fiona")
    held.refresh_from_db()
    assert held.attempts == 0

"""A signed Xero delivery with one bad event keeps the good ones (through the real view)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from syncapp.models import Connection, Integration, WebhookEvent
from tests.syncapp.test_webhooks_receiver import KEY, TENANT, post, sign

pytestmark = pytest.mark.django_db

GOOD = ("0b1c2d3e-aaaa-4bbb-8ccc-000000000001", "0b1c2d3e-aaaa-4bbb-8ccc-000000000003")
BAD_DATE = "0b1c2d3e-aaaa-4bbb-8ccc-000000000002"


def event(resource_id: str, date: str) -> dict:
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
        "resourceId": resource_id,
        "tenantId": TENANT,
        "tenantType": "ORGANISATION",
        "eventCategory": "INVOICE",
        "eventType": "UPDATE",
        "eventDateUtc": date,
    }


def deliver(client, events: list[dict]):
    body = json.dumps(
        {"events": events, "firstEventSequence": 1, "lastEventSequence": len(events)},
        separators=(",", ":"),
    ).encode()
    return post(client, body, sign(body))


@pytest.fixture
def integration():
    integration = Integration.objects.create(name="Webhooks", xero_webhook_key=KEY)
    Connection.objects.create(
        integration=integration, provider=Connection.Provider.XERO, account_id=TENANT
    )
    return integration


@pytest.fixture
def queued(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr(
        "syncapp.webhook_views.webhook_events_enqueue",
        lambda *, event_ids: calls.append(list(event_ids)),
    )
    return calls


def test_impossible_date_fails_that_event_alone_and_keeps_the_others(
    client, integration, queued
):
    response = deliver(
        client,
        [
            event(GOOD[0], "2026-11-25T08:00:00.123"),
            event(BAD_DATE, "2026-02-30T10:00:00"),
            event(GOOD[1], "2026-11-25T08:01:00"),
        ],
    )

    assert response.status_code == 200
    by_resource = {e.resource_id: e for e in WebhookEvent.objects.all()}
    assert set(by_resource) == {*GOOD, BAD_DATE}
    for resource_id in GOOD:
        good = by_resource[resource_id]
        assert good.status == WebhookEvent.Status.RECEIVED
        assert good.event_date is not None and good.error == ""
    bad = by_resource[BAD_DATE]
    assert bad.status == WebhookEvent.Status.FAILED
    assert bad.integration == integration  # so finance sees it under the integration and can retry
    assert bad.event_date is None
    assert "not a real date" in bad.error and "2026-02-30T10:00:00" in bad.error
    assert bad.payload["eventDateUtc"] == "2026-02-30T10:00:00"
    # Only the good events go to processing.
    assert [sorted(ids) for ids in queued] == [sorted(by_resource[r].pk for r in GOOD)]

    # The same delivery again (Xero retries) stores nothing twice.
    deliver(client, [event(BAD_DATE, "2026-02-30T10:00:00")])
    assert WebhookEvent.objects.count() == 3


@pytest.mark.parametrize("date", ["not a date", "2026-13-01T00:00:00", "12345", "2026-02-29"])
def test_unreadable_dates_are_each_a_failed_event_with_the_reason(
    client, integration, queued, date
):
    response = deliver(client, [event(GOOD[0], "2026-11-25T08:00:00"), event(BAD_DATE, date)])

    assert response.status_code == 200
    assert WebhookEvent.objects.get(resource_id=GOOD[0]).status == WebhookEvent.Status.RECEIVED
    bad = WebhookEvent.objects.get(resource_id=BAD_DATE)
    assert bad.status == WebhookEvent.Status.FAILED
    assert "not a real date" in bad.error


def test_nul_and_controls_in_an_event_are_cleaned_not_a_500(client, integration, queued):
    # PostgreSQL refuses NUL in the jsonb payload and the text columns: before, this 500'd
    # and the whole delivery was lost.
    nul = event(GOOD[0] + "\u0000", "2026-11-25T08:00:00")
    nul["tenantType"] = "ORGANI\u0000SATION\u0007"
    response = deliver(client, [nul, event(GOOD[1], "2026-11-25T08:01:00")])

    assert response.status_code == 200
    stored = WebhookEvent.objects.get(resource_id=GOOD[0])
    assert stored.status == WebhookEvent.Status.RECEIVED
    assert stored.payload["tenantType"] == "ORGANISATION "
    assert WebhookEvent.objects.get(resource_id=GOOD[1]).status == WebhookEvent.Status.RECEIVED


def test_the_failed_event_and_its_reason_show_in_the_admin(admin_client, integration, queued):
    deliver(admin_client, [event(BAD_DATE, "2026-02-30T10:00:00")])
    bad = WebhookEvent.objects.get()

    listing = admin_client.get(
        reverse("admin:syncapp_webhookevent_changelist"), {"status__exact": "failed"}
    )
    assert listing.status_code == 200
    assert BAD_DATE[:8] in listing.content.decode()
    page = admin_client.get(reverse("admin:syncapp_webhookevent_change", args=[bad.pk]))
    assert page.status_code == 200
    assert "not a real date" in page.content.decode()

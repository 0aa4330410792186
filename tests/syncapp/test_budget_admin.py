"""The integration page shows Xero's day to finance: calls today, the allowance, the projection,
and what waits for the allowance."""

import re
import time

import pytest
from django.urls import reverse

from syncapp.providers.clock import SimulatedClock
from syncapp.providers.governor import DatabaseBackend, DayBudget, governor_for_xero
from tests import factories

pytestmark = pytest.mark.django_db


def _spend(*, tenant: str, calls: int, remaining: int | None = None) -> None:
    """Calls made today by a worker, as the shared governor records them."""
    now = time.time()
    midnight = now // 86400 * 86400
    # spread over the day so far, so the projection extrapolates a known pace
    clock = SimulatedClock(start=midnight + 1)
    step = (now - midnight - 2) / calls
    governor = governor_for_xero(
        tenant_id=tenant,
        backend=DatabaseBackend(),
        clock=clock,
        budget=DayBudget(prior=1000),
        max_wait=float("inf"),
    )
    for n in range(calls):
        headers = {}
        if remaining is not None and n == calls - 1:
            headers = {"X-DayLimit-Remaining": str(remaining)}
        governor.release(governor.acquire(), status=200, headers=headers)
        clock.advance(step)


@pytest.fixture
def northwind():
    integration = factories.IntegrationFactory(name="Northwind")
    factories.ConnectionFactory(
        integration=integration, provider="xero", account_id="tenant-nw", account_name="Northwind"
    )
    return integration


@pytest.fixture
def finance_client(client):
    client.force_login(factories.UserFactory(username="fiona", finance=True))
    return client


def test_change_page_shows_calls_allowance_and_projection(finance_client, northwind):
    _spend(tenant="tenant-nw", calls=240)
    page = finance_client.get(reverse("admin:syncapp_integration_change", args=[northwind.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Calls so far today" in text and "<td>240</td>" in text
    assert "1,000 calls per rolling 24 hours (from the Xero tier)" in text
    assert "Projection for the day (at this pace)" in text
    projected = round(240 * 86400 / (time.time() % 86400))
    if time.time() % 86400 >= 3600:
        assert f"<td>{projected:,}</td>" in text or f"<td>{projected - 1:,}</td>" in text


def test_list_shows_the_learned_allowance_and_that_bulk_work_waits(finance_client, northwind):
    # Xero says 10 are left after 300 calls: the allowance is 310, bulk work's part is used up
    _spend(tenant="tenant-nw", calls=300, remaining=10)
    page = finance_client.get(reverse("admin:syncapp_integration_changelist"))
    text = page.content.decode()
    assert "300 today" in text and "allowance 310" in text
    assert "Xero&#x27;s daily allowance for Northwind is used up; resumes at " in text
    change = finance_client.get(reverse("admin:syncapp_integration_change", args=[northwind.pk]))
    assert "learned from Xero&#x27;s answers" in change.content.decode()


def test_change_page_says_how_fast_payments_arrive_with_and_without_webhooks(
    finance_client, northwind, settings
):
    settings.XERO_WEBHOOK_KEY = ""
    url = reverse("admin:syncapp_integration_change", args=[northwind.pk])
    text = finance_client.get(url).content.decode()
    assert "How fast payments arrive" in text
    assert "Payments reach Harvest within" in text and "with Xero webhooks it is seconds" in text

    northwind.xero_webhook_key = "a-webhook-key"
    northwind.save()
    text = finance_client.get(url).content.decode()
    assert "Payments reach Harvest within seconds through Xero webhooks" in text


def test_only_the_xero_connection_offers_a_tier(northwind, admin_client):
    factories.ConnectionFactory(integration=northwind, provider="harvest", account_id="77")
    url = reverse("admin:syncapp_integration_change", args=[northwind.pk])
    text = admin_client.get(url).content.decode()
    # The empty form for "add another" renders too; the two real rows are connections-0 and -1.
    rows = {
        name: kind
        for kind, name in re.findall(
            r'<(select|input type="hidden")[^>]*name="(connections-[01]-xero_tier)"', text
        )
    }
    assert sorted(rows.values()) == ['input type="hidden"', "select"]

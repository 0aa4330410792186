"""Cheap polls (issue 13): an idle poll costs about one Xero call, reads nothing twice, and a Xero
payment reaches Harvest by polling alone, within the cadence a Starter organisation affords."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.test import override_settings
from django.utils import timezone

from syncapp.models import SyncRun
from syncapp.services.polls import flow_poll_request
from syncapp.services.runs import sync_run_execute
from tests.flows.payments.helpers import harvest_payments, linked_invoice, xero_pay

pytestmark = pytest.mark.django_db

XERO = "/api.xero.com/api.xro/2.0"
HARVEST = "/api.harvestapp.com/v2"


class Recorder(httpx.BaseTransport):
    """The sandbox transport, remembering each API request with its If-Modified-Since header
    and the size of the body that came back."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str, str | None, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        if request.url.path.startswith((XERO, HARVEST)):
            self.requests.append(
                (
                    request.method,
                    request.url.path,
                    request.headers.get("If-Modified-Since"),
                    len(body),
                )
            )
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def to(self, prefix: str) -> list[tuple[str, str, str | None, int]]:
        return [r for r in self.requests if r[1].startswith(prefix)]


def run_now(integration, sandbox, flow: str, *, trigger=SyncRun.Trigger.SCHEDULE):
    recorder = Recorder(sandbox.transport)
    run = SyncRun.objects.create(integration=integration, flow=flow, trigger=trigger)
    run = sync_run_execute(run_id=run.pk, transport=recorder, clock=sandbox.clock)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return run, recorder


def test_an_idle_payments_poll_is_one_xero_call_and_reads_nothing_twice(
    sandbox, sandbox_integration
):
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("10.00"))
    sandbox.clock.advance(60)
    first, _ = run_now(sandbox_integration, sandbox, "payments")
    assert first.counters["payments"]["created"] == 1
    assert first.counters["payments"]["payments_swept"] is True  # never swept before

    sandbox.clock.advance(60)
    idle, recorder = run_now(sandbox_integration, sandbox, "payments")
    counters = idle.counters["payments"]
    ((method, path, since, size),) = recorder.to(XERO)
    assert (method, path) == ("GET", f"{XERO}/Invoices") and since  # If-Modified-Since sent
    assert recorder.to(HARVEST) == []
    assert counters["xero_calls"] == 1 and counters["harvest_calls"] == 0
    # The cursor moved to Xero's clock at the last read: the paid invoice is not read again.
    assert counters["xero_invoices_read"] == 0
    assert counters["payments_swept"] is False
    assert counters["xero_bytes_read"] == size > 0
    assert len(harvest_payments(sandbox, harvest_invoice)) == 1


def test_payments_are_swept_as_often_as_the_setting_says(sandbox, sandbox_integration):
    run_now(sandbox_integration, sandbox, "payments")
    with override_settings(PAYMENTS_SWEEP_MINUTES=0):
        swept, recorder = run_now(sandbox_integration, sandbox, "payments")
    assert swept.counters["payments"]["payments_swept"] is True
    assert [r[1] for r in recorder.to(XERO)] == [f"{XERO}/Invoices", f"{XERO}/Payments"]


def test_a_payment_deleted_in_xero_is_seen_by_the_one_call_poll(sandbox, sandbox_integration):
    from tests.flows.payments.helpers import xero_payment_delete

    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    payment = xero_pay(sandbox, xero_invoice, amount=Decimal("25.00"))
    run_now(sandbox_integration, sandbox, "payments")
    assert len(harvest_payments(sandbox, harvest_invoice)) == 1
    sandbox.clock.advance(60)
    xero_payment_delete(sandbox, sandbox_integration, payment["PaymentID"])
    sandbox.clock.advance(60)
    run, recorder = run_now(sandbox_integration, sandbox, "payments")
    assert [r[1] for r in recorder.to(XERO)] == [f"{XERO}/Invoices"]  # no /Payments sweep
    assert harvest_payments(sandbox, harvest_invoice) == []


def test_without_webhooks_a_xero_payment_reaches_harvest_at_the_next_poll(
    sandbox, sandbox_integration, monkeypatch
):
    monkeypatch.setattr("syncapp.services.runs.sync_run_enqueue", lambda *, run_id: "task")

    def poll() -> list[SyncRun]:
        runs = []
        for run_id in flow_poll_request(name="payments"):
            runs.append(sync_run_execute(run_id=run_id, transport=sandbox.transport))
        return runs

    assert not sandbox_integration.xero_webhook_key
    harvest_invoice, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    (first,) = poll()
    paid = xero_pay(sandbox, xero_invoice, amount=Decimal("30.00"))
    assert poll() == []  # not due yet: every 8 minutes keeps a Starter day inside its share
    SyncRun.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=8))
    (second,) = poll()
    assert second.status == SyncRun.Status.SUCCEEDED, second.error
    assert second.counters["payments"]["created"] == 1
    (mirrored,) = harvest_payments(sandbox, harvest_invoice)
    assert paid["PaymentID"].lower() in (mirrored["notes"] or "").lower()


def test_an_idle_contacts_poll_reads_xero_only_when_its_read_is_due(sandbox, sandbox_integration):
    run_now(sandbox_integration, sandbox, "contacts", trigger=SyncRun.Trigger.COMMAND)
    idle, recorder = run_now(sandbox_integration, sandbox, "contacts")
    assert recorder.to(XERO) == []
    assert idle.counters["contacts"]["xero_calls"] == 0
    assert idle.counters["contacts"]["xero_read"] is False
    assert all(since for _, _, since, _ in recorder.to(HARVEST)) is not None
    with override_settings(CONTACTS_XERO_POLL_MINUTES=0):
        due, recorder = run_now(sandbox_integration, sandbox, "contacts")
    ((method, path, since, _),) = recorder.to(XERO)
    assert (method, path) == ("GET", f"{XERO}/Contacts") and since
    # Asked for by hand (or by a Xero webhook), a run always reads Xero.
    manual, recorder = run_now(
        sandbox_integration, sandbox, "contacts", trigger=SyncRun.Trigger.MANUAL
    )
    assert len(recorder.to(XERO)) == 1


def test_an_idle_invoices_poll_makes_no_xero_call(sandbox, sandbox_integration):
    from django.db.models import F

    from syncapp.models import Cursor, SyncLink, XeroOrgCache

    run_now(sandbox_integration, sandbox, "all", trigger=SyncRun.Trigger.COMMAND)
    XeroOrgCache.objects.update(fetched_at=timezone.now() - timedelta(days=1))
    busy, recorder = run_now(sandbox_integration, sandbox, "invoices")
    # Invoices held in the seeded data are planned again at every poll, from the cached settings
    # however old: only new work (or the daily full read) pays for reading them again.
    assert busy.counters["invoices"]["held"] > 0 and "idle" not in busy.counters["invoices"]
    assert recorder.to(XERO) == []
    # A quiet ledger and nothing new in Harvest: the run plans nothing at all.
    SyncLink.objects.filter(state=SyncLink.State.HELD).delete()
    # As if the last poll ran ten minutes after the last change in Harvest (the sandbox seeded it
    # a moment ago): what is stamped up to the cursor was read then, and is not read again.
    Cursor.objects.filter(stream="harvest.invoices").update(
        updated_at=F("updated_at") + timedelta(minutes=10)
    )
    idle, recorder = run_now(sandbox_integration, sandbox, "invoices")
    assert recorder.to(XERO) == []
    assert idle.counters["invoices"]["idle"] is True
    assert [path for _, path, _, _ in recorder.to(HARVEST)] == [f"{HARVEST}/invoices"]


def test_bytes_read_are_counted_per_provider_in_the_run_counters(sandbox, sandbox_integration):
    run, recorder = run_now(sandbox_integration, sandbox, "contacts", trigger="command")
    counters = run.counters["contacts"]
    assert counters["xero_bytes_read"] == sum(r[3] for r in recorder.to(XERO)) > 0
    assert counters["harvest_bytes_read"] == sum(r[3] for r in recorder.to(HARVEST)) > 0


@pytest.mark.parametrize(
    ("path", "key"),
    [("/Invoices", "Invoices"), ("/Payments", "Payments"), ("/Contacts", "Contacts")],
)
def test_the_sandbox_honours_if_modified_since(sandbox, sandbox_integration, path, key):
    _, xero_invoice = linked_invoice(sandbox, sandbox_integration)
    xero_pay(sandbox, xero_invoice, amount=Decimal("5.00"))
    headers = {
        "Authorization": f"Bearer {sandbox.credentials['xero']['access_token']}",
        "xero-tenant-id": sandbox.credentials["xero"]["tenant_id"],
        "Accept": "application/json",
    }
    later = (sandbox.clock.now() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    earlier = (sandbox.clock.now() - timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with httpx.Client(transport=sandbox.transport, base_url="http://sandbox") as http:
        before = http.get(XERO + path, headers={**headers, "If-Modified-Since": earlier})
        after = http.get(XERO + path, headers={**headers, "If-Modified-Since": later})
    assert before.status_code == after.status_code == 200
    assert before.json()[key] and after.json()[key] == []


def test_a_scheduled_run_refreshes_xero_settings_daily_a_run_by_hand_six_hourly(
    sandbox_integration,
):
    from syncapp.flows.base import FlowContext, RunRecorder
    from syncapp.flows.invoices.runner import settings_max_age

    def max_age(trigger):
        run = SyncRun.objects.create(
            integration=sandbox_integration, flow="invoices", trigger=trigger
        )
        ctx = FlowContext(run=run, harvest=None, xero=None, recorder=RunRecorder(run=run))
        return settings_max_age(ctx)

    assert max_age(SyncRun.Trigger.SCHEDULE) == timedelta(hours=24)
    assert max_age(SyncRun.Trigger.MANUAL) == timedelta(hours=6)
    with override_settings(XERO_SETTINGS_POLL_MAX_AGE_HOURS=12):
        assert max_age(SyncRun.Trigger.SCHEDULE) == timedelta(hours=12)

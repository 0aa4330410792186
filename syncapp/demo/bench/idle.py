"""`manage.py bench idle --hours 24 --webhooks on|off`: what a quiet day costs in Xero calls.

One integration on the in-process sandbox, with Xero's real limits on (a Starter organisation:
1,000 calls a day by default), is synced once, then left alone for `--hours` of simulated time:
the real schedule entry (`services.polls.flows_poll`) fires every simulated minute and the runs
it asks for are executed at once, in this process. A handful of payments are made in Xero at
random times; with webhooks on, each is delivered, signed, to hxsync's own receiver view and
processed as the webhook task would; off, only the polls find them. Latency is simulated time
from the payment to the Harvest payment, each run advancing the clock by the real time it took.

The first sync is not counted; the day starts an hour later with a fresh allowance (its first
payments poll still reads back once what that sync wrote in Xero in the same seconds). Webhook
latency is hxsync's part only: Xero's own delay before it delivers is not simulated.

Counted at the transport (every request hxsync sends): Xero Accounting API calls, Harvest calls,
bytes read, and day-limit 429s; the runs' own counters are reported beside them as a check.
Nothing is left behind: the integration (and its ledger rows) is deleted at the end.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

from syncapp.demo.bench._idle_rig import Meter, SimTime, idle_rig, simulated_django_time

HELP = "A quiet day: Xero calls, bytes read and payment latency by polling or webhooks"
DAY_LIMITS = {"starter": 1000, "standard": 5000}


def add_arguments(parser) -> None:
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours of idling")
    parser.add_argument("--webhooks", choices=("on", "off"), default="off")
    parser.add_argument("--payments", type=int, default=6, help="payments made in Xero")
    parser.add_argument("--tier", choices=sorted(DAY_LIMITS), default="starter")
    parser.add_argument("--seed", type=int, default=0)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Day:
    """The integration, its sandbox and the payments made during the day."""

    def __init__(self, *, rig, integration, sim: SimTime, meter: Meter) -> None:
        self.rig, self.integration, self.sim, self.meter = rig, integration, sim, meter
        self.deliveries: list[tuple[bytes, dict]] = []
        self.outstanding: dict[str, tuple[int, float]] = {}  # PaymentID -> (Harvest id, paid at)
        self.latencies: list[float] = []
        self.verbose = False

    def execute(self, run_id: int) -> None:
        from syncapp.services.runs import sync_run_execute

        started = time.perf_counter()
        finished = sync_run_execute(run_id=run_id, transport=self.meter, clock=self.sim)
        if self.verbose and finished is not None:
            counters = finished.counters or {}
            spent = {
                name: (
                    (counters.get(name) or {}).get("xero_calls"),
                    (counters.get(name) or {}).get("xero_bytes_read"),
                    (counters.get(name) or {}).get("harvest_calls"),
                )
                for name in counters.get("flows_run", [])
            }
            _log(f"  {self.sim.now():%H:%M:%S} {finished.trigger} {finished.status} {spent}")
        # The run took real time: the simulated day moves on by as much.
        self.sim.sleep(time.perf_counter() - started)
        self.arrivals_check()

    def execute_queued(self) -> None:
        from syncapp.models import SyncRun

        done: set[int] = set()
        for _ in range(5):  # a run may ask for another (contacts -> invoices for those clients)
            queued = [
                pk
                for pk in SyncRun.objects.filter(
                    integration=self.integration, status=SyncRun.Status.QUEUED
                )
                .order_by("pk")
                .values_list("pk", flat=True)
                if pk not in done
            ]
            if not queued:
                return
            for pk in queued:
                done.add(pk)
                self.execute(pk)

    def arrivals_check(self) -> None:
        invoices = self.rig.state.harvest.invoices
        for payment_id, (harvest_id, paid_at) in list(self.outstanding.items()):
            notes = " ".join(p.get("notes") or "" for p in invoices[harvest_id]["_payments"])
            if payment_id.lower() in notes.lower():
                self.latencies.append(self.sim.time() - paid_at)
                del self.outstanding[payment_id]

    def pay(self, *, harvest_id: int, xero_id: str) -> None:
        """Finance records a payment in Xero (the sandbox's control, not hxsync's calls)."""
        import httpx

        from syncapp.demo.sandbox_rig import SANDBOX_URL

        with httpx.Client(transport=self.rig.transport, base_url=SANDBOX_URL) as http:
            paid = http.post(f"/_sandbox/xero/invoices/{xero_id}/pay", json={}).json()
        self.outstanding[paid["PaymentID"]] = (harvest_id, self.sim.time())
        self.webhooks_deliver()

    def webhooks_deliver(self) -> None:
        """Xero's signed deliveries to hxsync's receiver view; the events are then processed
        as the webhook task would, in this process."""
        from django.test import Client

        import syncapp.webhook_views as views
        from syncapp.services.webhook_runs import webhook_events_process

        deliveries, self.deliveries = self.deliveries, []
        if not deliveries:
            return
        received: list[int] = []
        saved = views.webhook_events_enqueue
        views.webhook_events_enqueue = lambda *, event_ids: received.extend(event_ids)
        try:
            client = Client(HTTP_HOST=_allowed_host())
            for body, headers in deliveries:
                answer = client.post(
                    "/webhooks/xero/",
                    data=body,
                    content_type="application/json",
                    headers={"x-xero-signature": headers["x-xero-signature"]},
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"the webhook receiver answered {answer.status_code}")
        finally:
            views.webhook_events_enqueue = saved
        if received:
            started = time.perf_counter()
            webhook_events_process(event_ids=received, transport=self.meter, clock=self.sim)
            self.sim.sleep(time.perf_counter() - started)
            self.arrivals_check()
        self.execute_queued()


def _allowed_host() -> str:
    from django.conf import settings

    for host in settings.ALLOWED_HOSTS:
        if host not in ("*", "") and not host.startswith("."):
            return host
    return "localhost"


def _linked_unpaid(*, state, integration, count: int) -> list[tuple[int, str]]:
    """(Harvest id, Xero id) of invoices hxsync sent, authorised and unpaid in Xero."""
    from syncapp.models import SyncKind, SyncLink

    pairs = []
    links = SyncLink.objects.filter(
        integration=integration, kind=SyncKind.INVOICE, xero_id__isnull=False
    ).order_by("pk")
    for harvest_id, xero_id in links.values_list("harvest_id", "xero_id"):
        xero = state.xero.invoices.get(xero_id.lower()) or state.xero.invoices.get(xero_id)
        harvest = state.harvest.invoices.get(int(harvest_id))
        if not xero or not harvest or harvest["state"] != "open" or harvest["_payments"]:
            continue
        if xero["Status"] == "AUTHORISED" and xero["AmountDue"] > 0:
            pairs.append((int(harvest_id), xero_id))
    return pairs[:count]


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 2)


def _counters_total(*, integration, since: datetime) -> dict[str, int]:
    from syncapp.models import SyncRun

    totals = {"xero_calls": 0, "harvest_calls": 0, "xero_bytes_read": 0, "runs": 0}
    for counters in SyncRun.objects.filter(
        integration=integration, created_at__gte=since
    ).values_list("counters", flat=True):
        totals["runs"] += 1
        for name in (counters or {}).get("flows_run", []):
            flow = counters.get(name) or {}
            for key in ("xero_calls", "harvest_calls", "xero_bytes_read"):
                totals[key] += int(flow.get(key) or 0)
    return totals


def run(
    *,
    hours: float = 24.0,
    webhooks: str = "off",
    payments: int = 6,
    tier: str = "starter",
    seed: int = 0,
    **_: Any,
) -> dict[str, Any]:
    from syncapp.demo.sandbox_rig import sandbox_integration_connect

    day_limit = DAY_LIMITS[tier]
    start = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rig = idle_rig(seed=seed, day_limit=day_limit, clock_start=start)
    sim, meter = SimTime(rig.clock), Meter(rig.transport)
    with simulated_django_time(sim):
        integration = sandbox_integration_connect(rig, name=f"bench-idle-{webhooks}-{seed}")
        try:
            return _run(
                rig=rig,
                integration=integration,
                sim=sim,
                meter=meter,
                hours=hours,
                webhooks=webhooks == "on",
                payments=payments,
                tier=tier,
                seed=seed,
            )
        finally:
            integration.delete()
            meter.close()


def _run(*, rig, integration, sim, meter, hours, webhooks, payments, tier, seed) -> dict[str, Any]:
    from syncapp.models import SyncRun
    from syncapp.sandbox.core.ratelimit import SlidingWindow
    from syncapp.sandbox.xero.webhooks import webhook_add_hook, webhook_configure
    from syncapp.services.polls import flows_poll

    integration.xero_invoice_status = integration.XeroInvoiceStatus.AUTHORISED
    integration.save(update_fields=["xero_invoice_status"])
    day = Day(rig=rig, integration=integration, sim=sim, meter=meter)
    if webhooks:
        key = "bench-idle-webhook-key"
        integration.xero_webhook_key = key
        integration.save(update_fields=["xero_webhook_key"])
        webhook_configure(rig.state.xero, url=None, key=key)
        webhook_add_hook(
            rig.state.xero, lambda body, headers: day.deliveries.append((body, headers))
        )
    _log("first sync (not counted)...")
    first = SyncRun.objects.create(
        integration=integration, flow=SyncRun.Flow.ALL, trigger=SyncRun.Trigger.COMMAND
    )
    day.execute(first.pk)
    day.execute_queued()
    first.refresh_from_db()
    pairs = _linked_unpaid(state=rig.state, integration=integration, count=payments)
    setup_calls = meter.xero_calls
    # The quiet day starts on the next day: a fresh allowance, every flow due at once.
    sim.advance_to(sim.time() + 3600)
    rig.app.limiters.xero._day = SlidingWindow(limit=DAY_LIMITS[tier], seconds=86400)
    meter.reset()
    began = sim.now()
    rng = random.Random(seed)  # noqa: S311 - benchmark timing, not crypto
    minutes = int(hours * 60)
    times = sorted(sim.time() + rng.uniform(0, minutes * 60 - 600) for _ in pairs)
    plan = list(zip(times, pairs, strict=True))
    origin = sim.time()
    _log(f"idling {hours:g} h with webhooks {'on' if webhooks else 'off'}...")
    for minute in range(minutes):
        tick = origin + minute * 60
        while plan and plan[0][0] <= tick:
            when, (harvest_id, xero_id) = plan.pop(0)
            sim.advance_to(when)
            day.pay(harvest_id=harvest_id, xero_id=xero_id)
        sim.advance_to(tick)
        flows_poll()
        day.execute_queued()
        if minute and minute % 240 == 0:
            _log(f"  {minute // 60} h: {meter.xero_calls} Xero calls")
    counters = _counters_total(integration=integration, since=began)
    return {
        "hours": hours,
        "webhooks": "on" if webhooks else "off",
        "tier": tier,
        "xero_day_limit": DAY_LIMITS[tier],
        "first_run_status": first.status,
        "first_sync_xero_calls": setup_calls,
        "xero_calls": meter.xero_calls,
        "harvest_calls": meter.harvest_calls,
        "xero_bytes_read": meter.xero_bytes,
        "harvest_bytes_read": meter.harvest_bytes,
        "payments": len(pairs),
        "payments_arrived": len(day.latencies),
        "payments_missed": len(day.outstanding),
        "payment_latency_p50_seconds": _percentile(day.latencies, 0.5),
        "payment_latency_p95_seconds": _percentile(day.latencies, 0.95),
        "payment_latency_max_seconds": _percentile(day.latencies, 1.0),
        "day_limit_429s": meter.day_limit_429s,
        "other_429s": meter.other_429s,
        "token_requests": meter.other_calls,
        "runs": counters["runs"],
        "counters_xero_calls": counters["xero_calls"],
        "counters_xero_bytes_read": counters["xero_bytes_read"],
        "sandbox_xero_calls_day": rig.app.limiters.xero._day.limit
        - rig.app.limiters.xero._day.remaining(
            key=rig.credentials["xero"]["tenant_id"], now=sim.time()
        ),
    }

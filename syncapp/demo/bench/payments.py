"""`manage.py bench payments`: latency from a Xero payment to the Harvest payment.

Everything runs as in the demo, over real loopback HTTP: the seeded sandbox is served on a free
port, hxsync's webhook receiver is served on another, the sandbox subscribes with the real
intent-to-receive handshake, and a real `qcluster` worker (the embedded default: ORM broker on
this install's database) processes the events. Each sample pays a linked invoice in the sandbox's
Xero and times until the Harvest payment exists. `--worker inline` replaces the worker process by
a thread that runs the task at once (the app's own share of the latency, without the broker's
0.5 s poll). Polling alone is timed as one fallback-poll run after each payment (webhooks off);
its latency is the wait for the next poll (the schedule fires each minute) plus that run.

Nothing is left behind: the benchmark's integration (and its ledger rows) is deleted at the end.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection
from django.utils import timezone

HELP = "Xero payment -> Harvest payment latency: webhook path (target < 5 s) and polling (< 60 s)"
WEBHOOK_TARGET_SECONDS = 5.0
POLL_TARGET_SECONDS = 60.0
# django_q.cluster.Sentinel.guard runs the scheduler once every 30 s of its loop.
SCHEDULER_GRANULARITY_SECONDS = 30.0


def add_arguments(parser) -> None:
    parser.add_argument("--samples", type=int, default=5, help="payments timed per path")
    parser.add_argument(
        "--worker",
        choices=("qcluster", "inline"),
        default="qcluster",
        help="a real qcluster process (default) or an in-process thread",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait per sample")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _serve(app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _quiet_werkzeug() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _integration_create(*, credentials: dict, base_url: str):
    from syncapp.models import Connection, Integration

    harvest, xero = credentials["harvest"], credentials["xero"]
    app = xero["oauth_apps"][0]
    integration = Integration.objects.create(
        name=f"bench payments {uuid.uuid4().hex[:8]}", default_account_code="200"
    )
    Connection.objects.create(
        integration=integration,
        provider=Connection.Provider.HARVEST,
        auth_method=Connection.AuthMethod.TOKEN,
        account_id=str(harvest["account_id"]),
        access_token=harvest["personal_access_token"],
        base_url=base_url,
    )
    Connection.objects.create(
        integration=integration,
        provider=Connection.Provider.XERO,
        auth_method=Connection.AuthMethod.OAUTH,
        account_id=xero["tenant_id"],
        access_token=xero["access_token"],
        refresh_token=xero["refresh_token"] or "",
        token_expires_at=timezone.now() + timedelta(seconds=int(xero["expires_in"] or 1800)),
        client_id=app["client_id"],
        client_secret=app["client_secret"] or "",
        base_url=base_url,
    )
    return integration


def _invoices_link(*, sandbox_state, integration, count: int) -> list[tuple[int, str]]:
    """Xero invoices for `count` open Harvest invoices, linked in the ledger: (harvest, xero)."""
    from syncapp.models import Connection, SyncKind, SyncLink
    from syncapp.providers.xero.factory import xero_client_for_connection

    harvest = sorted(
        (
            inv
            for inv in sandbox_state.harvest.invoices.values()
            if inv["state"] == "open" and not inv["_payments"] and inv["amount"] > 0
        ),
        key=lambda inv: inv["id"],
    )[:count]
    contact = next(
        c["ContactID"]
        for c in sandbox_state.xero.contacts.values()
        if c["ContactStatus"] == "ACTIVE"
    )
    today = timezone.now().date().isoformat()
    elements = [
        {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact},
            "Date": today,
            "DueDate": today,
            "InvoiceNumber": f"BENCH-{inv['number']}-{uuid.uuid4().hex[:4]}",
            "CurrencyCode": inv["currency"],
            "Status": "AUTHORISED",
            "LineAmountTypes": "NoTax",
            "LineItems": [
                {
                    "Description": "Benchmark",
                    "Quantity": Decimal("1"),
                    "UnitAmount": Decimal(str(inv["amount"])),
                    "AccountCode": "200",
                    "TaxType": "NONE",
                }
            ],
        }
        for inv in harvest
    ]
    xero_connection = integration.connections.get(provider=Connection.Provider.XERO)
    with xero_client_for_connection(connection=xero_connection) as xero:
        result = xero.create_invoices(invoices=elements, idempotency_key=f"bench-{uuid.uuid4()}")
    pairs = []
    for inv, record in zip(harvest, result.results, strict=True):
        if not record.ok:
            raise RuntimeError(f"benchmark invoice refused: {record.error_text}")
        SyncLink.objects.create(
            integration=integration,
            kind=SyncKind.INVOICE,
            harvest_id=str(inv["id"]),
            xero_id=record.xero_id,
            label=inv["number"],
            state=SyncLink.State.SYNCED,
        )
        pairs.append((inv["id"], record.xero_id))
    return pairs


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _worker_start(name: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "Q_CLUSTER_NAME": name, "Q_WORKERS": "1"}
    manage = Path(settings.BASE_DIR) / "manage.py"
    return subprocess.Popen(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, str(manage), "qcluster"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _worker_stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for_harvest_payment(sandbox_state, *, harvest_id: int, payment_id: str, timeout: float):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        payments = list(sandbox_state.harvest.invoices[harvest_id]["_payments"])
        if any(payment_id.lower() in (p.get("notes") or "").lower() for p in payments):
            return time.perf_counter()
        time.sleep(0.01)
    return None


def _summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "count": len(values),
        "min": round(ordered[0], 3),
        "median": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def run(*, samples: int = 5, worker: str = "qcluster", timeout: float = 60.0, **_) -> dict:
    _quiet_werkzeug()
    # `timeout`/kill send SIGTERM: unwind like Ctrl-C so the worker process is stopped too.
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run(samples=samples, worker=worker, timeout=timeout)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _run(*, samples: int, worker: str, timeout: float) -> dict:
    from django.core.wsgi import get_wsgi_application
    from django_q.conf import Conf

    from syncapp.flows.payments.schedule import poll_minutes
    from syncapp.models import SyncRun
    from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app
    from syncapp.sandbox.core.runner import sandbox_credentials
    from syncapp.sandbox.seed import seed_sandbox
    from syncapp.services.runs import sync_run_execute

    state = SandboxState.empty()
    seed_sandbox(state, seed=0)
    clock = SimClock()
    sandbox_app = build_sandbox_app(state, clock=clock, validate=False, rate_limits=True)
    sandbox_url, sandbox_server = _serve(sandbox_app)
    receiver_url, receiver_server = _serve(get_wsgi_application())
    credentials = sandbox_credentials(state=state, base_url=sandbox_url, clock=clock)
    integration = _integration_create(credentials=credentials, base_url=sandbox_url)
    cluster = f"hxsync-bench-{uuid.uuid4().hex[:8]}"
    saved_conf = (Conf.PREFIX, Conf.CLUSTER_NAME)
    proc = None
    restore_enqueue = None
    http = httpx.Client(base_url=sandbox_url, timeout=10.0)
    figures: dict = {"samples": samples, "worker": worker, "database": connection.vendor}
    try:
        pairs = _invoices_link(sandbox_state=state, integration=integration, count=2 * samples)
        webhook_pairs, poll_pairs = pairs[:samples], pairs[samples:]
        # Subscribe: take the key first (so the receiver knows it), then the URL (handshake).
        key = http.post("/_sandbox/xero/webhooks", json={}).json()["key"]
        integration.xero_webhook_key = key
        integration.save(update_fields=["xero_webhook_key"])
        started = time.perf_counter()
        subscription = http.post(
            "/_sandbox/xero/webhooks", json={"url": f"{receiver_url}/webhooks/xero/", "key": key}
        ).json()
        figures["intent_to_receive"] = {
            "status": subscription.get("status"),
            "seconds": round(time.perf_counter() - started, 3),
        }
        if worker == "qcluster":
            Conf.PREFIX = Conf.CLUSTER_NAME = cluster
            proc = _worker_start(cluster)
            figures["broker"] = "redis" if Conf.REDIS else "orm"
            figures["broker_poll_seconds"] = Conf.POLL
        else:
            restore_enqueue = _inline_enqueue()
        latencies, missed = [], 0
        for index, (harvest_id, xero_id) in enumerate(webhook_pairs):
            t0 = time.perf_counter()
            paid = http.post(f"/_sandbox/xero/invoices/{xero_id}/pay", json={}).json()
            # The first sample also waits for the worker process to start.
            wait = timeout + (30.0 if index == 0 and proc is not None else 0.0)
            t1 = _wait_for_harvest_payment(
                state, harvest_id=harvest_id, payment_id=paid["PaymentID"], timeout=wait
            )
            if t1 is None:
                missed += 1
                _log(f"webhook sample {index + 1}: no Harvest payment after {wait:.0f} s")
                if not latencies:
                    break  # nothing gets through (worker down, database locked): stop here
                continue
            if not (index == 0 and proc is not None):
                latencies.append(t1 - t0)
            _log(f"webhook sample {index + 1}: {t1 - t0:.3f} s")
        figures["webhook_latency_seconds"] = _summary(latencies)
        figures["webhook_missed"] = missed
        if proc is not None:
            figures["webhook_note"] = "first sample (worker start-up) excluded"
        # The Harvest payment exists a moment before its run settles the ledger and finishes.
        runs = SyncRun.objects.filter(integration=integration, trigger=SyncRun.Trigger.WEBHOOK)
        deadline = time.perf_counter() + 15
        while runs.exclude(status__in=SyncRun.FINISHED).exists() and time.perf_counter() < deadline:
            time.sleep(0.05)
        webhook_runs = runs.filter(status=SyncRun.Status.SUCCEEDED)
        calls = [r.counters.get("payments", {}) for r in webhook_runs]
        if calls:
            figures["calls_per_webhook_run"] = {
                "xero": round(statistics.mean(c.get("xero_calls", 0) for c in calls), 2),
                "harvest": round(statistics.mean(c.get("harvest_calls", 0) for c in calls), 2),
            }
        figures["webhook_target_seconds"] = WEBHOOK_TARGET_SECONDS
        worst = figures["webhook_latency_seconds"].get("max")
        figures["webhook_target_met"] = (
            bool(latencies) and not missed and worst < WEBHOOK_TARGET_SECONDS
        )

        # Polling alone: no more deliveries; each payment waits for the next poll run.
        http.post("/_sandbox/xero/webhooks", json={"url": None, "key": key})
        integration.xero_webhook_key = ""
        integration.save(update_fields=["xero_webhook_key"])
        interval = poll_minutes(integration=integration) * 60.0
        durations = []
        for harvest_id, xero_id in poll_pairs:
            paid = http.post(f"/_sandbox/xero/invoices/{xero_id}/pay", json={}).json()
            poll = SyncRun.objects.create(
                integration=integration, flow="payments", trigger=SyncRun.Trigger.SCHEDULE
            )
            t0 = time.perf_counter()
            sync_run_execute(run_id=poll.pk)
            seconds = time.perf_counter() - t0
            if _wait_for_harvest_payment(
                state, harvest_id=harvest_id, payment_id=paid["PaymentID"], timeout=0.5
            ):
                durations.append(seconds)
        run_summary = _summary(durations)
        figures["poll_interval_seconds"] = interval
        figures["poll_run_seconds"] = run_summary
        if durations:
            # django-q2's scheduler looks at due schedules every 30 s, so a poll due at t starts
            # between t and t+30 s: spacing 30..90 s around a 60 s mean. Mean wait for a random
            # payment = E[spacing^2] / (2 E[spacing]); worst = interval + granularity.
            granularity = SCHEDULER_GRANULARITY_SECONDS
            mean_wait = (interval**2 + 2 * granularity**2 / 12) / (2 * interval)
            figures["scheduler_granularity_seconds"] = granularity
            figures["poll_latency_seconds"] = {
                "expected_mean": round(mean_wait + run_summary["median"], 3),
                "worst": round(interval + granularity + run_summary["max"], 3),
            }
            figures["poll_target_seconds"] = POLL_TARGET_SECONDS
            figures["poll_target_met_on_average"] = (
                mean_wait + run_summary["median"] < POLL_TARGET_SECONDS
            )
            figures["poll_target_met_worst_case"] = (
                interval + granularity + run_summary["max"] < POLL_TARGET_SECONDS
            )
        figures["poll_missed"] = len(poll_pairs) - len(durations)
    finally:
        http.close()
        if proc is not None:
            _worker_stop(proc)
        if restore_enqueue is not None:
            restore_enqueue()
        Conf.PREFIX, Conf.CLUSTER_NAME = saved_conf
        if proc is not None:
            _queue_drop(cluster)
        receiver_server.shutdown()
        sandbox_server.shutdown()
        integration.delete()
    return figures


def _inline_enqueue():
    """Run the webhook task in a thread of this process instead of through the broker."""
    import syncapp.webhook_views as views
    from syncapp.services.webhook_runs import webhook_events_process

    original = views.webhook_events_enqueue

    def process(event_ids):
        from django.db import connections

        try:
            webhook_events_process(event_ids=event_ids)
        finally:
            connections.close_all()

    def enqueue(*, event_ids):
        threading.Thread(target=process, args=(list(event_ids),), daemon=True).start()

    views.webhook_events_enqueue = enqueue

    def restore():
        views.webhook_events_enqueue = original

    return restore


def _queue_drop(cluster: str) -> None:
    from django_q.models import OrmQ

    OrmQ.objects.filter(key=cluster).delete()

"""`manage.py bench invoices --count N`: seed N Harvest invoices in a fresh in-process sandbox,
sync them in one run, and report what hxsync cost.

The sandbox runs with contract validation and its own rate limits off (it must not be what is
measured); hxsync's own governor and retries run on a SimulatedClock, so the time Xero's limits
(60 calls a minute) would cost is counted (`simulated_wall_seconds`), not slept. Contacts are
pre-linked (one Xero contact per Harvest client, created in the sandbox and linked in the
ledger) so the figures do not depend on the contacts flow. Duplicates, lost invoices and totals
are checked against the sandbox's own stores, independently of hxsync's ledger.

With `--xero-day-limit N` the sandbox enforces Xero's limits itself (its day allowance set to N
per rolling 24 hours) on the same simulated clock: the run waits for the organisation's day
budget and is resumed when it is due (or asked for again) until everything is sent; the figures
add `simulated_days` and the 429s Xero gave (`day_limit_429s` must stay 0).
"""

from __future__ import annotations

import gc
import resource
import sys
import time
import tracemalloc
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from django.db import connection as db_connection
from django.test.utils import override_settings

from syncapp.demo.sandbox_rig import (  # noqa: F401 - re-exported for bench invoices_faults
    SANDBOX_URL,
    SandboxRig,
    sandbox_integration_connect,
    sandbox_rig,
)
from syncapp.models import Integration, SyncKind, SyncLink, SyncRun

HELP = "Seed N invoices in a fresh in-process sandbox and sync them in one run (simulated clock)."
# "closed" in Harvest is a write-off: never sent to Xero.
ELIGIBLE = {"open": ("open", "paid"), "draft": ("draft", "open", "paid")}


def add_arguments(parser) -> None:
    parser.add_argument("--count", type=int, default=1000, help="invoices to seed and sync")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the integration afterwards")
    parser.add_argument(
        "--xero-day-limit",
        type=int,
        default=0,
        help="the sandbox enforces this many Xero calls per rolling 24 hours (0: limits off)",
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="also trace hxsync's own memory (not the sandbox's) after each chunk; slower",
    )


def sandbox_rig_day_limited(*, seed: int, invoices: int | None, day_limit: int) -> SandboxRig:
    """A fresh sandbox that enforces every Xero and Harvest limit, Xero's day at `day_limit`."""
    from syncapp.sandbox import build_sandbox_app

    rig = sandbox_rig(seed=seed, invoices=invoices)
    app = build_sandbox_app(rig.state, clock=rig.clock, rate_limits=True)
    app.limiters.xero._day.limit = day_limit
    rig.app = app
    rig.transport = RateLimitCounter(httpx.WSGITransport(app=app))
    return rig


class RateLimitCounter(httpx.BaseTransport):
    """The sandbox's transport, counting the 429s it answers (by X-Rate-Limit-Problem)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.refused: dict[str, int] = {}

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        if response.status_code == 429:
            problem = response.headers.get("X-Rate-Limit-Problem", "harvest")
            self.refused[problem] = self.refused.get(problem, 0) + 1
        return response

    def close(self) -> None:
        self.inner.close()


def governor_reset(rig: SandboxRig) -> None:
    """Forget the shared rate state of the sandbox's accounts: a fresh sandbox starts with its
    quotas untouched (and an earlier benchmark's clock must not leak into this one)."""
    from syncapp.models import RateGovernorState

    keys = [
        f"xero:{rig.credentials['xero']['tenant_id']}",
        f"harvest:{rig.credentials['harvest']['account_id']}",
    ]
    RateGovernorState.objects.filter(key__in=keys).delete()


def contacts_prelink(*, state, integration: Integration) -> int:
    """One Xero contact per Harvest client, created in the sandbox's store (not through the
    API, so it costs no calls) and linked in the ledger as the contacts flow would."""
    from syncapp.sandbox.xero.contacts import contact_commit, contact_prepare
    from syncapp.sandbox.xero.doc_kinds import BatchContext

    ctx = BatchContext(now=datetime.now(tz=UTC))
    links = []
    for client in state.harvest.clients.values():
        base = {
            "Name": client["name"],
            "ContactNumber": f"HARVEST-{client['id']}",
            "DefaultCurrency": client.get("currency") or "USD",
        }
        prepared = contact_prepare(state.xero, base, ctx=ctx, allow_update=False)
        if prepared.errors:
            base["Name"] = f"{client['name']} (Harvest {client['id']})"
            prepared = contact_prepare(state.xero, base, ctx=ctx, allow_update=False)
        contact = contact_commit(state.xero, prepared, ctx=ctx)
        links.append(
            SyncLink(
                integration=integration,
                kind=SyncKind.CLIENT,
                harvest_id=str(client["id"]),
                xero_id=contact["ContactID"],
                label=client["name"],
                state=SyncLink.State.SYNCED,
            )
        )
    SyncLink.objects.bulk_create(links)
    return len(links)


def sandbox_invoices_verify(*, state, trigger: str = "open", prefix: str = "") -> dict[str, Any]:
    """Compare Harvest's invoices with what Xero holds, from the sandbox's own stores."""
    harvest = state.harvest.invoices
    by_number = {f"{prefix}{inv['number']}".lower(): inv_id for inv_id, inv in harvest.items()}
    docs: dict[int, list[dict]] = {}
    for record in state.xero.invoices.values():
        if record.get("Type") != "ACCREC" or record.get("Status") in ("DELETED", "VOIDED"):
            continue
        url = record.get("Url") or ""
        if "/invoices/" not in url:
            continue
        harvest_id = int(url.rsplit("/", 1)[-1])
        docs.setdefault(harvest_id, []).append(record)
    for record in state.xero.credit_notes.values():
        number = (record.get("CreditNoteNumber") or "").lower()
        if record.get("Status") in ("DELETED", "VOIDED") or number not in by_number:
            continue
        docs.setdefault(by_number[number], []).append(record)
    # Numbers the seed deliberately used in Xero already: those invoices go to review.
    taken = {
        n.lower() for n in getattr(state.xero, "seed_info", {}).get("colliding_invoice_numbers", [])
    }
    collisions = [i for i, inv in harvest.items() if f"{prefix}{inv['number']}".lower() in taken]
    eligible = [
        i for i, inv in harvest.items() if inv["state"] in ELIGIBLE[trigger] and i not in collisions
    ]
    duplicates = sum(len(found) - 1 for found in docs.values() if len(found) > 1)
    lost = [i for i in eligible if i not in docs]
    mismatched = []
    for harvest_id, found in docs.items():
        invoice = harvest[harvest_id]
        sign = -1 if invoice["amount"] < 0 else 1
        total = Decimal(str(invoice["amount"])) * sign
        tax = (Decimal(str(invoice["tax_amount"])) + Decimal(str(invoice["tax2_amount"]))) * sign
        for record in found:
            if (record["Total"], record["TotalTax"]) != (total, tax):
                mismatched.append(harvest_id)
    return {
        "eligible": len(eligible),
        "number_collisions": len(collisions),
        "in_xero": len(docs),
        "duplicates": duplicates,
        "lost": len(lost),
        "lost_ids": lost[:20],
        "mismatched_totals": len(mismatched),
        "mismatched_ids": mismatched[:20],
    }


class SharedClock:
    """hxsync's simulated clock, shared with the sandbox: when hxsync's governor waits, the
    simulated Xero's minute window moves on too (its X-MinLimit-Remaining headers stay truthful).
    `slept` is the waiting counted instead of slept; `elapsed` is engine time plus that."""

    def __init__(self, sandbox_clock) -> None:
        self.sandbox_clock = sandbox_clock
        self.start = sandbox_clock.time()
        self.slept = 0.0

    def time(self) -> float:
        return self.sandbox_clock.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sandbox_clock.advance(seconds)
            self.slept += seconds

    @property
    def elapsed(self) -> float:
        return self.time() - self.start


class _QueryCounter:
    """Counts queries without keeping their SQL (which would itself grow the memory)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def _memory_trace(enabled: bool):
    """Memory held by hxsync (allocations with no sandbox frame) after each chunk of 500
    invoices: flat means it does not grow with the number of invoices."""
    samples: list[float] = []
    if not enabled:
        yield samples
        return
    from syncapp.flows.invoices import runner

    exclude = [
        tracemalloc.Filter(False, "*/syncapp/sandbox/*", all_frames=True),
        tracemalloc.Filter(False, tracemalloc.__file__),
    ]
    original = runner.InvoiceRun.chunk_process

    def observed(self, invoices):
        original(self, invoices)
        traced = tracemalloc.take_snapshot().filter_traces(exclude)
        samples.append(round(sum(s.size for s in traced.statistics("filename")) / 2**20, 1))

    tracemalloc.start(8)
    runner.InvoiceRun.chunk_process = observed
    try:
        yield samples
    finally:
        runner.InvoiceRun.chunk_process = original
        tracemalloc.stop()


def _day_figures(*, rig: SandboxRig, clock: SharedClock, passes: int) -> dict[str, Any]:
    refused = rig.transport.refused
    return {
        "xero_day_limit": rig.app.limiters.xero._day.limit,
        "simulated_days": round(clock.elapsed / 86400, 2),
        "passes": passes,
        "day_limit_429s": refused.get("daily", 0),
        "rate_limit_429s": sum(refused.values()),
        "xero_calls_total": sum(rig.app.limiters.xero.calls.values()),
    }


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def run_until_done(*, run_row: SyncRun, rig: SandboxRig, clock: SharedClock) -> tuple[SyncRun, int]:
    """Run it; while it waits for Xero's day budget, move the simulated clock to when it is due
    and run it again (a run that stopped instead of waiting is asked for again). Returns the
    last run and how many passes it took."""
    from syncapp.services.budget import connection_day_figures
    from syncapp.services.runs import sync_run_execute

    xero = run_row.integration.connections.get(provider="xero")
    passes = 0
    while True:
        passes += 1
        finished = sync_run_execute(run_id=run_row.pk, transport=rig.transport, clock=clock)
        run_row.refresh_from_db()
        finished = finished or run_row
        if run_row.status == SyncRun.Status.QUEUED and run_row.due_at is not None:
            clock.sleep(max(0.0, run_row.due_at.timestamp() - clock.time()) + 1)
            continue
        if "daily allowance" not in (run_row.error or "") or passes > 400:
            return finished, passes
        # Stopped for the day budget (no re-queueing here): ask again once it is due.
        figures = connection_day_figures(connection=xero, now=clock.time())
        print(f"pass {passes}: {figures.summary}", file=sys.stderr)
        clock.sleep(60.0 + max(0.0, _bulk_wait(xero=xero, now=clock.time())))
        run_row = SyncRun.objects.create(
            integration=run_row.integration, flow=run_row.flow, trigger=run_row.trigger
        )


def _bulk_wait(*, xero, now: float) -> float:
    from syncapp.providers.governor import governor_state_read
    from syncapp.providers.governor_state import day_report
    from syncapp.services.budget import xero_day_budget

    state = governor_state_read(key=f"xero:{xero.account_id}")
    return day_report(state, budget=xero_day_budget(tier=xero.xero_tier), now=now).bulk_wait


def run(
    *,
    count: int,
    seed: int = 0,
    keep: bool = False,
    trace_memory: bool = False,
    xero_day_limit: int = 0,
    **_: Any,
) -> dict[str, Any]:
    from syncapp.services.runs import sync_run_execute

    print(f"seeding {count} invoices...", file=sys.stderr)
    if xero_day_limit:
        rig = sandbox_rig_day_limited(seed=seed, invoices=count, day_limit=xero_day_limit)
    else:
        rig = sandbox_rig(seed=seed, invoices=count)
    integration = sandbox_integration_connect(rig, name=f"bench-invoices-{uuid.uuid4().hex[:8]}")
    try:
        contacts_prelink(state=rig.state, integration=integration)
        governor_reset(rig)
        clock = SharedClock(rig.clock)
        gc.collect()
        rss_before = _rss_mb()
        run_row = SyncRun.objects.create(
            integration=integration, flow=SyncRun.Flow.INVOICES, trigger=SyncRun.Trigger.COMMAND
        )
        print("syncing...", file=sys.stderr)
        started = time.perf_counter()
        counter = _QueryCounter()
        # As in production: with DEBUG on, Django would keep the text of the last 9,000 queries.
        with (
            override_settings(DEBUG=False),
            db_connection.execute_wrapper(counter),
            _memory_trace(trace_memory) as memory,
        ):
            if xero_day_limit:
                finished, passes = run_until_done(run_row=run_row, rig=rig, clock=clock)
            else:
                finished = sync_run_execute(run_id=run_row.pk, transport=rig.transport, clock=clock)
        engine_seconds = time.perf_counter() - started
        counters = (finished.counters or {}).get("invoices", {})
        verified = sandbox_invoices_verify(state=rig.state)
        invoices = len(rig.state.harvest.invoices)
        batches = max(1, -(-verified["in_xero"] // 50))
        return {
            "invoices": invoices,
            "eligible": verified["eligible"],
            "run_status": finished.status,
            "run_error": finished.error,
            "created": counters.get("created"),
            "skipped": counters.get("skipped"),
            "held": counters.get("held"),
            "failed": counters.get("failed"),
            "conflicts": counters.get("conflicts"),
            "xero_calls": counters.get("xero_calls"),
            "harvest_calls": counters.get("harvest_calls"),
            "xero_calls_per_invoice": round(
                (counters.get("xero_calls") or 0) / max(invoices, 1), 4
            ),
            "db_queries": counter.count,
            "db_queries_per_batch": round(counter.count / batches, 1),
            "engine_seconds": round(engine_seconds, 2),
            "simulated_wall_seconds": round(clock.elapsed, 1),
            "rate_limit_wait_seconds": round(clock.slept, 1),
            "peak_rss_mb": _rss_mb(),
            "rss_before_run_mb": rss_before,
            **(
                {
                    "hxsync_traced_mb_first_chunk": memory[0],
                    "hxsync_traced_mb_last_chunk": memory[-1],
                    "hxsync_traced_mb_max": max(memory),
                }
                if memory
                else {}
            ),
            "duplicates": verified["duplicates"],
            "lost": verified["lost"],
            "mismatched_totals": verified["mismatched_totals"],
            **(_day_figures(rig=rig, clock=clock, passes=passes) if xero_day_limit else {}),
        }
    finally:
        if not keep:
            integration.delete()

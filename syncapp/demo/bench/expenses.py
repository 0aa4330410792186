"""`manage.py bench expenses --count N [--faults 0.2 --seeds 10]`: N approved Harvest expenses,
with receipts, to Xero bills and spend money, and what it cost.

For each seed: a fresh in-process sandbox (contract validation and its own rate limits off;
hxsync's governor and retries run on a simulated clock shared with the sandbox, so Xero's minute
limit costs simulated time, not real time) holds exactly N planted expenses (_expenses_plant).
The integration sends Software to the company card (SPEND from account 095) and every other
category as bills, one per person per month (split at 10 receipts). The expenses flow runs
through the engine (`sync_run_execute`, as a worker would) and is asked for again, as the
schedule would, until nothing in the ledger is unsettled; with `--faults` that share of all
calls fail (429, 500, 503, timeouts, resets, and answers lost after Xero applied the write).
Then Xero's store is compared with Harvest's (_expenses_check), independently of the ledger, and
one more run without faults must write nothing.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from syncapp.demo.bench._expenses_check import expenses_verify, verified_ok
from syncapp.demo.bench._expenses_plant import expense_policies_set, expenses_plant
from syncapp.demo.bench.invoices import (
    SharedClock,
    governor_reset,
    sandbox_integration_connect,
    sandbox_rig,
)
from syncapp.models import SyncLink, SyncRun
from syncapp.providers.base import RetryPolicy

HELP = "N Harvest expenses with receipts to Xero bills and spend money (simulated clock, faults)."
FLOW = "expenses"
SETTLED = (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES)
DEFECTS = (
    "duplicates",
    "duplicate_attachments",
    "lost",
    "mismatched_totals",
    "wrong_mode",
    "receipts_missing",
    "misplaced_attachments",
)


def add_arguments(parser) -> None:
    parser.add_argument("--count", type=int, default=1000, help="expenses per seed")
    parser.add_argument("--faults", type=float, default=0.0, help="share of calls that fail")
    parser.add_argument("--seeds", type=int, default=1, help="fresh sandboxes, seeds 0..N-1")
    parser.add_argument("--max-runs", type=int, default=12, help="runs per seed at most")
    parser.add_argument(
        "--attempts",
        type=int,
        default=2,
        help="attempts per request under faults (2: many writes end unanswered, so the next "
        "run's repair is exercised, not only the client's retries)",
    )


class CallCounter(httpx.BaseTransport):
    """The sandbox's transport, counting what hxsync sent: calls per host, writes, uploads."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.xero = self.harvest = self.xero_writes = self.uploads = self.bytes_uploaded = 0

    def handle_request(self, request):
        path = request.url.path
        if "/api.xero.com/" in path:
            self.xero += 1
            if request.method in ("PUT", "POST"):
                self.xero_writes += 1
            if "/attachments/" in path.lower() and request.method in ("PUT", "POST"):
                self.uploads += 1
                self.bytes_uploaded += len(request.read())
        elif "harvest" in path:
            self.harvest += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _unsettled(integration) -> int:
    return SyncLink.objects.filter(
        integration=integration, state__in=(SyncLink.State.SENDING, SyncLink.State.FAILED)
    ).count()


def _run_once(*, integration, transport, clock: SharedClock, retry: RetryPolicy | None) -> SyncRun:
    """One run as a worker executes it; a run put back to wait for a rate limit is resumed
    once it is due (the clock moved there), as its one-off schedule would."""
    from syncapp.services.runs import sync_run_execute

    row = SyncRun.objects.create(
        integration=integration, flow=FLOW, trigger=SyncRun.Trigger.COMMAND
    )
    options = {"retry": retry} if retry is not None else {}
    for _ in range(50):
        sync_run_execute(run_id=row.pk, transport=transport, clock=clock, **options)
        row.refresh_from_db()
        if row.status != SyncRun.Status.QUEUED or row.due_at is None:
            break
        clock.sleep(max(0.0, row.due_at.timestamp() - clock.time()) + 1)
    return row


def expenses_sync(
    *, count: int, seed: int, rate: float, max_runs: int, attempts: int
) -> dict[str, Any]:
    from syncapp.flows.registry import flow_get
    from syncapp.sandbox.core.faults import FaultPlan

    flow_get(FLOW)  # a clear error when the expenses flow is not installed
    faults = FaultPlan(seed=seed, rate=0.0)
    rig = sandbox_rig(seed=seed, faults=faults)
    planted = expenses_plant(
        state=rig.state, count=count, seed=seed, today=datetime.now(tz=UTC).date()
    )
    integration = sandbox_integration_connect(
        rig, name=f"bench-expenses-{seed}-{uuid.uuid4().hex[:6]}"
    )
    try:
        modes = expense_policies_set(integration=integration, state=rig.state)
        governor_reset(rig)
        clock = SharedClock(rig.clock)
        calls = CallCounter(rig.transport)
        retry = RetryPolicy(max_attempts=attempts) if rate else None
        faults.rate = rate  # planting and connecting above are not under test
        statuses, errors = [], []
        for _ in range(max_runs):
            finished = _run_once(integration=integration, transport=calls, clock=clock, retry=retry)
            statuses.append(finished.status)
            if finished.error:
                errors.append(finished.error[:300])
            unsettled = _unsettled(integration)
            if finished.status in SETTLED and unsettled == 0:
                break
        faults.rate = 0.0
        xero_calls, writes = calls.xero, calls.xero_writes
        quiet = _run_once(integration=integration, transport=calls, clock=clock, retry=None)
        verified = expenses_verify(state=rig.state, modes=modes)
        return {
            "seed": seed,
            "expenses": len(planted.expense_ids),
            "receipts": planted.receipts,
            "runs": len(statuses),
            "run_statuses": statuses,
            "run_errors": errors[:5],
            "unsettled": unsettled,
            "faults_injected": len(faults.injected),
            "xero_calls": xero_calls,
            "xero_writes": writes,
            "rerun_xero_calls": calls.xero - xero_calls,
            "attachment_uploads": calls.uploads,
            "harvest_calls": calls.harvest,
            "bytes_uploaded": calls.bytes_uploaded,
            "rerun_status": quiet.status,
            "rerun_writes": calls.xero_writes - writes,
            "simulated_wall_seconds": round(clock.elapsed, 1),
            **verified,
        }
    finally:
        integration.delete()


@contextmanager
def _logs_aside():
    """Stdout carries the one JSON line: log lines go to stderr meanwhile, and only warnings
    and errors (one line per request is the worker log's job; here it would bury the figures)."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and h.stream is sys.stdout
    ]
    loggers = [logging.getLogger(name) for name in ("syncapp.providers", "syncapp.services.runs")]
    levels = [logger.level for logger in loggers]
    for handler in handlers:
        handler.setStream(sys.stderr)
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler in handlers:
            handler.setStream(sys.stdout)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def run(
    *,
    count: int,
    faults: float = 0.0,
    seeds: int = 1,
    max_runs: int = 12,
    attempts: int = 2,
    **_: Any,
) -> dict[str, Any]:
    with _logs_aside():
        return _run(count=count, faults=faults, seeds=seeds, max_runs=max_runs, attempts=attempts)


def _run(*, count: int, faults: float, seeds: int, max_runs: int, attempts: int) -> dict:
    results = []
    for seed in range(seeds):
        print(f"seed {seed}: {count} expenses, faults {faults}...", file=sys.stderr, flush=True)
        result = expenses_sync(
            count=count, seed=seed, rate=faults, max_runs=max_runs, attempts=attempts
        )
        print({k: v for k, v in result.items() if not k.endswith("_ids")}, file=sys.stderr)
        results.append(result)
    return summary(results, count=count, seeds=seeds, faults=faults)


def summary(results: list[dict[str, Any]], *, count: int, seeds: int, faults: float) -> dict:
    def total(key: str):
        return sum(r[key] for r in results)

    expenses = total("expenses")
    floor = sum(_floor(r) for r in results)
    return {
        "expenses": expenses,
        "expenses_per_seed": count,
        "seeds": seeds,
        "faults": faults,
        "bills": total("bills"),
        "bank_transactions": total("bank_transactions"),
        "attachments": total("attachments"),
        "xero_calls": total("xero_calls"),
        "xero_calls_per_expense": round(total("xero_calls") / max(expenses, 1), 3),
        "xero_calls_floor": floor,
        "xero_writes": total("xero_writes"),
        "attachment_uploads": total("attachment_uploads"),
        "harvest_calls": total("harvest_calls"),
        "bytes_uploaded": total("bytes_uploaded"),
        "attachment_bytes_stored": total("attachment_bytes_stored"),
        **{key: total(key) for key in DEFECTS},
        "unsettled": total("unsettled"),
        "runs_needed": [r["runs"] for r in results],
        "rerun_writes": total("rerun_writes"),
        "rerun_xero_calls": total("rerun_xero_calls"),
        "faults_injected": total("faults_injected"),
        "simulated_wall_seconds": round(total("simulated_wall_seconds"), 1),
        "passed": all(verified_ok(r) and r["unsettled"] == 0 for r in results),
    }


def _floor(result: dict[str, Any]) -> int:
    """One upload per receipt plus the documents' batched writes (50 to a call)."""
    batches = -(-result["bills"] // 50) + -(-result["bank_transactions"] // 50)
    return result["receipts_expected"] + batches

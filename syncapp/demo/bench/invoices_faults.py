"""`manage.py bench invoices_faults --count 1000 --seeds 10`: the full-size fault test.

For each seed: N invoices in a fresh sandbox where 20 % of all calls fail (429, 500, 503,
timeouts, resets, answers lost after the write), synced by consecutive runs until the ledger has
nothing unsettled (at most `--max-runs`); then Xero's store is compared with Harvest's: 0
duplicates, 0 lost invoices and every total equal is the pass condition. The CI version of this
is tests/flows/test_invoices_faults.py (fewer invoices).
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from syncapp.demo.bench.invoices import (
    SharedClock,
    contacts_prelink,
    governor_reset,
    sandbox_integration_connect,
    sandbox_invoices_verify,
    sandbox_rig,
)
from syncapp.models import SyncLink, SyncRun
from syncapp.providers.base import RetryPolicy

HELP = "Fault test at full size: N invoices, one call in five failing, for several seeds."


def add_arguments(parser) -> None:
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--max-runs", type=int, default=8)
    parser.add_argument(
        "--attempts",
        type=int,
        default=2,
        help="attempts per request before the client gives up (2: many writes end unanswered, "
        "so the next run's repair is exercised, not only the client's retries)",
    )


def faults_sync(
    *, count: int, seed: int, rate: float = 0.2, max_runs: int = 8, attempts: int = 2
) -> dict[str, Any]:
    from syncapp.sandbox.core.faults import FaultPlan
    from syncapp.services.runs import sync_run_execute

    faults = FaultPlan(seed=seed, rate=0.0)
    rig = sandbox_rig(seed=seed, invoices=count, faults=faults)
    integration = sandbox_integration_connect(rig, name=f"faults-{seed}-{uuid.uuid4().hex[:6]}")
    try:
        contacts_prelink(state=rig.state, integration=integration)
        faults.rate = rate  # the seeding and connecting above are not under test
        governor_reset(rig)
        clock = SharedClock(rig.clock)
        runs = []
        errors: list[str] = []
        for _ in range(max_runs):
            row = SyncRun.objects.create(
                integration=integration, flow=SyncRun.Flow.INVOICES, trigger=SyncRun.Trigger.COMMAND
            )
            finished = sync_run_execute(
                run_id=row.pk,
                transport=rig.transport,
                clock=clock,
                retry=RetryPolicy(max_attempts=attempts),
            )
            runs.append(finished.status)
            if finished.error:
                errors.append(finished.error)
            unsettled = SyncLink.objects.filter(
                integration=integration,
                state__in=(SyncLink.State.SENDING, SyncLink.State.FAILED),
            ).count()
            if finished.status == SyncRun.Status.SUCCEEDED and unsettled == 0:
                break
        faults.rate = 0.0
        verified = sandbox_invoices_verify(state=rig.state)
        return {
            "seed": seed,
            "runs": len(runs),
            "run_statuses": runs,
            "faults_injected": len(faults.injected),
            **{
                k: verified[k]
                for k in ("eligible", "in_xero", "duplicates", "lost", "mismatched_totals")
            },
            "unsettled": unsettled,
            "run_errors": errors,
        }
    finally:
        integration.delete()


def run(
    *, count: int, seeds: int, rate: float, max_runs: int, attempts: int = 2, **_: Any
) -> dict[str, Any]:
    results = []
    for seed in range(seeds):
        result = faults_sync(
            count=count, seed=seed, rate=rate, max_runs=max_runs, attempts=attempts
        )
        print(result, file=sys.stderr)
        results.append(result)
    return {
        "invoices": count,
        "seeds": seeds,
        "fault_rate": rate,
        "attempts_per_request": attempts,
        "runs_needed": [r["runs"] for r in results],
        "failed_runs": sum(
            1 for r in results for status in r["run_statuses"] if status != SyncRun.Status.SUCCEEDED
        ),
        "duplicates": sum(r["duplicates"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "mismatched_totals": sum(r["mismatched_totals"] for r in results),
        "max_runs_needed": max(r["runs"] for r in results),
        "faults_injected": sum(r["faults_injected"] for r in results),
        "passed": all(
            r["duplicates"] == 0 and r["lost"] == 0 and r["mismatched_totals"] == 0 for r in results
        ),
    }

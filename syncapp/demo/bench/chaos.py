"""`manage.py bench chaos --seeds 10 [--invoices 1000]`: the run discipline under real chaos.

For each seed and each numbering policy: a freshly seeded sandbox is served over loopback HTTP
from this process (one call in five failing: 429, 5xx, timeouts, resets, answers lost after the
write) and an integration is connected to it the way a person does (Harvest token, Xero OAuth).
Then, in waves, Harvest invoices are edited (through Harvest's API) and Xero invoices paid, and
concurrent triggers start as separate OS processes: "Sync now", the polls, `manage.py sync`, a
ledger resync, webhook events; finance resolves the contact reviews mid-way (which queues its own
run). Random worker processes are SIGKILLed at random points, and a replacement worker starts as
a django-q2 worker would. Then the system recovers by itself (the watchdog abandons the dead
runs, fault-free runs settle the ledger) and Xero's store is compared with Harvest's.

One JSON line: 0 duplicates, 0 lost, 0 mismatched totals and 0 runs left queued or running, and
every abandoned run taken over within the run timeout (plus one heartbeat and a lease poll), is
the pass condition; the exit code is 1 otherwise. The CI version is tests/demo/test_bench_chaos.py.

ARCHIVED_LINK, found by this benchmark: when finance links a contact review to an archived Xero
contact ("linking restores it"), an invoices run that gets the lease before the resolution's own
run sends the client's invoices to the still archived contact and Xero refuses them. The
resolution's run (contacts first: the contact is restored) now sends those refused invoices again
with the ones that waited. `--link-archived` makes finance link such matches.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.test.utils import override_settings

from mappings.models import ExpenseCategoryMapping
from syncapp.demo.bench._chaos_case import (
    FAULT_HOLD_SECONDS,
    Chaos,
    Options,
    served,
)
from syncapp.demo.bench._chaos_check import case_verify
from syncapp.models import Integration, SyncKind, SyncLink, SyncRun

HELP = "Concurrent triggers, 20 % faults, edits and SIGKILLed workers; then recovery and checks."
POLICIES = (Integration.NumberingPolicy.KEEP_HARVEST, Integration.NumberingPolicy.XERO)


def add_arguments(parser) -> None:
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--invoices", type=int, default=200, help="Harvest invoices per seed")
    parser.add_argument("--rate", type=float, default=0.2, help="share of calls that fail")
    parser.add_argument("--waves", type=int, default=3, help="waves of edits and triggers")
    parser.add_argument("--workers", type=int, default=4, help="trigger processes per wave")
    parser.add_argument("--kills", type=int, default=1, help="processes SIGKILLed per wave")
    parser.add_argument(
        "--timeout", type=int, default=5, help="HXSYNC_RUN_TIMEOUT_SECONDS for every process"
    )
    parser.add_argument(
        "--policy", choices=POLICIES, action="append", help="numbering policy (default: both)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the integrations and logs")
    parser.add_argument(
        "--link-archived",
        action="store_true",
        help="finance links reviews to archived Xero contacts too (reproduces ARCHIVED_LINK)",
    )


def ledger_explain(*, integration: Integration, verified: dict) -> dict[str, list]:
    """What hxsync's ledger says about each record the check found lost (state and reason)."""
    rows = SyncLink.objects.filter(integration=integration)
    invoices = rows.filter(harvest_id__in=[str(i) for i in verified["lost_ids"]])
    payments = rows.filter(
        kind=SyncKind.PAYMENT,
        xero_id__in=[v for p in verified["lost_payment_ids"] for v in (p, p.lower())],
    )
    return {
        "lost_in_ledger": [
            [link.kind, link.harvest_id, link.xero_id, link.state, link.last_error[:200]]
            for link in (*invoices, *payments)
        ]
    }


def chaos_case(*, seed: int, policy: str, opts: Options, logs: Path) -> dict[str, Any]:
    from syncapp.demo.bench.invoices import governor_reset
    from syncapp.demo.sandbox_connect import sandbox_connect
    from syncapp.demo.sandbox_rig import sandbox_rig
    from syncapp.sandbox.core.faults import FaultPlan

    started = time.monotonic()
    faults = FaultPlan(seed=seed, rate=0.0, hold_seconds=FAULT_HOLD_SECONDS)
    rig = sandbox_rig(seed=seed, invoices=opts.invoices, faults=faults)
    # Chaos is about contacts, invoices and payments. Without timesheets and expenses the cost
    # flows (journals, budget alerts) have nothing to read, so "everything" stays the size these
    # waves and their recovery target were made for; those flows have their own crash tests.
    rig.state.harvest.time_entries.clear()
    rig.state.harvest.expenses.clear()
    governor_reset(rig)
    with served(rig.app) as url:
        name = f"chaos {seed} {policy} {uuid.uuid4().hex[:6]}"
        integration = sandbox_connect(url=url, name=name)
        # Chaos is about contacts, invoices and payments; expenses (their own fault bench and
        # SIGKILL test) would only spend the organisation's minute limit on receipts here.
        Integration.objects.filter(pk=integration.pk).update(
            numbering_policy=policy, expense_mode=Integration.ExpenseMode.OFF
        )
        ExpenseCategoryMapping.objects.filter(integration=integration).update(
            mode=Integration.ExpenseMode.OFF
        )
        integration.refresh_from_db()
        logs.mkdir(parents=True, exist_ok=True)
        chaos = Chaos(rig, url, integration, random.Random(f"{seed}-{policy}"), opts, logs)
        try:
            faults.rate = opts.rate
            for number in range(opts.waves):
                chaos.wave(number)
            faults.rate = 0.0
            final = chaos.recover()
            verified = case_verify(
                state=rig.state, numbering=policy, xero_payment_ids=set(chaos.paid)
            )
            runs = SyncRun.objects.filter(integration=integration, dry_run=False)
            return {
                "seed": seed,
                "policy": policy,
                "runs": runs.count(),
                "statuses": dict(sorted(_count(runs.values_list("status", flat=True)).items())),
                "processes": chaos.procs,
                "killed": len(chaos.kills),
                "hung_workers": chaos.hung,
                **chaos.recoveries(),
                "stuck_runs": runs.filter(
                    status__in=(SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)
                ).count(),
                "final_runs": final,
                "unsettled": chaos.unsettled(),
                "harvest_edits": len(chaos.edited),
                "xero_payments": len(chaos.paid),
                "webhook_events": chaos.webhooks,
                "faults_injected": len(faults.injected),
                **verified,
                **ledger_explain(integration=integration, verified=verified),
                "seconds": round(time.monotonic() - started, 1),
            }
        finally:
            if not opts.keep:
                integration.delete()


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def chaos_figures(*, seeds: int, opts: Options) -> dict[str, Any]:
    logs = Path(tempfile.mkdtemp(prefix="hxsync-chaos-"))
    cases = []
    with override_settings(
        HXSYNC_RUN_TIMEOUT_SECONDS=opts.timeout, HXSYNC_RUN_HEARTBEAT_SECONDS=opts.heartbeat
    ):
        for seed in range(seeds):
            for policy in opts.policy or POLICIES:
                case = chaos_case(
                    seed=seed, policy=policy, opts=opts, logs=logs / f"{seed}-{policy}"
                )
                print(json.dumps(case, default=str), file=sys.stderr, flush=True)
                cases.append(case)
    figures = _summary(cases, seeds=seeds, opts=opts)
    if figures["passed"] and not opts.keep:
        shutil.rmtree(logs, ignore_errors=True)
    else:
        figures["worker_logs"] = str(logs)
    return figures


def _summary(cases: list[dict], *, seeds: int, opts: Options) -> dict[str, Any]:
    def total(key: str, rows=cases) -> int:
        return sum(r[key] for r in rows)

    recovery = [s for r in cases for s in r["recovery_seconds"]]
    keys = ("runs", "killed", "abandoned", "abandoned_recovered", "duplicates", "lost")
    per_policy = {
        policy: {
            k: total(k, [r for r in cases if r["policy"] == policy])
            for k in (*keys, "mismatched_totals", "stuck_runs")
        }
        for policy in opts.policy or POLICIES
    }
    figures = {
        "seeds": seeds,
        "invoices": opts.invoices,
        "fault_rate": opts.rate,
        "run_timeout_seconds": opts.timeout,
        **{k: total(k) for k in keys[:4]},
        "abandoned_silent": total("abandoned_silent"),
        "max_recovery_seconds": round(max(recovery), 2) if recovery else 0.0,
        "recovery_target_seconds": opts.recovery_target,
        "duplicates": total("duplicates"),
        "lost": total("lost"),
        "mismatched_totals": total("mismatched_totals"),
        "stuck_runs": total("stuck_runs"),
        "unsettled": total("unsettled"),
        "hung_workers": total("hung_workers"),
        "processes": total("processes"),
        "harvest_edits": total("harvest_edits"),
        "xero_payments": total("xero_payments"),
        "faults_injected": total("faults_injected"),
        "per_policy": per_policy,
        "seconds": round(sum(r["seconds"] for r in cases), 1),
    }
    figures["passed"] = (
        figures["duplicates"] == figures["lost"] == figures["mismatched_totals"] == 0
        and figures["stuck_runs"] == figures["unsettled"] == figures["hung_workers"] == 0
        and figures["abandoned_recovered"] == figures["abandoned"]
        and figures["max_recovery_seconds"] <= opts.recovery_target
    )
    return figures


def run(*, seeds: int, **options: Any) -> dict[str, Any]:
    opts = Options(**{k: v for k, v in options.items() if k in Options.__dataclass_fields__})
    figures = chaos_figures(seeds=seeds, opts=opts)
    if not figures["passed"]:
        # `manage.py bench` prints what run() returns and exits 0; a missed target must not.
        sys.stdout.write(json.dumps(figures, default=str) + "\n")
        sys.stdout.flush()
        raise SystemExit(1)
    return figures

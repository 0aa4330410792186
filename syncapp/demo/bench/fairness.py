"""`manage.py bench fairness --workers 2`: one large organisation and many small ones share a
few workers; how long do the small ones wait?

20 in-process sandboxes (one Harvest account and one Xero organisation each; one with 10,000
invoices, 19 with 100; sizes are flags), each with its own integration, contacts pre-linked as in
`bench invoices`, and an invoices run queued for each (the large one first). The sandboxes
enforce the real limits (Xero: 60 calls a minute per organisation; Harvest: 100 per 15 s), so
the large organisation must wait. Every request costs `--call-seconds` of simulated time.

The workers are simulated in this process: each takes the queued run that has been due the
longest and calls `sync_run_execute` on it, exactly as `sync_run_task` does in a qcluster, with
the clock a worker's run has (`WorkerClock`: it waits in place at most 15 s). A run that must
wait longer goes back to QUEUED with its `due_at` through the same re-queue path a real worker
takes, and the scheduler hands it out again once the simulated clock reaches it. Each worker
keeps its own time: a run executes from the moment its worker is free (the shared simulated
clock is set there), and the worker is busy until the run's last request. Runs of one
integration never overlap (one run per integration, re-queued only after its pass ended).

Figures: when the slowest small integration finished (`small_max_finish_seconds`, target under
120 s), when the large one finished, passes and re-queues, time slept in place, and what each
Xero organisation holds, checked in the sandboxes' own stores (`duplicates`, `lost`).
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from django.test.utils import override_settings

from syncapp.demo.bench.invoices import (
    SharedClock,
    contacts_prelink,
    governor_reset,
    sandbox_invoices_verify,
)
from syncapp.demo.sandbox_rig import SANDBOX_URL, SandboxRig, sandbox_integration_connect
from syncapp.models import Integration, SyncRun

HELP = (
    "One large and many small organisations share N simulated workers over the run queue; "
    "when do the small ones finish? (simulated clock)"
)
HARVEST_ACCOUNT_BASE = 2_000_000


def add_arguments(parser) -> None:
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--integrations", type=int, default=20, help="one large, the rest small")
    parser.add_argument("--large-invoices", type=int, default=10_000)
    parser.add_argument("--small-invoices", type=int, default=100)
    parser.add_argument(
        "--call-seconds", type=float, default=0.5, help="simulated time each request takes"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the integrations afterwards")


class TimedTransport(httpx.BaseTransport):
    """The sandbox's transport: each request costs simulated time; 429s are counted."""

    def __init__(self, inner: httpx.BaseTransport, *, clock, seconds: float) -> None:
        self.inner = inner
        self.clock = clock
        self.seconds = seconds
        self.refused = 0

    def handle_request(self, request):
        self.clock.advance(self.seconds)
        response = self.inner.handle_request(request)
        self.refused += response.status_code == 429
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class Org:
    rig: SandboxRig
    transport: TimedTransport
    integration: Integration
    large: bool
    run_id: int = 0
    passes: int = 0
    finished_at: float | None = None
    status: str = ""


@dataclass
class Queue:
    """Queued runs by the simulated time they became due; workers by when they are free."""

    ready: dict[int, float] = field(default_factory=dict)
    workers: list[float] = field(default_factory=list)

    def next_pick(self) -> tuple[int, int, float] | None:
        """(worker, run id, start time) of the next execution, or None when all is done."""
        if not self.ready:
            return None
        worker = min(range(len(self.workers)), key=self.workers.__getitem__)
        start = max(self.workers[worker], min(self.ready.values()))
        due = [run for run, at in self.ready.items() if at <= start]
        run_id = min(due, key=lambda run: (self.ready[run], run))
        del self.ready[run_id]
        return worker, run_id, start


def org_build(*, index: int, invoices: int, seed: int, clock, call_seconds: float) -> Org:
    from syncapp.sandbox import SandboxState, build_sandbox_app
    from syncapp.sandbox.core.runner import sandbox_credentials
    from syncapp.sandbox.seed import seed_sandbox

    state = SandboxState.empty()
    seed_sandbox(state, seed=seed + index, invoices=invoices)
    # One Harvest account each: the seed gives every sandbox the same account id.
    state.harvest.account_id = HARVEST_ACCOUNT_BASE + index
    app = build_sandbox_app(state, clock=clock, rate_limits=True)
    credentials = sandbox_credentials(state=state, base_url=SANDBOX_URL, clock=clock)
    transport = TimedTransport(httpx.WSGITransport(app=app), clock=clock, seconds=call_seconds)
    rig = SandboxRig(state, clock, app, transport, credentials)
    integration = sandbox_integration_connect(
        rig, name=f"bench-fairness-{index:02d}-{uuid.uuid4().hex[:6]}"
    )
    contacts_prelink(state=state, integration=integration)
    governor_reset(rig)
    _redis_governor_reset(rig)
    return Org(rig=rig, transport=transport, integration=integration, large=index == 0)


def _redis_governor_reset(rig: SandboxRig) -> None:
    """With REDIS_URL set the governor lives in Redis: forget an earlier run's windows there."""
    from syncapp.providers.governor import RedisBackend, default_backend

    backend = default_backend()
    if isinstance(backend, RedisBackend):
        keys = [
            f"xero:{rig.credentials['xero']['tenant_id']}",
            f"harvest:{rig.credentials['harvest']['account_id']}",
        ]
        backend.redis.delete(*(backend.PREFIX + key for key in keys))


def workers_drive(*, orgs: dict[int, Org], queue: Queue, sandbox_clock, t0: float) -> dict:
    """Hand queued runs to the simulated workers until every run has finished."""
    from syncapp.services.run_waits import WorkerClock
    from syncapp.services.runs import sync_run_execute

    shared = SharedClock(sandbox_clock)
    clock = WorkerClock(shared)
    requeues = 0
    while (pick := queue.next_pick()) is not None:
        worker, run_id, start = pick
        org = orgs[run_id]
        sandbox_clock.freeze(at=start)
        org.passes += 1
        sync_run_execute(run_id=run_id, transport=org.transport, clock=clock)
        end = sandbox_clock.time()
        queue.workers[worker] = end
        run = SyncRun.objects.get(pk=run_id)
        if run.status == SyncRun.Status.QUEUED and run.due_at is not None:
            requeues += 1
            queue.ready[run_id] = run.due_at.timestamp()
            continue
        org.finished_at, org.status = end - t0, run.status
        label = "large" if org.large else "small"
        print(f"{label} run #{run_id} {run.status} at {end - t0:.0f} s", file=sys.stderr)
    return {"requeues": requeues, "slept_in_place_seconds": round(shared.slept, 1)}


def run(
    *,
    workers: int = 2,
    integrations: int = 20,
    large_invoices: int = 10_000,
    small_invoices: int = 100,
    call_seconds: float = 0.5,
    seed: int = 0,
    keep: bool = False,
    **_: Any,
) -> dict[str, Any]:
    from django_q.models import Schedule

    from syncapp.sandbox import SimClock
    from syncapp.schedules import WAKE_PREFIX

    sandbox_clock = SimClock(frozen_at=datetime.now(tz=UTC))
    orgs: dict[int, Org] = {}
    print(f"seeding {integrations} sandboxes...", file=sys.stderr)
    built = [
        org_build(
            index=i,
            invoices=large_invoices if i == 0 else small_invoices,
            seed=seed,
            clock=sandbox_clock,
            call_seconds=call_seconds,
        )
        for i in range(integrations)
    ]
    t0 = sandbox_clock.time()
    queue = Queue(workers=[t0] * workers)
    for org in built:  # the large one is queued first
        org.run_id = SyncRun.objects.create(
            integration=org.integration,
            flow=SyncRun.Flow.INVOICES,
            trigger=SyncRun.Trigger.SCHEDULE,
        ).pk
        orgs[org.run_id] = org
        queue.ready[org.run_id] = t0
    started = time.perf_counter()
    try:
        with override_settings(DEBUG=False):
            driven = workers_drive(orgs=orgs, queue=queue, sandbox_clock=sandbox_clock, t0=t0)
        return _figures(
            orgs=orgs, driven=driven, workers=workers, wall=time.perf_counter() - started
        )
    finally:
        Schedule.objects.filter(
            name__in=[f"{WAKE_PREFIX}{run_id} resumes" for run_id in orgs]
        ).delete()
        if not keep:
            for org in built:
                org.integration.delete()


def _figures(*, orgs: dict[int, Org], driven: dict, workers: int, wall: float) -> dict[str, Any]:
    large = next(org for org in orgs.values() if org.large)
    small = [org for org in orgs.values() if not org.large]
    verified = [sandbox_invoices_verify(state=org.rig.state) for org in orgs.values()]
    return {
        "workers": workers,
        "integrations": len(orgs),
        "large_invoices": len(large.rig.state.harvest.invoices),
        "small_invoices": len(small[0].rig.state.harvest.invoices) if small else 0,
        "small_max_finish_seconds": round(max(org.finished_at for org in small), 1)
        if small
        else None,
        "small_median_finish_seconds": round(
            sorted(org.finished_at for org in small)[len(small) // 2], 1
        )
        if small
        else None,
        "large_finish_seconds": round(large.finished_at, 1),
        "large_passes": large.passes,
        "statuses": sorted({org.status for org in orgs.values()}),
        **driven,
        "rate_limit_429s": sum(org.transport.refused for org in orgs.values()),
        "in_xero": sum(v["in_xero"] for v in verified),
        "eligible": sum(v["eligible"] for v in verified),
        "duplicates": sum(v["duplicates"] for v in verified),
        "lost": sum(v["lost"] for v in verified),
        "wall_seconds": round(wall, 1),
    }

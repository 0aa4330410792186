"""The moving parts of `bench chaos` (see syncapp/demo/bench/chaos.py): its options, the
sandbox served over loopback, and `Chaos`, which runs one case: waves of edits, concurrent
trigger processes and SIGKILLs, then the recovery."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone

from syncapp.demo.bench._chaos_changes import Changes
from syncapp.models import Integration, SyncLink, SyncRun

TRIGGERS = (
    "everything",
    "poll:contacts",
    "poll:invoices",
    "poll:payments",
    "cli:invoices",
    "cli:all",
    "resync",
    "webhook",
)
FAULT_HOLD_SECONDS = 1.0  # a "timeout" or lost answer hangs this long, then the socket drops
WAVE_LIMIT_SECONDS = 300.0  # a wave's workers still alive after this are counted as hung
FINAL_RUNS = 6
LEASE_POLL_SECONDS = 0.5
DUE_WAIT_LIMIT = 90.0  # Xero's minute window, and some


@dataclass
class Options:
    invoices: int = 200
    rate: float = 0.2
    waves: int = 3
    workers: int = 4
    kills: int = 1
    timeout: int = 5
    keep: bool = False
    link_archived: bool = False
    policy: list[str] | None = None

    @property
    def heartbeat(self) -> float:
        return self.timeout / 5

    @property
    def recovery_target(self) -> float:
        # The dead run's last beat can be up to one heartbeat before the kill is noticed; the
        # waiting worker looks at the lease every LEASE_POLL_SECONDS; 1 s for a loaded machine.
        return self.timeout + self.heartbeat + LEASE_POLL_SECONDS + 1.0


def database_url() -> str:
    """This process's database as a URL, for the worker processes (the test database too)."""
    db = db_connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def served(app):
    from werkzeug.serving import make_server

    # Every injected reset or lost answer is logged by werkzeug with a traceback: by design.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Chaos(Changes):
    """One seed under one numbering policy: the sandbox, the integration, what was done."""

    rig: Any
    url: str
    integration: Integration
    rng: random.Random
    opts: Options
    logs: Path
    kills: list[datetime] = field(default_factory=list)
    procs: int = 0
    hung: int = 0
    edited: set[int] = field(default_factory=set)
    paid: dict[str, str] = field(default_factory=dict)  # Xero payment id -> Xero invoice id
    webhooks: int = 0

    # -- processes ---------------------------------------------------------------------------

    def spawn(self, trigger: str, arg: str = "") -> subprocess.Popen:
        kind, _, flow = trigger.partition(":")
        if kind == "cli":
            manage = Path(settings.BASE_DIR) / "manage.py"
            args = ["sync", flow, "--integration", str(self.integration.pk), "--wait", "60"]
            command = [sys.executable, str(manage), *args]
        else:
            module = "syncapp.demo.bench._chaos_worker"
            command = [sys.executable, "-m", module, kind, str(self.integration.pk), flow or arg]
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "HXSYNC_RUN_TIMEOUT_SECONDS": str(self.opts.timeout),
            "HXSYNC_RUN_HEARTBEAT_SECONDS": str(self.opts.heartbeat),
        }
        self.procs += 1
        log = open(self.logs / f"{self.procs:03d}-{kind}-{flow}.log", "w")  # noqa: SIM115
        with log:
            return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wave(self, number: int) -> None:
        edited = self.harvest_edit(count=max(2, self.opts.invoices // 25), wave=number)
        events = self.xero_pay(count=max(1, self.opts.invoices // 50))
        procs = []
        if number == 1:
            self.reviews_resolve()  # queues a run for the clients it released
            procs.append(self.spawn("drain"))
        triggers = self.rng.sample(TRIGGERS, k=min(self.opts.workers, len(TRIGGERS)))
        if number == 0:
            triggers[0] = "everything"
        for trigger in triggers:
            arg = ""
            if trigger == "resync":
                arg = ",".join(str(i) for i in edited)
            elif trigger == "webhook":
                arg = ",".join(str(i) for i in events)
            procs.append(self.spawn(trigger, arg))
            time.sleep(self.rng.uniform(0, 0.5))
        spawned = time.monotonic()
        # Django starts in about a second: kills land at any point from then on.
        for delay in sorted(self.rng.uniform(0.8, 6.0) for _ in range(self.opts.kills)):
            time.sleep(max(0.0, spawned + delay - time.monotonic()))
            alive = [p for p in procs if p.poll() is None]
            if alive:
                os.kill(self._victim(alive).pid, signal.SIGKILL)
                self.kills.append(timezone.now())
                procs.append(self.spawn("everything"))  # what the next worker or poll does
        deadline = time.monotonic() + WAVE_LIMIT_SECONDS
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self.hung += 1

    def _victim(self, alive: list[subprocess.Popen]) -> subprocess.Popen:
        """Any live worker; two times in three the one writing, if a worker is (workers tag the
        run they perform), so most kills land mid-run rather than in a wait."""
        tags = set(
            SyncRun.objects.filter(
                integration=self.integration, status=SyncRun.Status.RUNNING
            ).values_list("task_id", flat=True)
        )
        writing = [p for p in alive if f"chaos-pid-{p.pid}" in tags]
        if writing and self.rng.random() < 2 / 3:
            return self.rng.choice(writing)
        return self.rng.choice(alive)

    # -- recovery ----------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """The watchdog closes the dead runs; fault-free runs then settle the ledger."""
        from syncapp.services.runs import runs_watchdog, sync_run_execute, sync_run_request

        runs = SyncRun.objects.filter(integration=self.integration)
        deadline = time.monotonic() + 3 * self.opts.timeout + 10
        while runs.filter(status=SyncRun.Status.RUNNING).exists():
            if time.monotonic() > deadline:
                break
            runs_watchdog()
            time.sleep(0.3)
        statuses = []
        for _ in range(FINAL_RUNS):
            self.due_wait()
            queued = runs.filter(status=SyncRun.Status.QUEUED).order_by("created_at")
            for run_id in list(queued.values_list("pk", flat=True)):
                sync_run_execute(run_id=run_id, wait_seconds=2 * self.opts.timeout)
            run, _ = sync_run_request(integration=self.integration, trigger=SyncRun.Trigger.MANUAL)
            finished = sync_run_execute(run_id=run.pk, wait_seconds=2 * self.opts.timeout)
            statuses.append(finished.status if finished else "not started")
            # Reviews the contacts run opened are resolved as finance would; their release
            # queues the run that sends what waited for them (performed on the next turn).
            reviewed = self.reviews_resolve()
            settled = not self.unsettled() and not reviewed
            if finished and finished.status == SyncRun.Status.SUCCEEDED and settled:
                break
        return statuses

    def due_wait(self) -> None:
        """Runs that gave their worker back to wait for a rate limit start at `due_at` (a
        schedule wakes them in production): the benchmark, their worker now, waits for it."""
        from django.db.models import Min

        due = (
            SyncRun.objects.filter(integration=self.integration, status=SyncRun.Status.QUEUED)
            .filter(due_at__gt=timezone.now())
            .aggregate(first=Min("due_at"))["first"]
        )
        if due is not None:
            wait = (due - timezone.now()).total_seconds() + 0.1
            time.sleep(max(0.0, min(DUE_WAIT_LIMIT, wait)))

    def unsettled(self) -> int:
        return SyncLink.objects.filter(
            integration=self.integration,
            state__in=(SyncLink.State.SENDING, SyncLink.State.FAILED, SyncLink.State.PENDING),
        ).count()

    def recoveries(self) -> dict[str, Any]:
        """For each run abandoned after a kill: from the kill to the next run taking the lease
        over. A run abandoned with no kill behind it was alive but silent for longer than the
        timeout (a long rate-limit wait); it stopped on its next beat (LeaseLost) and is counted
        apart."""
        runs = SyncRun.objects.filter(integration=self.integration, dry_run=False)
        done = (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES)
        seconds, recovered, silent = [], 0, 0
        for dead in runs.filter(status=SyncRun.Status.ABANDONED):
            last = dead.heartbeat_at or dead.started_at
            later = runs.filter(started_at__gt=last).exclude(pk=dead.pk).order_by("started_at")
            if later.filter(status__in=done).exists():
                recovered += 1
            kill = min((k for k in self.kills if k >= last), default=None)
            if kill is None or (kill - last).total_seconds() > self.opts.timeout:
                silent += 1
                continue
            taken = later.first()
            if taken is not None:
                seconds.append((taken.started_at - kill).total_seconds())
        return {
            "abandoned": runs.filter(status=SyncRun.Status.ABANDONED).count(),
            "abandoned_silent": silent,
            "abandoned_recovered": recovered,
            "recovery_seconds": [round(s, 2) for s in sorted(seconds)],
        }

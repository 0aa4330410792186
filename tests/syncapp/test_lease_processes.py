"""One writer per integration, proved with real processes: two workers never write to one
integration at once, and a worker killed with SIGKILL leaves a run that is abandoned (with the
reason) and a lease the next run takes over."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.test import override_settings

from syncapp.models import Connection, IntegrationLease, SyncRun
from tests.factories import ConnectionFactory, IntegrationFactory
from tests.syncapp.test_worker_process import current_database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 3  # seconds of silence after which a run is abandoned, in these tests
FAST = {"HXSYNC_RUN_TIMEOUT_SECONDS": str(TIMEOUT), "HXSYNC_RUN_HEARTBEAT_SECONDS": "0.5"}


def connected_integration():
    integration = IntegrationFactory(name="Northwind")
    ConnectionFactory(integration=integration, provider=Connection.Provider.HARVEST)
    ConnectionFactory(integration=integration, provider=Connection.Provider.XERO)
    return integration


def start(run: SyncRun, *, seconds: float, wait: float) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(), **FAST}
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.syncapp.lease_worker", str(run.pk), str(seconds), str(wait)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 60) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def wait_for_status(run: SyncRun, status: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == status:
            return
        time.sleep(0.05)
    pytest.fail(f"run #{run.pk} stayed {run.status}, expected {status}")


def test_two_processes_write_one_after_the_other():
    integration = connected_integration()
    first = SyncRun.objects.create(integration=integration, flow="contacts")
    second = SyncRun.objects.create(integration=integration, flow="contacts")
    procs = [start(first, seconds=1.5, wait=30), start(second, seconds=1.5, wait=30)]
    results = [finish(p) for p in procs]
    assert {r["status"] for r in results} == {"succeeded"}
    runs = sorted(SyncRun.objects.filter(pk__in=[first.pk, second.pk]), key=lambda r: r.started_at)
    # Never side by side: the later one started after the earlier one had finished.
    assert runs[1].started_at >= runs[0].finished_at
    assert IntegrationLease.objects.get(integration=integration).run_id is None


def test_a_dry_run_needs_no_lease_and_runs_beside_a_writer():
    integration = connected_integration()
    writer = SyncRun.objects.create(integration=integration, flow="contacts")
    preview = SyncRun.objects.create(integration=integration, flow="contacts", dry_run=True)
    procs = [start(writer, seconds=2, wait=30)]
    wait_for_status(writer, SyncRun.Status.RUNNING)
    procs.append(start(preview, seconds=0.2, wait=0))
    assert [finish(p)["status"] for p in procs] == ["succeeded", "succeeded"]
    writer.refresh_from_db()
    preview.refresh_from_db()
    assert preview.finished_at < writer.finished_at


@override_settings(HXSYNC_RUN_TIMEOUT_SECONDS=TIMEOUT, HXSYNC_RUN_HEARTBEAT_SECONDS=0.5)
def test_sigkill_mid_run_is_abandoned_and_the_next_run_takes_over():
    integration = connected_integration()
    doomed = SyncRun.objects.create(integration=integration, flow="contacts")
    victim = start(doomed, seconds=60, wait=0)
    wait_for_status(doomed, SyncRun.Status.RUNNING)
    time.sleep(1)  # it is writing: events and heartbeats
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    killed_at = time.monotonic()

    follower = SyncRun.objects.create(integration=integration, flow="contacts")
    assert finish(start(follower, seconds=0.5, wait=30))["status"] == "succeeded"
    recovered_in = time.monotonic() - killed_at

    doomed.refresh_from_db()
    follower.refresh_from_db()
    assert doomed.status == SyncRun.Status.ABANDONED
    assert "stopped answering" in doomed.error and "repaired by the next run" in doomed.error
    assert doomed.finished_at is not None
    assert follower.started_at > doomed.heartbeat_at  # never while the dead run could write
    assert recovered_in < TIMEOUT + 10
    assert IntegrationLease.objects.get(integration=integration).run_id is None

"""A real `qcluster` process (not sync=True) picks up a queued run and finishes it."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from syncapp.models import SyncRun
from syncapp.services.runs import sync_run_request
from tests.flows.conftest import sandbox_build, sandbox_integration_create, sandbox_served

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def current_database_url() -> str:
    """The URL of the test database this test process is using, for child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def start_worker(cluster_name: str, extra_env: dict) -> subprocess.Popen:
    inherited = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env = {
        **inherited,
        "DATABASE_URL": current_database_url(),
        "Q_CLUSTER_NAME": cluster_name,
        "Q_WORKERS": "1",
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, str(MANAGE), "qcluster"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.stdout.read()


def wait_until_finished(run: SyncRun, proc: subprocess.Popen, timeout: float = 60) -> SyncRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in SyncRun.FINISHED:
            return run
        if proc.poll() is not None:
            break
        time.sleep(0.25)
    output = stop_worker(proc)
    pytest.fail(f"run #{run.pk} still {run.status}; worker output:\n{output[-3000:]}")


@pytest.fixture
def served_integration():
    """An integration connected to the seeded sandbox served on loopback, so the worker process
    syncs against it."""
    sandbox = sandbox_build(validate=False)
    with sandbox_served(sandbox) as url:
        yield sandbox_integration_create(sandbox, base_url=url)


# The worker runs one real flow end to end; which flow matters less than that it really runs.
FLOW = "contacts"


def assert_finished_by_worker(run: SyncRun):
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert run.counters["flows_run"] == [FLOW]
    assert run.counters[FLOW]["harvest_calls"] > 0


def test_orm_broker_worker_runs_a_queued_sync(monkeypatch, served_integration):
    from django_q.conf import Conf

    name = f"hxsync-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    run, created = sync_run_request(integration=served_integration, flow=FLOW)
    assert created and run.status == SyncRun.Status.QUEUED
    proc = start_worker(name, {})
    try:
        assert_finished_by_worker(wait_until_finished(run, proc))
    finally:
        stop_worker(proc)


@pytest.mark.redis
def test_redis_broker_worker_runs_a_queued_sync(monkeypatch, redis_url, served_integration):
    from django_q.conf import Conf

    name = f"hxsync-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", redis_url)
    from django_q.brokers import get_broker

    broker = get_broker(list_key=name)
    assert type(broker).__name__ == "Redis"

    run = SyncRun.objects.create(integration=served_integration, flow=FLOW)
    from django_q.tasks import async_task

    async_task("syncapp.tasks.sync_run_task", run.pk, broker=broker)
    assert broker.queue_size() == 1
    proc = start_worker(name, {"REDIS_URL": redis_url})
    try:
        assert_finished_by_worker(wait_until_finished(run, proc))
    finally:
        stop_worker(proc)
        broker.delete_queue()

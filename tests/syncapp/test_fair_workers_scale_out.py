"""Scale-out (issue 13): three real `qcluster` processes on PostgreSQL + Redis share the queued
runs of several integrations: every run finishes, each integration has one writer at a time,
and every Xero organisation holds each invoice once. One organisation has spent its minute of
Xero calls: its run gives its worker back (re-queued with a due time, the others go on) and is
woken by its one-off schedule, in a real cluster, to finish by itself."""

import time
import uuid
from contextlib import ExitStack

import pytest
from django.db import connection
from django_q.models import Schedule

from syncapp.demo.bench.invoices import sandbox_invoices_verify
from syncapp.models import SyncRun
from syncapp.services.runs import sync_run_enqueue
from tests.flows.conftest import sandbox_build, sandbox_integration_create, sandbox_served
from tests.syncapp.test_worker_process import start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

INTEGRATIONS = 4
WORKERS = 3
# Of the organisation's 60 calls this minute, what another machine already spent.
SPENT = 57


def xero_minute_spend(integration, *, redis_url: str) -> None:
    """Spend calls through the sandbox and the workers' shared (Redis) governor, so Xero's
    headers and the governor agree the minute is nearly used up."""
    from syncapp.providers.governor import RedisBackend, governor_for_xero
    from syncapp.providers.xero.factory import xero_client_for_connection

    connection = integration.connections.get(provider="xero")
    backend = RedisBackend(url=redis_url)
    backend.redis.delete(f"{backend.PREFIX}xero:{connection.account_id}")
    governor = governor_for_xero(tenant_id=connection.account_id, backend=backend, max_wait=0)
    with xero_client_for_connection(connection=connection, governor=governor) as xero:
        for _ in range(SPENT):
            xero.get_organisation()


def runs_wait(run_ids: list[int], procs, timeout: float = 300) -> list[SyncRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(SyncRun.objects.filter(pk__in=run_ids))
        if all(run.status in SyncRun.FINISHED for run in runs):
            return runs
        if any(proc.poll() is not None for proc in procs):
            break
        time.sleep(0.5)
    outputs = "\n---\n".join(stop_worker(proc)[-1500:] for proc in procs)
    pytest.fail(f"runs not finished: {[(r.pk, r.status, r.note) for r in runs]}\n{outputs}")


def waited_run(run_ids: list[int], procs, timeout: float = 60) -> SyncRun:
    """The run of the organisation out of calls, once it was given back to the queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = SyncRun.objects.filter(pk__in=run_ids, due_at__isnull=False).first()
        if run is not None:
            assert run.status == SyncRun.Status.QUEUED and "resumes by itself" in run.note
            assert Schedule.objects.filter(name=f"hxsync run {run.pk} resumes").exists()
            return run
        time.sleep(0.25)
    outputs = "\n---\n".join(stop_worker(proc)[-1500:] for proc in procs)
    pytest.fail(f"no run waited for the rate limit\n{outputs}")


def overlapping(runs: list[SyncRun]) -> list[tuple[int, int]]:
    spans = sorted((run.started_at, run.finished_at, run.pk) for run in runs)
    return [(a[2], b[2]) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]


def test_three_workers_on_postgresql_and_redis_one_writer_per_integration(monkeypatch, redis_url):
    if connection.vendor != "postgresql":
        pytest.skip("scale-out is PostgreSQL + Redis (DATABASE_URL=postgres://...)")
    from django_q.brokers import get_broker
    from django_q.conf import Conf

    name = f"hxsync-scale-{uuid.uuid4().hex[:8]}"
    for attr, value in (("PREFIX", name), ("CLUSTER_NAME", name), ("ORM", None)):
        monkeypatch.setattr(Conf, attr, value)
    monkeypatch.setattr(Conf, "REDIS", redis_url)
    broker = get_broker(list_key=name)
    assert type(broker).__name__ == "Redis"

    with ExitStack() as stack:
        sandboxes, by_integration, integrations = [], {}, []
        for seed in range(INTEGRATIONS):
            sandbox = sandbox_build(seed=seed, validate=False)
            url = stack.enter_context(sandbox_served(sandbox))
            integration = sandbox_integration_create(sandbox, name=f"Agency {seed}", base_url=url)
            sandboxes.append(sandbox)
            integrations.append(integration)
            # Two runs each, queued together: workers pick both at once, one must wait its turn.
            runs = [
                SyncRun.objects.create(integration=integration, flow=flow)
                for flow in (SyncRun.Flow.ALL, SyncRun.Flow.INVOICES)
            ]
            by_integration[integration.pk] = [run.pk for run in runs]
        xero_minute_spend(integrations[0], redis_url=redis_url)
        for run_ids in zip(*by_integration.values(), strict=True):
            for run_id in run_ids:
                sync_run_enqueue(run_id=run_id)
        procs = [start_worker(name, {"REDIS_URL": redis_url}) for _ in range(WORKERS)]
        try:
            all_ids = [pk for ids in by_integration.values() for pk in ids]
            waited = waited_run(by_integration[integrations[0].pk], procs)
            others = [pk for pk in all_ids if pk not in by_integration[integrations[0].pk]]
            # While it waits, the workers finish everyone else's runs.
            assert {run.status for run in runs_wait(others, procs, timeout=120)} <= set(
                SyncRun.FINISHED
            )
            assert SyncRun.objects.get(pk=waited.pk).status == SyncRun.Status.QUEUED
            runs = runs_wait(all_ids, procs)
        finally:
            outputs = [stop_worker(proc) for proc in procs]
            broker.delete_queue()

    assert SyncRun.objects.get(pk=waited.pk).counters["waits"] >= 1
    assert not Schedule.objects.filter(name=f"hxsync run {waited.pk} resumes").exists()
    assert {run.status for run in runs} == {SyncRun.Status.SUCCEEDED}, [
        (run.pk, run.status, run.error) for run in runs
    ]
    for integration_id in by_integration:
        mine = [run for run in runs if run.integration_id == integration_id]
        assert overlapping(mine) == [], f"two writers at once on integration {integration_id}"
    busy = [out for out in outputs if "sync-run-" in out]
    assert len(busy) >= 2, "the runs were shared between worker processes"
    for sandbox in sandboxes:
        verified = sandbox_invoices_verify(state=sandbox.state)
        assert verified["duplicates"] == 0
        assert verified["in_xero"] > 0

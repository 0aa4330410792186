"""Exactly once across real processes: two workers running the budgets run at once, and two
processes recording the same crossings at the same instant with no lease between them."""

import json
import os
import subprocess
import sys
import time

import pytest

from syncapp.models import BudgetAlert, SyncRun
from tests.flows.budgets.helpers import budget_set, costs_plant, sandbox_projects, this_month
from tests.flows.conftest import sandbox_integration_create, sandbox_served
from tests.syncapp.test_worker_process import current_database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url()}
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.flows.budgets.budget_worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 90) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_two_workers_running_budgets_at_once_send_each_alert_once(sandbox):
    with sandbox_served(sandbox) as url:
        integration = sandbox_integration_create(sandbox, base_url=url)
        integration.finance_emails = "finance@agency.example"
        integration.save()
        first, second = sandbox_projects(sandbox, 2)
        budget_set(first, by="project", amount="100")
        budget_set(second, by="project_cost", amount="1000.00", monthly=True)
        costs_plant(integration, first, month=this_month(), hours="95")
        costs_plant(integration, second, month=this_month(), time_cost="1200.00")
        runs = [SyncRun.objects.create(integration=integration, flow="budgets") for _ in range(2)]
        procs = [start("run", str(run.pk), "60") for run in runs]
        results = [finish(proc) for proc in procs]

    assert {r["status"] for r in results} == {SyncRun.Status.SUCCEEDED}
    sent = [message for r in results for message in r["sent"]]
    assert len(sent) == 2, sent  # one message per project, from whichever worker recorded it
    assert sorted(r["counters"]["alerts_sent"] for r in results) == [0, 7]
    assert BudgetAlert.objects.count() == 7  # 50, 75, 90 for one; 50, 75, 90, 100 for the other
    assert BudgetAlert.objects.filter(sent_at__isnull=True).count() == 0


def test_two_processes_recording_at_the_same_instant_send_once(db):
    from tests.factories import IntegrationFactory

    integration = IntegrationFactory()
    start_at = f"{time.time() + 3:.3f}"  # both started and connected by then
    procs = [start("record", str(integration.pk), "4242", start_at) for _ in range(2)]
    results = [finish(proc) for proc in procs]

    recorded = sorted(t for r in results for t in r["recorded"])
    assert recorded == [50, 75, 90], results  # each threshold recorded by exactly one process
    assert sum(len(r["sent"]) for r in results) == sum(1 for r in results if r["recorded"])
    assert BudgetAlert.objects.filter(harvest_project_id="4242").count() == 3
    assert not BudgetAlert.objects.filter(sent_at__isnull=True).exists()
    # Every sent message names only the thresholds its own process recorded.
    for r in results:
        for message in r["sent"]:
            assert message["to"] == ["finance@agency.example"]

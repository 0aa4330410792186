"""A worker killed with SIGKILL in the middle of sending expenses (bills written, receipts half
uploaded) leaves nothing twice and nothing lost: the run is abandoned, and the next one finds
what the dead one wrote (by our reference, by the record's attachment list) before sending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.test import override_settings

from syncapp.models import SyncLink, SyncRun
from tests.flows.conftest import sandbox_build, sandbox_integration_create, sandbox_served
from tests.flows.expenses.helpers import (
    approved,
    categories_map,
    expenses_run,
    lines_by_expense,
    live_documents,
    references_repeated,
)
from tests.syncapp.test_worker_process import current_database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 2  # seconds of silence after which a run is abandoned, in this test
FAST = {"HXSYNC_RUN_TIMEOUT_SECONDS": str(TIMEOUT), "HXSYNC_RUN_HEARTBEAT_SECONDS": "0.5"}


def _worker(integration) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(), **FAST}
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syncapp.demo.bench._chaos_worker",
            "poll",
            str(integration.pk),
            "expenses",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _attachments(sandbox) -> int:
    return sum(len(files) for files in sandbox.state.xero.attachments.values())


@override_settings(HXSYNC_RUN_TIMEOUT_SECONDS=TIMEOUT, HXSYNC_RUN_HEARTBEAT_SECONDS=0.5)
def test_sigkill_mid_run_leaves_no_bill_line_or_receipt_twice_and_none_lost():
    sandbox = sandbox_build()
    with sandbox_served(sandbox) as url:
        integration = sandbox_integration_create(sandbox, base_url=url)
        integration.expense_card_account_code = "095"
        integration.save()
        expenses_run(integration, sandbox)  # meets the categories
        categories_map(integration, modes={"Software": "spend_money"})

        worker = _worker(integration)
        deadline = time.monotonic() + 60
        while _attachments(sandbox) < 5 and worker.poll() is None:
            assert time.monotonic() < deadline, "the worker never started uploading receipts"
            time.sleep(0.005)
        assert worker.poll() is None, worker.stderr.read()[-2000:]
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        killed = SyncRun.objects.filter(flow="expenses", status=SyncRun.Status.RUNNING).get()
        attached_at_kill = _attachments(sandbox)

        time.sleep(TIMEOUT + 0.5)
        after = expenses_run(integration, sandbox)
        again = expenses_run(integration, sandbox)

    killed.refresh_from_db()
    assert killed.status == SyncRun.Status.ABANDONED
    assert after.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES), after.error
    assert again.status == SyncRun.Status.SUCCEEDED, again.error
    assert again.counters["expenses"]["xero_calls"] == 0, "settled: nothing left to write"
    held = {
        h.harvest_id for h in SyncLink.objects.filter(kind="expense", state=SyncLink.State.HELD)
    }
    lines = lines_by_expense(sandbox)
    assert set(lines) == set(approved(sandbox)) - held
    assert all(len(amounts) == 1 for amounts in lines.values()), "no expense on two lines"
    assert references_repeated(sandbox) == []
    synced = SyncLink.objects.filter(kind="expense", state=SyncLink.State.SYNCED)
    refused = synced.filter(last_error__startswith="Receipt not attached").count()
    with_receipt = sum(
        1 for s in synced if ((s.snapshot or {}).get("harvest") or {}).get("receipt")
    )
    assert _attachments(sandbox) == with_receipt - refused > attached_at_kill
    names = [a["FileName"] for files in sandbox.state.xero.attachments.values() for a in files]
    assert len(names) == len(set(names)), "every receipt once"
    assert len(live_documents(sandbox)) == len(references_repeated(sandbox)) + len(
        {d.get("InvoiceNumber") or d.get("Reference") for d in live_documents(sandbox)}
    )

"""The fault test (CI size): 20 % of calls fail (429, 5xx, timeouts, resets, answers lost after
the write) for 10 seeds; after the runs settle Xero holds every eligible invoice exactly once,
with Harvest's totals. Each request gets 2 attempts, so some writes end unanswered and the next
run's repair (search Xero, then resend) is exercised, not only the client's retries.
Full size: `manage.py bench invoices_faults --count 1000 --seeds 10`."""

from __future__ import annotations

import os

import pytest

from syncapp.demo.bench.invoices_faults import faults_sync

pytestmark = pytest.mark.django_db

COUNT = int(os.environ.get("HXSYNC_FAULT_INVOICES", "200"))


@pytest.mark.parametrize("seed", range(10))
def test_faults_never_duplicate_lose_or_change_totals(seed):
    result = faults_sync(count=COUNT, seed=seed, rate=0.2)
    assert result["faults_injected"] > 0
    assert result["duplicates"] == 0, result
    assert result["lost"] == 0, result
    assert result["mismatched_totals"] == 0, result
    assert result["unsettled"] == 0, result

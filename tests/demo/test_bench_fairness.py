"""`bench fairness` at CI size: a large organisation that must wait for Xero's minute window
gives its worker back (its run is re-queued, never slept in place), the small organisations
finish long before it, and every organisation's Xero holds each invoice once."""

import pytest

from syncapp.demo.bench import fairness
from syncapp.models import Integration, SyncRun

pytestmark = pytest.mark.django_db


def test_the_small_organisations_do_not_wait_for_the_large_one():
    figures = fairness.run(
        workers=2, integrations=4, large_invoices=3_500, small_invoices=60, call_seconds=0.1
    )

    assert figures["statuses"] == [SyncRun.Status.SUCCEEDED]
    assert figures["requeues"] >= 1 and figures["large_passes"] == figures["requeues"] + 1
    assert figures["slept_in_place_seconds"] <= 15 * figures["large_passes"]
    assert figures["rate_limit_429s"] == 0
    assert figures["small_max_finish_seconds"] < 120
    assert figures["small_max_finish_seconds"] < figures["large_finish_seconds"]
    assert figures["large_finish_seconds"] > 60, "the large one really waited for the window"
    assert figures["duplicates"] == 0 and figures["lost"] == 0
    assert figures["in_xero"] == figures["eligible"]
    assert not Integration.objects.exists(), "the benchmark cleans up after itself"


def test_the_queue_hands_out_the_run_due_longest_to_the_worker_free_first():
    queue = fairness.Queue(ready={7: 30.0, 5: 10.0, 6: 10.0}, workers=[20.0, 5.0])
    assert queue.next_pick() == (1, 5, 10.0)  # worker 1 waits for the first due run
    queue.workers[1] = 50.0
    assert queue.next_pick() == (0, 6, 20.0)
    queue.workers[0] = 25.0
    assert queue.next_pick() == (0, 7, 30.0)
    assert queue.next_pick() is None

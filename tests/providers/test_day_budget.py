"""The Xero day budget: allowance learned from headers, the poll share, bulk waiting with the
reason, and resuming once calls leave the rolling 24-hour window. On every backend."""

import uuid
from datetime import UTC, datetime

import pytest

from syncapp.providers.governor import (
    BULK,
    POLL,
    DatabaseBackend,
    DayBudget,
    DayBudgetWait,
    MemoryBackend,
    RedisBackend,
    governor_for_xero,
)
from syncapp.providers.governor_state import BUCKET_SECONDS, GUARD_SECONDS, day_report

# The database backend needs the test database; the others ignore it.
pytestmark = pytest.mark.django_db
# 09:00 UTC on a fixed day, on a bucket boundary
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture(params=["memory", "database", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request):
    if request.param == "memory":
        return MemoryBackend()
    if request.param == "database":
        return DatabaseBackend()
    return RedisBackend(url=request.getfixturevalue("redis_url"))


@pytest.fixture
def clock():
    from syncapp.providers.clock import SimulatedClock

    return SimulatedClock(start=START)


def _governor(backend, key, clock, *, purpose=BULK, prior=1000, share=0.3, margin=5):
    return governor_for_xero(
        tenant_id=key,
        backend=backend,
        clock=clock,
        budget=DayBudget(prior=prior, poll_share=share, margin=margin),
        purpose=purpose,
        label="Northwind",
        max_wait=float("inf"),
    )


def _calls(governor, n, *, remaining=None, clock=None, spacing=0.0):
    for _ in range(n):
        lease = governor.acquire()
        headers = {} if remaining is None else {"X-DayLimit-Remaining": str(remaining())}
        governor.release(lease, status=200, headers=headers)
        if clock is not None and spacing:
            clock.advance(spacing)


def test_bulk_stops_short_of_the_poll_share_and_says_why(backend, clock):
    key = uuid.uuid4().hex
    bulk = _governor(backend, key, clock)
    # Starter prior: 1,000 a day; 30 % kept for polls, 5 never used: bulk gets 695.
    _calls(bulk, 695, clock=clock, spacing=1.1)
    bulk.max_wait = 60
    with pytest.raises(DayBudgetWait) as caught:
        bulk.acquire()
    wait = caught.value
    assert wait.reason == "day"
    # the first calls leave Xero's rolling window 24 h after they were made (plus our bucket)
    assert 86400 - 800 < wait.seconds <= 86400 + BUCKET_SECONDS + GUARD_SECONDS
    assert str(wait).startswith("Xero's daily allowance for Northwind is used up; resumes at ")
    assert wait.resumes_at.strftime("%H:%M UTC") in str(wait)
    # polls still have their share
    poll = _governor(backend, key, clock, purpose=POLL)
    _calls(poll, 200)
    assert poll.granted == 200


def test_allowance_is_learned_from_x_daylimit_remaining(backend, clock):
    key = uuid.uuid4().hex
    bulk = _governor(backend, key, clock)  # tier says 1,000; Xero allows this organisation 500
    sent = []

    def remaining():
        sent.append(1)
        return 500 - len(sent)

    _calls(bulk, 340, remaining=remaining, clock=clock, spacing=1.1)
    bulk.max_wait = 60
    # 500 learned: 150 kept for polls, 5 never used, so bulk stops at 345, not at 695
    _calls(bulk, 5, remaining=remaining)
    with pytest.raises(DayBudgetWait):
        bulk.acquire()
    state = backend.read(key=f"xero:{key}")
    assert state["day"]["allowance"] == 500
    # and upwards: a paid organisation set as Starter
    paid = _governor(backend, key + "-paid", clock)
    paid.release(paid.acquire(), status=200, headers={"X-DayLimit-Remaining": "4999"})
    assert backend.read(key=f"xero:{key}-paid")["day"]["allowance"] == 5000


def test_polls_slow_down_when_little_is_left_and_never_pass_the_margin(backend, clock):
    key = uuid.uuid4().hex
    poll = _governor(backend, key, clock, purpose=POLL, prior=100, share=0.3, margin=5)
    # polls may use everything but the margin; the last quarter of their share is spaced out
    _calls(poll, 88, clock=clock, spacing=60)
    poll.max_wait = 30
    with pytest.raises(DayBudgetWait) as caught:
        _calls(poll, 2)
    assert caught.value.reason == "day-poll"
    assert "running low; polls slow down" in str(caught.value)
    poll.max_wait = float("inf")
    waited = clock.slept
    budget = DayBudget(prior=100)
    for _ in range(95 - poll.granted):
        _calls(poll, 1)
        state = backend.read(key=f"xero:{key}")
        assert day_report(state, budget=budget, now=clock.time()).calls_window <= 95
    # the last seven are spread over the hours until the first calls leave the window
    assert clock.slept - waited > 10 * 3600


def test_polls_stop_at_the_margin_xero_reports(backend, clock):
    key = uuid.uuid4().hex
    poll = _governor(backend, key, clock, purpose=POLL)
    # another install used this organisation's day: Xero says 5 are left, all margin
    poll.release(poll.acquire(), status=200, headers={"X-DayLimit-Remaining": "5"})
    poll.max_wait = 60
    with pytest.raises(DayBudgetWait) as caught:
        poll.acquire()
    assert caught.value.reason == "day"
    assert "is used up; resumes at" in str(caught.value)


def test_bulk_resumes_by_itself_once_the_window_frees(backend, clock):
    key = uuid.uuid4().hex
    bulk = _governor(backend, key, clock, prior=100, share=0.3, margin=5)
    _calls(bulk, 65, clock=clock, spacing=1.1)
    bulk.max_wait = 60
    with pytest.raises(DayBudgetWait) as caught:
        bulk.acquire()
    clock.advance(caught.value.seconds)
    _calls(bulk, 65, clock=clock, spacing=1.1)  # the whole bulk share again, a day later
    assert bulk.granted == 130
    # with no limit on waiting, the governor sleeps (on its clock) through the day instead
    patient = _governor(backend, key, clock, prior=100, share=0.3, margin=5)
    before = clock.time()
    patient.acquire()
    assert clock.time() - before > 86000


def test_day_report_counts_today_and_projects_the_day(clock):
    backend = MemoryBackend()
    key = uuid.uuid4().hex
    poll = _governor(backend, key, clock, purpose=POLL)
    _calls(poll, 90, clock=clock, spacing=120)  # 09:00 to 12:00 UTC
    state = backend.read(key=f"xero:{key}")
    report = day_report(state, budget=DayBudget(prior=1000), now=clock.time())
    assert report.calls_today == 90 and report.polls_window == 90
    assert report.allowance == 1000 and not report.learned
    # 90 calls in the 12 hours since midnight: 180 by the end of the day
    assert report.projected_today == 180
    assert report.bulk_wait == 0

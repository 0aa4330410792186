"""The rate governor's decisions, on each storage backend, on a clock that never sleeps."""

import uuid

import httpx
import pytest

from syncapp.providers.base import ProviderClient, SimulatedClock
from syncapp.providers.errors import GovernorWouldWait
from syncapp.providers.governor import (
    GUARD_SECONDS,
    HARVEST_LIMITS,
    XERO_LIMITS,
    DatabaseBackend,
    MemoryBackend,
    RateGovernor,
    RedisBackend,
    governor_for_harvest,
    governor_for_xero,
)

OK = {"status": 200, "headers": {}}


@pytest.fixture(params=["memory", "database", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request):
    if request.param == "memory":
        return MemoryBackend()
    if request.param == "database":
        request.getfixturevalue("db")
        return DatabaseBackend()
    url = request.getfixturevalue("redis_url")
    return RedisBackend(url=url)


@pytest.fixture
def key():
    return uuid.uuid4().hex  # a fresh account per test, so Redis state never leaks between tests


def _harvest(backend, key, clock, **options):
    return governor_for_harvest(account_id=key, backend=backend, clock=clock, **options)


def _xero(backend, key, clock, **options):
    return governor_for_xero(tenant_id=key, backend=backend, clock=clock, **options)


def test_harvest_allows_100_per_15_seconds_then_waits_for_the_window(backend, key, sim_clock):
    governor = _harvest(backend, key, sim_clock, max_wait=float("inf"))
    for _ in range(100):
        governor.release(governor.acquire(), **OK)
    assert sim_clock.slept == 0
    governor.release(governor.acquire(), **OK)
    assert sim_clock.slept == pytest.approx(15 + GUARD_SECONDS)
    # 250 requests: three windows' worth, two waits
    for _ in range(149):
        governor.release(governor.acquire(), **OK)
    assert governor.granted == 250
    assert governor.waited_seconds == pytest.approx(2 * (15 + GUARD_SECONDS))


def test_window_is_rolling_not_fixed(backend, key, sim_clock):
    governor = _harvest(backend, key, sim_clock, max_wait=0)
    for _ in range(50):
        governor.acquire()
    sim_clock.advance(10)
    for _ in range(50):
        governor.acquire()
    sim_clock.advance(6 + GUARD_SECONDS)  # the first 50 have left the window, the last 50 not
    for _ in range(50):
        governor.acquire()
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    # the second 50 (sent at +10) must leave: at +10 + 15 + guard, i.e. in 9 s
    assert caught.value.seconds == pytest.approx(10 + 15 + GUARD_SECONDS - (16 + GUARD_SECONDS))


def test_would_wait_raises_without_sleeping(backend, key, sim_clock):
    governor = _xero(backend, key, sim_clock, max_wait=5)
    for _ in range(60):
        governor.release(governor.acquire(), **OK)
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    assert caught.value.seconds == pytest.approx(60 + GUARD_SECONDS)
    assert caught.value.reason == "60/60s"
    assert sim_clock.slept == 0


def test_xero_allows_five_at_once(backend, key, sim_clock):
    governor = _xero(backend, key, sim_clock, max_wait=0)
    held = [governor.acquire() for _ in range(5)]
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    assert caught.value.reason == "concurrent"
    governor.release(held.pop(), **OK)
    held.append(governor.acquire())


def test_slot_of_a_crashed_worker_is_freed_after_the_lease(backend, key, sim_clock):
    governor = _xero(backend, key, sim_clock, max_wait=0)
    for _ in range(5):
        governor.acquire()  # never released: the worker died
    sim_clock.advance(XERO_LIMITS.lease_seconds + 1)
    governor.acquire()


def test_learns_minute_remaining_from_xero(backend, key, sim_clock):
    governor = _xero(backend, key, sim_clock, max_wait=0)
    lease = governor.acquire()
    # another install used this organisation's minute: Xero says nothing is left
    governor.release(lease, status=200, headers={"X-MinLimit-Remaining": "0"})
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    assert 59 < caught.value.seconds <= 60 + GUARD_SECONDS


def test_learns_day_remaining_and_refuses_for_hours(backend, key, sim_clock):
    governor = _xero(backend, key, sim_clock, max_wait=30)
    lease = governor.acquire()
    governor.release(lease, status=200, headers={"X-DayLimit-Remaining": "0"})
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    assert caught.value.seconds > 86000
    assert caught.value.reason == "5000/86400s"


def test_a_429_blocks_every_worker_until_retry_after(backend, key, sim_clock):
    worker_a = _xero(backend, key, sim_clock, max_wait=0)
    worker_b = _xero(backend, key, sim_clock, max_wait=float("inf"))
    lease = worker_a.acquire()
    worker_a.release(
        lease, status=429, headers={"Retry-After": "20", "X-Rate-Limit-Problem": "minute"}
    )
    with pytest.raises(GovernorWouldWait) as caught:
        worker_a.acquire()
    assert caught.value.reason == "blocked" and caught.value.seconds == pytest.approx(20)
    worker_b.acquire()
    assert sim_clock.slept == pytest.approx(20)


def test_app_minute_limit_exhausted_blocks_a_minute(backend, key, sim_clock):
    governor = _xero(backend, key, sim_clock, max_wait=0)
    governor.release(governor.acquire(), status=200, headers={"X-AppMinLimit-Remaining": "0"})
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    assert caught.value.seconds == pytest.approx(60)


def test_two_governors_on_one_backend_share_the_window(backend, key, sim_clock):
    one = _harvest(backend, key, sim_clock, max_wait=0)
    two = _harvest(backend, key, sim_clock, max_wait=0)
    for _ in range(50):
        one.acquire()
        two.acquire()
    for governor in (one, two):
        with pytest.raises(GovernorWouldWait):
            governor.acquire()
    other_account = _harvest(backend, key + "-other", sim_clock, max_wait=0)
    other_account.acquire()


def test_day_histogram_keeps_5000_a_day(sim_clock):
    governor = RateGovernor(
        key="xero:day",
        limits=XERO_LIMITS,
        backend=MemoryBackend(),
        clock=sim_clock,
        max_wait=float("inf"),
    )
    for _ in range(5000):
        governor.release(governor.acquire(), **OK)
    minutes_for_5000 = sim_clock.elapsed
    assert minutes_for_5000 == pytest.approx(83 * (60 + GUARD_SECONDS))  # 60 a minute
    governor.max_wait = 3600
    with pytest.raises(GovernorWouldWait) as caught:
        governor.acquire()
    assert caught.value.reason == "5000/86400s"
    assert 86400 - minutes_for_5000 < caught.value.seconds <= 86400 + 600 + GUARD_SECONDS


@pytest.mark.django_db
def test_database_state_is_one_row_per_account(sim_clock):
    from syncapp.models import RateGovernorState

    governor = governor_for_xero(tenant_id="tenant-1", backend=DatabaseBackend(), clock=sim_clock)
    governor.release(governor.acquire(), **OK)
    governor.release(governor.acquire(), **OK)
    row = RateGovernorState.objects.get(key="xero:tenant-1")
    assert len(row.state["log"]["60"]) == 2
    assert row.state["inflight"] == {}


@pytest.mark.django_db(transaction=True)
def test_harvest_success_is_one_short_transaction(sim_clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    governor = governor_for_harvest(account_id="42", backend=DatabaseBackend(), clock=sim_clock)
    governor.release(governor.acquire(), **OK)  # first use creates the row
    with CaptureQueriesContext(connection) as captured:
        governor.release(governor.acquire(), **OK)
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    # a locked read and a write; Harvest sends no rate headers, so release costs nothing
    assert [s for s in statements if s in ("SELECT", "UPDATE", "INSERT")] == ["SELECT", "UPDATE"]


def test_default_limits_match_the_vendors():
    assert [(w.limit, w.seconds) for w in HARVEST_LIMITS.windows] == [(100, 15)]
    assert [(w.limit, w.seconds) for w in XERO_LIMITS.windows] == [(60, 60), (5000, 86400)]
    assert XERO_LIMITS.concurrent == 5 and HARVEST_LIMITS.concurrent is None


def test_client_with_governor_respects_429_and_counts_simulated_time(respx_mock):
    clock = SimulatedClock(start=1_800_000_000)
    governor = governor_for_xero(
        tenant_id="t", backend=MemoryBackend(), clock=clock, max_wait=float("inf")
    )
    client = ProviderClient(
        base_url="https://api.xero.com/api.xro/2.0", governor=governor, clock=clock
    )
    route = respx_mock.get("https://api.xero.com/api.xro/2.0/Invoices").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "45", "X-Rate-Limit-Problem": "minute"}),
            httpx.Response(200, json={"Invoices": []}, headers={"X-MinLimit-Remaining": "58"}),
        ]
    )
    assert client._request_json("GET", "/Invoices") == {"Invoices": []}
    assert route.call_count == 2
    assert 45 <= clock.elapsed < 46
    assert governor.waited_seconds == pytest.approx(45, abs=0.6)


def test_backend_follows_redis_url(settings):
    from syncapp.providers.governor import _shared_backend, default_backend

    _shared_backend.cache_clear()
    try:
        settings.REDIS_URL = ""
        assert isinstance(default_backend(), DatabaseBackend)
        settings.REDIS_URL = "redis://127.0.0.1:6379/15"
        assert isinstance(default_backend(), RedisBackend)
        assert default_backend() is default_backend()  # one per process
    finally:
        _shared_backend.cache_clear()

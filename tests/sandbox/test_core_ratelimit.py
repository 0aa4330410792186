from datetime import UTC, datetime

from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.ratelimit import HarvestLimiter, XeroLimiter


def _clock() -> SimClock:
    return SimClock(frozen_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_harvest_allows_100_per_15_seconds_then_429_with_retry_after():
    clock = _clock()
    limiter = HarvestLimiter(clock=clock)
    for _ in range(100):
        assert limiter.check(token="t", account_id="1").allowed
        clock.advance(0.125)  # 100 calls over 12.5 s
    refused = limiter.check(token="t", account_id="1")
    assert not refused.allowed
    # The first call (t=0) leaves the window at t=15; we are at t=12.5.
    assert refused.headers["Retry-After"] == "3"
    clock.advance(2.5)
    assert limiter.check(token="t", account_id="1").allowed
    assert limiter.calls["1"] == 101


def test_harvest_windows_are_per_token_and_account():
    limiter = HarvestLimiter(clock=_clock())
    for _ in range(100):
        limiter.check(token="a", account_id="1")
    assert not limiter.check(token="a", account_id="1").allowed
    assert limiter.check(token="b", account_id="1").allowed
    assert limiter.check(token="a", account_id="2").allowed


def test_harvest_limiter_switched_off_counts_but_never_refuses():
    limiter = HarvestLimiter(clock=_clock(), enabled=False)
    assert all(limiter.check(token="t", account_id="1").allowed for _ in range(500))
    assert limiter.calls["1"] == 500


def test_xero_minute_limit_headers_and_problem():
    clock = _clock()
    limiter = XeroLimiter(clock=clock)
    first = limiter.acquire(tenant_id="T")
    assert first.headers["X-MinLimit-Remaining"] == "59"
    assert first.headers["X-DayLimit-Remaining"] == "4999"
    assert first.headers["X-AppMinLimit-Remaining"] == "9999"
    limiter.release(tenant_id="T")
    for _ in range(59):
        clock.advance(0.5)
        assert limiter.acquire(tenant_id="T").allowed
        limiter.release(tenant_id="T")
    refused = limiter.acquire(tenant_id="T")
    assert not refused.allowed
    assert refused.problem == "minute"
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["Retry-After"] == "31"  # first call at t=0, now t=29.5
    assert limiter.acquire(tenant_id="other").allowed


def test_xero_concurrent_limit():
    limiter = XeroLimiter(clock=_clock())
    for _ in range(5):
        assert limiter.acquire(tenant_id="T").allowed
    refused = limiter.acquire(tenant_id="T")
    assert (refused.allowed, refused.problem) == (False, "concurrent")
    limiter.release(tenant_id="T")
    assert limiter.acquire(tenant_id="T").allowed


def test_xero_daily_limit_rolls_over_a_day():
    clock = _clock()
    limiter = XeroLimiter(clock=clock)
    for _ in range(5000):
        limiter.acquire(tenant_id="T")
        limiter.release(tenant_id="T")
        clock.advance(1.3)  # ~100 s per 60-minute budget: the minute limit never bites
    refused = limiter.acquire(tenant_id="T")
    assert refused.problem == "daily"
    assert int(refused.headers["Retry-After"]) > 3600
    clock.advance(86400)
    assert limiter.acquire(tenant_id="T").allowed

"""The vendors' rate limits on the simulators' clock.

Harvest: 100 requests per 15 s per access token and account, 429 + `Retry-After`
(https://help.getharvest.com/api-v2/introduction/overview/general/#rate-limiting).
Xero: per organisation 60 calls per rolling minute, 5 concurrent, 5,000 per rolling day, and
10,000 per minute per app across organisations; every answer carries `X-DayLimit-Remaining`,
`X-MinLimit-Remaining`, `X-AppMinLimit-Remaining`; a 429 carries `Retry-After` and
`X-Rate-Limit-Problem` (https://developer.xero.com/documentation/guides/oauth2/limits/).

With `enabled=False` the limiters still count calls and compute the headers (a benchmark reads the
counts and lets hxsync's own governor simulate the waiting), but never refuse a request.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from dataclasses import dataclass, field

from syncapp.sandbox.core.clock import SimClock


class SlidingWindow:
    """At most `limit` events per `seconds`, per key, on a rolling window."""

    def __init__(self, *, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._events: dict[str, deque[float]] = {}

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        edge = now - self.seconds
        while events and events[0] <= edge:
            events.popleft()
        return events

    def remaining(self, *, key: str, now: float) -> int:
        return max(0, self.limit - len(self._trim(key, now)))

    def retry_after(self, *, key: str, now: float) -> int:
        """Whole seconds until one more event fits (at least 1)."""
        events = self._trim(key, now)
        if len(events) < self.limit:
            return 0
        wait = events[len(events) - self.limit] + self.seconds - now
        return max(1, math.ceil(wait))

    def record(self, *, key: str, now: float) -> None:
        self._trim(key, now).append(now)


@dataclass
class LimitDecision:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int = 0
    problem: str | None = None


class HarvestLimiter:
    LIMIT = 100
    WINDOW_SECONDS = 15

    def __init__(self, *, clock: SimClock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self.calls: Counter[str] = Counter()
        self._window = SlidingWindow(limit=self.LIMIT, seconds=self.WINDOW_SECONDS)
        self._lock = threading.Lock()

    def check(self, *, token: str, account_id: str) -> LimitDecision:
        key = f"{account_id}:{token}"
        now = self.clock.time()
        with self._lock:
            if self.enabled and self._window.remaining(key=key, now=now) == 0:
                wait = self._window.retry_after(key=key, now=now)
                return LimitDecision(
                    allowed=False, retry_after=wait, headers={"Retry-After": str(wait)}
                )
            self._window.record(key=key, now=now)
            self.calls[account_id] += 1
        return LimitDecision(allowed=True)


class XeroLimiter:
    MINUTE_LIMIT = 60
    DAY_LIMIT = 5000
    CONCURRENT_LIMIT = 5
    APP_MINUTE_LIMIT = 10000

    def __init__(self, *, clock: SimClock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self.calls: Counter[str] = Counter()
        self._minute = SlidingWindow(limit=self.MINUTE_LIMIT, seconds=60)
        self._day = SlidingWindow(limit=self.DAY_LIMIT, seconds=86400)
        self._app_minute = SlidingWindow(limit=self.APP_MINUTE_LIMIT, seconds=60)
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, *, tenant_id: str, app_id: str = "sandbox-app") -> LimitDecision:
        """Count one call. When allowed, call `release(tenant_id=...)` once it is answered."""
        now = self.clock.time()
        with self._lock:
            if self.enabled:
                refused = self._refusal(tenant_id=tenant_id, app_id=app_id, now=now)
                if refused is not None:
                    return refused
            self._minute.record(key=tenant_id, now=now)
            self._day.record(key=tenant_id, now=now)
            self._app_minute.record(key=app_id, now=now)
            self._in_flight[tenant_id] += 1
            self.calls[tenant_id] += 1
            return LimitDecision(allowed=True, headers=self._headers(tenant_id, app_id, now))

    def release(self, *, tenant_id: str) -> None:
        with self._lock:
            if self._in_flight[tenant_id] > 0:
                self._in_flight[tenant_id] -= 1

    def _refusal(self, *, tenant_id: str, app_id: str, now: float) -> LimitDecision | None:
        problem = None
        wait = 1
        if self._in_flight[tenant_id] >= self.CONCURRENT_LIMIT:
            problem = "concurrent"
        elif self._day.remaining(key=tenant_id, now=now) == 0:
            problem, wait = "daily", self._day.retry_after(key=tenant_id, now=now)
        elif self._minute.remaining(key=tenant_id, now=now) == 0:
            problem, wait = "minute", self._minute.retry_after(key=tenant_id, now=now)
        elif self._app_minute.remaining(key=app_id, now=now) == 0:
            problem, wait = "appminute", self._app_minute.retry_after(key=app_id, now=now)
        if problem is None:
            return None
        headers = self._headers(tenant_id, app_id, now)
        headers["Retry-After"] = str(wait)
        headers["X-Rate-Limit-Problem"] = problem
        return LimitDecision(allowed=False, headers=headers, retry_after=wait, problem=problem)

    def _headers(self, tenant_id: str, app_id: str, now: float) -> dict[str, str]:
        return {
            "X-DayLimit-Remaining": str(self._day.remaining(key=tenant_id, now=now)),
            "X-MinLimit-Remaining": str(self._minute.remaining(key=tenant_id, now=now)),
            "X-AppMinLimit-Remaining": str(self._app_minute.remaining(key=app_id, now=now)),
        }


@dataclass
class Limiters:
    harvest: HarvestLimiter
    xero: XeroLimiter

    @classmethod
    def build(cls, *, clock: SimClock, enabled: bool = True) -> Limiters:
        return cls(
            harvest=HarvestLimiter(clock=clock, enabled=enabled),
            xero=XeroLimiter(clock=clock, enabled=enabled),
        )

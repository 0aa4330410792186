"""One rate governor per vendor account, shared by every worker process and machine.

Limits (per key):
- Harvest: 100 requests per 15 s per account
  (https://help.getharvest.com/api-v2/introduction/overview/general/#rate-limiting).
- Xero: per organisation 60 calls per rolling minute, 5 at once, 5,000 per rolling day
  (https://developer.xero.com/documentation/guides/oauth2/limits/).

The decision logic is pure (`state_acquire`, `state_release` on a small JSON dict); the backends
only store that dict atomically: a `RateGovernorState` row locked per decision (PostgreSQL
select_for_update, SQLite's IMMEDIATE transaction), a Redis key under WATCH/MULTI when REDIS_URL
is set, or process memory for tests and benchmarks.

The governor learns from the answers: X-MinLimit-Remaining / X-DayLimit-Remaining lower what is
left in its windows (calls made by a machine that does not share this governor still count at
Xero), X-AppMinLimit-Remaining 0 and a 429's Retry-After block every worker until then.

A caller that would wait longer than `max_wait` gets `GovernorWouldWait` instead of sleeping, so
its task can give the worker back and reschedule. Waiting goes through an injectable clock: with
`SimulatedClock` the benchmark counts the time instead of sleeping it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from syncapp.providers.base import SYSTEM_CLOCK, Clock
from syncapp.providers.errors import GovernorWouldWait, retry_after_seconds

# Our send time is earlier than the vendor's receive time, so an entry leaves our window a
# little before it leaves theirs; this margin keeps us on the safe side of their count.
GUARD_SECONDS = 1.0
# Windows this long are kept as a histogram of BUCKET_SECONDS buckets instead of a list of
# timestamps (5,000 timestamps per decision would be too heavy); a bucket counts until its end.
LOG_LIMIT = 1000
BUCKET_SECONDS = 600
# How long a worker waits before asking again when all concurrent slots are taken.
CONCURRENCY_POLL_SECONDS = 0.5
DEFAULT_MAX_WAIT = 30.0


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    windows: tuple[Window, ...]
    concurrent: int | None = None
    # A slot whose holder died is freed after this long (longer than any request timeout).
    lease_seconds: float = 120.0
    # How long a 429 without Retry-After blocks.
    default_block_seconds: float = 60.0


HARVEST_LIMITS = Limits(windows=(Window(100, 15),), default_block_seconds=15.0)
XERO_LIMITS = Limits(windows=(Window(60, 60), Window(5000, 86400)), concurrent=5)


@dataclass
class Observation:
    """What one answer told us about the vendor's own count."""

    status: int | None = None
    retry_after: float = 0.0
    min_remaining: int | None = None
    day_remaining: int | None = None
    app_min_remaining: int | None = None

    @classmethod
    def from_response(cls, *, status: int | None, headers: Mapping[str, str] | None) -> Observation:
        headers = headers or {}
        return cls(
            status=status,
            retry_after=retry_after_seconds(headers) if status == 429 else 0.0,
            min_remaining=_int_header(headers, "X-MinLimit-Remaining"),
            day_remaining=_int_header(headers, "X-DayLimit-Remaining"),
            app_min_remaining=_int_header(headers, "X-AppMinLimit-Remaining"),
        )

    @property
    def teaches(self) -> bool:
        return (
            self.status == 429
            or self.min_remaining is not None
            or self.day_remaining is not None
            or self.app_min_remaining == 0
        )


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


# --- the pure state machine ----------------------------------------------------------------
# state = {"log": {"15": [t, ...]}, "hist": {"86400": {"<bucket start>": n}},
#          "inflight": {"<lease>": expires_at}, "blocked_until": t}


def _prune(state: dict, *, limits: Limits, now: float) -> None:
    logs, hists = state.setdefault("log", {}), state.setdefault("hist", {})
    for window in limits.windows:
        name = str(int(window.seconds))
        edge = now - window.seconds - GUARD_SECONDS
        if window.limit <= LOG_LIMIT:
            logs[name] = [t for t in logs.get(name, []) if t > edge]
        else:
            hists[name] = {
                b: n for b, n in hists.get(name, {}).items() if float(b) + BUCKET_SECONDS > edge
            }
    inflight = state.setdefault("inflight", {})
    for lease, expires in list(inflight.items()):
        if expires <= now:
            del inflight[lease]
    if state.get("blocked_until", 0) <= now:
        state.pop("blocked_until", None)


def _window_wait(state: dict, *, window: Window, now: float) -> float:
    name = str(int(window.seconds))
    if window.limit <= LOG_LIMIT:
        log = sorted(state["log"].get(name, []))
        if len(log) < window.limit:
            return 0.0
        # The oldest entry that must leave before one more fits.
        return log[len(log) - window.limit] + window.seconds + GUARD_SECONDS - now
    hist = state["hist"].get(name, {})
    used = sum(hist.values())
    if used < window.limit:
        return 0.0
    freed, wait = 0, 0.0
    for start in sorted(hist, key=float):
        freed += hist[start]
        wait = float(start) + BUCKET_SECONDS + window.seconds + GUARD_SECONDS - now
        if used - freed < window.limit:
            break
    return wait


def state_acquire(state: dict, *, limits: Limits, now: float, lease: str) -> tuple[float, str]:
    """Take a slot now (returns (0, "")) or say how long to wait and why, changing nothing
    but expired entries."""
    _prune(state, limits=limits, now=now)
    waits = [(state.get("blocked_until", now) - now, "blocked")]
    for window in limits.windows:
        waits.append(
            (_window_wait(state, window=window, now=now), f"{window.limit}/{window.seconds:g}s")
        )
    if limits.concurrent is not None and len(state["inflight"]) >= limits.concurrent:
        soonest = min(state["inflight"].values())
        waits.append((min(CONCURRENCY_POLL_SECONDS, soonest - now), "concurrent"))
    wait, reason = max(waits)
    if wait > 0:
        return wait, reason
    _record(state, limits=limits, now=now, count=1)
    if limits.concurrent is not None:
        state["inflight"][lease] = now + limits.lease_seconds
    return 0.0, ""


def _record(state: dict, *, limits: Limits, now: float, count: int) -> None:
    for window in limits.windows:
        name = str(int(window.seconds))
        if window.limit <= LOG_LIMIT:
            state["log"].setdefault(name, []).extend([now] * count)
        else:
            bucket = str(int(now // BUCKET_SECONDS * BUCKET_SECONDS))
            hist = state["hist"].setdefault(name, {})
            hist[bucket] = hist.get(bucket, 0) + count


def _window_used(state: dict, *, window: Window) -> int:
    name = str(int(window.seconds))
    if window.limit <= LOG_LIMIT:
        return len(state["log"].get(name, []))
    return sum(state["hist"].get(name, {}).values())


def state_release(
    state: dict, *, limits: Limits, now: float, lease: str, observation: Observation
) -> None:
    """Free the slot and align our windows with what the vendor says is left."""
    _prune(state, limits=limits, now=now)
    state["inflight"].pop(lease, None)
    learned = {60: observation.min_remaining, 86400: observation.day_remaining}
    for window in limits.windows:
        remaining = learned.get(int(window.seconds))
        if remaining is None:
            continue
        missing = (window.limit - remaining) - _window_used(state, window=window)
        if missing > 0:
            # Calls we did not see (another install, a restart): count them as made now.
            only = Limits(windows=(window,))
            _record(state, limits=only, now=now, count=missing)
    block = 0.0
    if observation.status == 429:
        block = observation.retry_after or limits.default_block_seconds
    elif observation.app_min_remaining == 0:
        block = 60.0
    if block > 0:
        state["blocked_until"] = max(state.get("blocked_until", 0.0), now + block)


# --- storage backends -----------------------------------------------------------------------


class Backend(Protocol):
    def acquire(self, *, key: str, limits: Limits, now: float, lease: str) -> tuple[float, str]: ...

    def release(
        self, *, key: str, limits: Limits, now: float, lease: str, observation: Observation
    ) -> None: ...


class MemoryBackend:
    """One process only: tests and the in-process benchmark."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.states: dict[str, dict] = {}

    def acquire(self, *, key, limits, now, lease):
        with self._lock:
            return state_acquire(
                self.states.setdefault(key, {}), limits=limits, now=now, lease=lease
            )

    def release(self, *, key, limits, now, lease, observation):
        with self._lock:
            state_release(
                self.states.setdefault(key, {}),
                limits=limits,
                now=now,
                lease=lease,
                observation=observation,
            )


class DatabaseBackend:
    """One RateGovernorState row per key, locked for each decision. Call it outside any
    long transaction: inside one, the row lock would be held until that transaction ends."""

    def __init__(self, *, using: str = "default") -> None:
        self.using = using
        self._known: set[str] = set()

    def _update(self, key: str, change) -> Any:
        from django.db import transaction

        from syncapp.models import RateGovernorState

        rows = RateGovernorState.objects.using(self.using)
        if key not in self._known:
            rows.get_or_create(key=key)
            self._known.add(key)
        with transaction.atomic(using=self.using):
            row = rows.select_for_update().get(key=key)
            state = dict(row.state or {})
            result = change(state)
            row.state = state
            row.save(update_fields=["state", "updated_at"])
        return result

    def acquire(self, *, key, limits, now, lease):
        return self._update(
            key, lambda state: state_acquire(state, limits=limits, now=now, lease=lease)
        )

    def release(self, *, key, limits, now, lease, observation):
        self._update(
            key,
            lambda state: state_release(
                state, limits=limits, now=now, lease=lease, observation=observation
            ),
        )


class RedisBackend:
    """The same JSON state under one Redis key, changed optimistically (WATCH/MULTI/EXEC,
    retried when another worker changed it in between)."""

    PREFIX = "hxsync:governor:"
    TTL_SECONDS = 2 * 86400

    def __init__(self, *, url: str | None = None, client: Any = None) -> None:
        if client is None:
            import redis

            client = redis.Redis.from_url(url)
        self.redis = client

    def _update(self, key: str, change) -> Any:
        import redis

        name = self.PREFIX + key
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)
                    raw = pipe.get(name)
                    state = json.loads(raw) if raw else {}
                    result = change(state)
                    pipe.multi()
                    pipe.set(name, json.dumps(state), ex=self.TTL_SECONDS)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def acquire(self, *, key, limits, now, lease):
        return self._update(
            key, lambda state: state_acquire(state, limits=limits, now=now, lease=lease)
        )

    def release(self, *, key, limits, now, lease, observation):
        self._update(
            key,
            lambda state: state_release(
                state, limits=limits, now=now, lease=lease, observation=observation
            ),
        )


def default_backend() -> Backend:
    """Redis when REDIS_URL is set, else the database."""
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    return RedisBackend(url=url) if url else DatabaseBackend()


# --- the governor ---------------------------------------------------------------------------


@dataclass
class Lease:
    key: str
    id: str
    holds_slot: bool


@dataclass
class RateGovernor:
    """What ProviderClient calls around every request (see base.Governor)."""

    key: str
    limits: Limits
    backend: Backend = field(default_factory=default_backend)
    clock: Clock = SYSTEM_CLOCK
    max_wait: float = DEFAULT_MAX_WAIT
    waited_seconds: float = 0.0
    granted: int = 0

    def acquire(self) -> Lease:
        lease = Lease(
            key=self.key, id=uuid.uuid4().hex, holds_slot=self.limits.concurrent is not None
        )
        waited = 0.0
        while True:
            wait, reason = self.backend.acquire(
                key=self.key, limits=self.limits, now=self.clock.time(), lease=lease.id
            )
            if wait <= 0:
                self.granted += 1
                return lease
            if waited + wait > self.max_wait:
                raise GovernorWouldWait(wait, key=self.key, reason=reason)
            self.clock.sleep(wait)
            waited += wait
            self.waited_seconds += wait

    def release(
        self, lease: Lease, *, status: int | None, headers: Mapping[str, str] | None
    ) -> None:
        observation = Observation.from_response(status=status, headers=headers)
        if not lease.holds_slot and not observation.teaches:
            return  # nothing to free or learn: save the round trip
        self.backend.release(
            key=self.key,
            limits=self.limits,
            now=self.clock.time(),
            lease=lease.id,
            observation=observation,
        )


def governor_for_harvest(*, account_id: str, **options: Any) -> RateGovernor:
    return RateGovernor(key=f"harvest:{account_id}", limits=HARVEST_LIMITS, **options)


def governor_for_xero(*, tenant_id: str, **options: Any) -> RateGovernor:
    return RateGovernor(key=f"xero:{tenant_id}", limits=XERO_LIMITS, **options)

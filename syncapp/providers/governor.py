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
from functools import cache
from typing import Any, Protocol

from syncapp.providers.clock import SYSTEM_CLOCK, Clock
from syncapp.providers.errors import GovernorWouldWait
from syncapp.providers.governor_state import (
    GUARD_SECONDS,
    HARVEST_LIMITS,
    XERO_LIMITS,
    Limits,
    Observation,
    Window,
    state_acquire,
    state_release,
)

__all__ = [
    "GUARD_SECONDS",
    "HARVEST_LIMITS",
    "XERO_LIMITS",
    "DatabaseBackend",
    "Lease",
    "Limits",
    "MemoryBackend",
    "Observation",
    "RateGovernor",
    "RedisBackend",
    "Window",
    "default_backend",
    "governor_for_harvest",
    "governor_for_xero",
]

# Longest a worker sleeps in place for a slot; beyond it GovernorWouldWait lets the task
# reschedule itself and free the worker.
DEFAULT_MAX_WAIT = 30.0


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

    def _update(self, key: str, change) -> Any:
        from django.db import IntegrityError, transaction

        from syncapp.models import RateGovernorState

        rows = RateGovernorState.objects.using(self.using)
        db = transaction.get_connection(self.using)
        # Only our own transaction may skip the flush: inside a caller's it would apply to
        # the caller's writes too.
        relaxed = db.vendor == "postgresql" and not db.in_atomic_block
        with transaction.atomic(using=self.using):
            if relaxed:
                # Rate state is advisory: losing the last few decisions in a crash is harmless,
                # so this commit need not wait for the WAL flush (a quarter of the cost per call).
                with db.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            row = rows.select_for_update().filter(key=key).first()
            if row is None:
                try:
                    with transaction.atomic(using=self.using):
                        row = rows.create(key=key)
                except IntegrityError:
                    # Another worker created it first (PostgreSQL made us wait for its commit).
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
    """Redis when REDIS_URL is set, else the database; one per process (a Redis backend holds
    a connection pool, a database backend remembers which rows exist)."""
    from django.conf import settings

    return _shared_backend(getattr(settings, "REDIS_URL", "") or "")


@cache
def _shared_backend(redis_url: str) -> Backend:
    return RedisBackend(url=redis_url) if redis_url else DatabaseBackend()


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

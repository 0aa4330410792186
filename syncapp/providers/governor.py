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

Under a day budget (`DayBudget`, Xero only) each governor says what its calls are for (`purpose`:
a scheduled poll or bulk work): polls may use the whole allowance and slow down when little is
left, bulk work stops short of the share kept for polls and raises `DayBudgetWait`, whose message
names the organisation and when work resumes. Xero counts the day over a rolling 24 hours, not
from midnight (https://developer.xero.com/documentation/guides/oauth2/limits/: "Day Limit: 5000
calls per day" with X-DayLimit-Remaining; the sandbox and this governor use a rolling window), so
"resumes at" is when enough of our calls have left the window.

A caller that would wait longer than `max_wait` gets `GovernorWouldWait` instead of sleeping, so
its task can give the worker back and reschedule. Waiting goes through an injectable clock: with
`SimulatedClock` the benchmark counts the time instead of sleeping it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from syncapp.providers.clock import SYSTEM_CLOCK, Clock
from syncapp.providers.errors import GovernorWouldWait
from syncapp.providers.governor_state import (
    BULK,
    GUARD_SECONDS,
    HARVEST_LIMITS,
    POLL,
    XERO_LIMITS,
    DayBudget,
    Limits,
    Observation,
    Window,
    state_acquire,
    state_release,
)

__all__ = [
    "BULK",
    "GUARD_SECONDS",
    "HARVEST_LIMITS",
    "POLL",
    "XERO_LIMITS",
    "DatabaseBackend",
    "DayBudget",
    "DayBudgetWait",
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
    "governor_state_read",
]

# Longest a worker sleeps in place for a slot; beyond it GovernorWouldWait lets the task
# reschedule itself and free the worker.
DEFAULT_MAX_WAIT = 30.0


# --- storage backends -----------------------------------------------------------------------


class Backend(Protocol):
    def acquire(
        self, *, key: str, limits: Limits, now: float, lease: str, purpose: str = BULK
    ) -> tuple[float, str]: ...

    def read(self, *, key: str) -> dict:
        """The stored state as it is (for the admin's figures); {} when none."""

    def release(
        self, *, key: str, limits: Limits, now: float, lease: str, observation: Observation
    ) -> None: ...


class MemoryBackend:
    """One process only: tests and the in-process benchmark."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.states: dict[str, dict] = {}

    def acquire(self, *, key, limits, now, lease, purpose=BULK):
        with self._lock:
            return state_acquire(
                self.states.setdefault(key, {}),
                limits=limits,
                now=now,
                lease=lease,
                purpose=purpose,
            )

    def read(self, *, key):
        with self._lock:
            return json.loads(json.dumps(self.states.get(key, {})))

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

    def acquire(self, *, key, limits, now, lease, purpose=BULK):
        return self._update(
            key,
            lambda state: state_acquire(
                state, limits=limits, now=now, lease=lease, purpose=purpose
            ),
        )

    def release(self, *, key, limits, now, lease, observation):
        self._update(
            key,
            lambda state: state_release(
                state, limits=limits, now=now, lease=lease, observation=observation
            ),
        )

    def read(self, *, key):
        from syncapp.models import RateGovernorState

        rows = RateGovernorState.objects.using(self.using)
        return dict(rows.filter(key=key).values_list("state", flat=True).first() or {})


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

    def acquire(self, *, key, limits, now, lease, purpose=BULK):
        return self._update(
            key,
            lambda state: state_acquire(
                state, limits=limits, now=now, lease=lease, purpose=purpose
            ),
        )

    def release(self, *, key, limits, now, lease, observation):
        self._update(
            key,
            lambda state: state_release(
                state, limits=limits, now=now, lease=lease, observation=observation
            ),
        )

    def read(self, *, key):
        raw = self.redis.get(self.PREFIX + key)
        return json.loads(raw) if raw else {}


def default_backend() -> Backend:
    """Redis when REDIS_URL is set, else the database; one per process (a Redis backend holds
    a connection pool, a database backend remembers which rows exist)."""
    from django.conf import settings

    return _shared_backend(getattr(settings, "REDIS_URL", "") or "")


@cache
def _shared_backend(redis_url: str) -> Backend:
    return RedisBackend(url=redis_url) if redis_url else DatabaseBackend()


# --- the governor ---------------------------------------------------------------------------


class DayBudgetWait(GovernorWouldWait):
    """The organisation's day allowance (or bulk work's part of it) is used up; `resumes_at`
    (UTC) is when enough calls will have left Xero's rolling 24-hour window."""

    def __init__(self, seconds: float, *, key: str, reason: str, label: str, now: float) -> None:
        super().__init__(seconds, key=key, reason=reason)
        self.resumes_at = datetime.fromtimestamp(now + seconds, tz=UTC)
        self.label = label
        self.args = (day_wait_message(label=label, reason=reason, now=now, seconds=seconds),)

    def __str__(self) -> str:
        return self.args[0]


def day_wait_message(*, label: str, reason: str, now: float, seconds: float) -> str:
    """Finance's words for a day-budget wait (shown on the run and the integration page)."""
    start = datetime.fromtimestamp(now, tz=UTC)
    at = datetime.fromtimestamp(now + seconds, tz=UTC)
    when = at.strftime("%H:%M UTC")
    if at.date() != start.date():
        when = f"{at:%d %b} at {when}"
    name = label or "this organisation"
    if reason == "day-poll":
        return (
            f"Xero's daily allowance for {name} is running low; polls slow down, the next at "
            f"{when} (Xero counts calls over a rolling 24 hours)."
        )
    return (
        f"Xero's daily allowance for {name} is used up; resumes at {when} "
        "(Xero counts calls over a rolling 24 hours)."
    )


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
    # Under a day budget: what this client's calls are for (POLL or BULK), and the
    # organisation's name for the waiting message.
    purpose: str = BULK
    label: str = ""
    # The last day-budget wait this governor raised (the engine reports it on the run).
    day_wait: DayBudgetWait | None = None

    def acquire(self) -> Lease:
        lease = Lease(
            key=self.key, id=uuid.uuid4().hex, holds_slot=self.limits.concurrent is not None
        )
        waited = 0.0
        while True:
            now = self.clock.time()
            wait, reason = self.backend.acquire(
                key=self.key, limits=self.limits, now=now, lease=lease.id, purpose=self.purpose
            )
            if wait <= 0:
                self.granted += 1
                return lease
            if waited + wait > self.max_wait:
                if reason.startswith("day"):
                    self.day_wait = DayBudgetWait(
                        wait, key=self.key, reason=reason, label=self.label, now=now
                    )
                    raise self.day_wait
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


def governor_for_xero(
    *, tenant_id: str, budget: DayBudget | None = None, **options: Any
) -> RateGovernor:
    """Without `budget` the day is only counted (5,000); with one it is planned (see above)."""
    limits = XERO_LIMITS
    if budget is not None:
        day_free = tuple(w for w in XERO_LIMITS.windows if w.seconds < budget.seconds)
        limits = replace(XERO_LIMITS, windows=day_free, day=budget)
    return RateGovernor(key=f"xero:{tenant_id}", limits=limits, **options)


def governor_state_read(*, key: str, backend: Backend | None = None) -> dict:
    return (backend or default_backend()).read(key=key)

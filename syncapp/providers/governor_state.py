"""The rate governor's decisions, as pure functions on a small JSON-able dict.

state = {"log": {"15": [t, ...]},                  request times per short window
         "hist": {"86400": {"<bucket start>": n}},  a histogram for the day window
         "inflight": {"<lease>": expires_at},       slots held (Xero: 5 at once)
         "blocked_until": t}                        after a 429 / app limit exhausted

Storage backends (syncapp.providers.governor) load the dict, call `state_acquire` or
`state_release` under their lock, and store it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncapp.providers.errors import retry_after_seconds

# Our send time is earlier than the vendor's receive time, so an entry leaves our window a
# little before it leaves theirs; this margin keeps us on the safe side of their count.
GUARD_SECONDS = 1.0
# Windows this long are kept as a histogram of BUCKET_SECONDS buckets instead of a list of
# timestamps (5,000 timestamps per decision would be too heavy); a bucket counts until its end.
LOG_LIMIT = 1000
BUCKET_SECONDS = 600
# How long a worker waits before asking again when all concurrent slots are taken.
CONCURRENCY_POLL_SECONDS = 0.5


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

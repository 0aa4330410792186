"""The rate governor's decisions, as pure functions on a small JSON-able dict.

state = {"log": {"15": [t, ...]},                  request times per short window
         "hist": {"86400": {"<bucket start>": n}},  a histogram for the day window
         "inflight": {"<lease>": expires_at},       slots held (Xero: 5 at once)
         "blocked_until": t,                        after a 429 / app limit exhausted
         "day": {"hist": {...}, "polls": {...},     a planned day budget (Limits.day), see below
                 "allowance": n, "last_poll": t}}

The day budget (Xero's calls per organisation per rolling 24 hours) is planned rather than merely
counted: the allowance starts from the tier (`DayBudget.prior`) and is learned from every answer's
X-DayLimit-Remaining (what is left plus what we sent in the window: calls another install made
count as a smaller allowance, which is what matters for planning). Polls may use all of it, and
slow down when little is left; bulk work stops short of the share kept for polls.

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


POLL = "poll"
BULK = "bulk"
# "Low": polls are spaced out once less than this part of the poll share is left.
POLL_LOW_FRACTION = 0.25


@dataclass(frozen=True)
class DayBudget:
    """One organisation's day: `prior` is the tier's allowance until Xero's headers tell us
    better; `poll_share` of it is kept for polls; `margin` calls are never used (calls in
    flight when an answer taught us the remainder), so the day limit itself is never hit."""

    prior: int
    poll_share: float = 0.3
    margin: int = 5
    seconds: float = 86400.0


@dataclass(frozen=True)
class Limits:
    windows: tuple[Window, ...]
    concurrent: int | None = None
    day: DayBudget | None = None
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


def _uses_log(window: Window) -> bool:
    return window.limit <= LOG_LIMIT and window.seconds <= 3600


def _hist_prune(hist: dict, *, seconds: float, now: float) -> dict:
    edge = now - seconds - GUARD_SECONDS
    return {b: n for b, n in hist.items() if float(b) + BUCKET_SECONDS > edge}


def _hist_wait(hist: dict, *, limit: int, seconds: float, now: float) -> float:
    """How long until fewer than `limit` calls are left in the window (0: now)."""
    used = sum(hist.values())
    if used < limit:
        return 0.0
    freed, wait = 0, 0.0
    for start in sorted(hist, key=float):
        freed += hist[start]
        wait = float(start) + BUCKET_SECONDS + seconds + GUARD_SECONDS - now
        if used - freed < limit:
            break
    return wait


def _bucket(now: float) -> str:
    return str(int(now // BUCKET_SECONDS * BUCKET_SECONDS))


def _prune(state: dict, *, limits: Limits, now: float) -> None:
    logs, hists = state.setdefault("log", {}), state.setdefault("hist", {})
    for window in limits.windows:
        name = str(int(window.seconds))
        edge = now - window.seconds - GUARD_SECONDS
        if _uses_log(window):
            logs[name] = [t for t in logs.get(name, []) if t > edge]
        else:
            hists[name] = _hist_prune(hists.get(name, {}), seconds=window.seconds, now=now)
    if limits.day is not None:
        _day_prune(state, budget=limits.day, now=now)
    inflight = state.setdefault("inflight", {})
    for lease, expires in list(inflight.items()):
        if expires <= now:
            del inflight[lease]
    if state.get("blocked_until", 0) <= now:
        state.pop("blocked_until", None)


def _window_wait(state: dict, *, window: Window, now: float) -> float:
    name = str(int(window.seconds))
    if _uses_log(window):
        log = sorted(state["log"].get(name, []))
        if len(log) < window.limit:
            return 0.0
        # The oldest entry that must leave before one more fits.
        return log[len(log) - window.limit] + window.seconds + GUARD_SECONDS - now
    return _hist_wait(
        state["hist"].get(name, {}), limit=window.limit, seconds=window.seconds, now=now
    )


def state_acquire(
    state: dict, *, limits: Limits, now: float, lease: str, purpose: str = BULK
) -> tuple[float, str]:
    """Take a slot now (returns (0, "")) or say how long to wait and why, changing nothing
    but expired entries. `purpose` (POLL or BULK) matters only under a day budget."""
    _prune(state, limits=limits, now=now)
    waits = [(state.get("blocked_until", now) - now, "blocked")]
    for window in limits.windows:
        waits.append(
            (_window_wait(state, window=window, now=now), f"{window.limit}/{window.seconds:g}s")
        )
    if limits.concurrent is not None and len(state["inflight"]) >= limits.concurrent:
        soonest = min(state["inflight"].values())
        waits.append((min(CONCURRENCY_POLL_SECONDS, soonest - now), "concurrent"))
    if limits.day is not None:
        waits.append(_day_wait(state, budget=limits.day, now=now, purpose=purpose))
    wait, reason = max(waits)
    if wait > 0:
        return wait, reason
    _record(state, limits=limits, now=now, count=1)
    if limits.day is not None:
        _day_record(state, now=now, purpose=purpose)
    if limits.concurrent is not None:
        state["inflight"][lease] = now + limits.lease_seconds
    return 0.0, ""


def _record(state: dict, *, limits: Limits, now: float, count: int) -> None:
    for window in limits.windows:
        name = str(int(window.seconds))
        if _uses_log(window):
            state["log"].setdefault(name, []).extend([now] * count)
        else:
            bucket = _bucket(now)
            hist = state["hist"].setdefault(name, {})
            hist[bucket] = hist.get(bucket, 0) + count


def _window_used(state: dict, *, window: Window) -> int:
    name = str(int(window.seconds))
    if _uses_log(window):
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
    if limits.day is not None and observation.day_remaining is not None:
        day = state["day"]
        used = sum(day["hist"].values())
        day["allowance"] = max(used, observation.day_remaining + used)
    block = 0.0
    if observation.status == 429:
        block = observation.retry_after or limits.default_block_seconds
    elif observation.app_min_remaining == 0:
        block = 60.0
    if block > 0:
        state["blocked_until"] = max(state.get("blocked_until", 0.0), now + block)


# --- the day budget --------------------------------------------------------------------------
# state["day"] = {"hist": {"<bucket start>": n}, "polls": {...}, "allowance": n, "last_poll": t}


def _day_prune(state: dict, *, budget: DayBudget, now: float) -> None:
    day = state.setdefault("day", {})
    day["hist"] = _hist_prune(day.get("hist", {}), seconds=budget.seconds, now=now)
    day["polls"] = _hist_prune(day.get("polls", {}), seconds=budget.seconds, now=now)
    if not day["hist"]:
        # Nothing of ours is left in the window: what we learned is a day old; the tier again.
        day.pop("allowance", None)


def day_allowance(state: dict, *, budget: DayBudget) -> int:
    return int(state.get("day", {}).get("allowance", budget.prior))


def _day_wait(state: dict, *, budget: DayBudget, now: float, purpose: str) -> tuple[float, str]:
    day = state["day"]
    hist = day["hist"]
    allowance = day_allowance(state, budget=budget)
    used = sum(hist.values())
    usable = allowance - budget.margin
    if purpose == POLL:
        if used >= usable:
            return _day_window_wait(hist, limit=usable, budget=budget, now=now), "day"
        left = usable - used
        if left < max(1, budget.poll_share * allowance * POLL_LOW_FRACTION) and hist:
            # Little is left: spread it over the time until our oldest calls leave the window.
            frees_in = _hist_wait(hist, limit=used, seconds=budget.seconds, now=now)
            wait = day.get("last_poll", now) + max(frees_in, 0.0) / left - now
            if wait > 0:
                return wait, "day-poll"
        return 0.0, ""
    kept = max(0, round(budget.poll_share * allowance) - sum(day["polls"].values()))
    limit = usable - kept
    if used >= limit:
        return _day_window_wait(hist, limit=limit, budget=budget, now=now), "day"
    return 0.0, ""


def _day_window_wait(hist: dict, *, limit: int, budget: DayBudget, now: float) -> float:
    if limit <= 0:
        # Less than the margin is left even with nothing of ours in the window: once our calls
        # have left it, the learned allowance is forgotten and the tier's prior applies again.
        limit = 1
    return _hist_wait(hist, limit=limit, seconds=budget.seconds, now=now)


def _day_record(state: dict, *, now: float, purpose: str) -> None:
    day = state["day"]
    bucket = _bucket(now)
    day["hist"][bucket] = day["hist"].get(bucket, 0) + 1
    if purpose == POLL:
        day["polls"][bucket] = day["polls"].get(bucket, 0) + 1
        day["last_poll"] = now


@dataclass(frozen=True)
class DayReport:
    """What the admin shows: calls in the rolling window, today's calls (UTC), the allowance."""

    allowance: int
    learned: bool
    calls_window: int
    polls_window: int
    calls_today: int
    projected_today: int
    bulk_wait: float
    poll_wait: float


def day_report(state: dict, *, budget: DayBudget, now: float) -> DayReport:
    """Read-only: prunes a copy, never the stored state."""
    copy = {
        "day": {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.get("day", {}).items()}
    }
    _day_prune(copy, budget=budget, now=now)
    day = copy["day"]
    midnight = now // 86400 * 86400
    today = sum(n for b, n in day["hist"].items() if float(b) >= midnight)
    elapsed = now - midnight
    # Extrapolate after the first hour only: a few early calls say little about the day.
    projected = round(today * 86400 / elapsed) if elapsed >= 3600 else sum(day["hist"].values())
    return DayReport(
        allowance=day_allowance(copy, budget=budget),
        learned="allowance" in day,
        calls_window=sum(day["hist"].values()),
        polls_window=sum(day["polls"].values()),
        calls_today=today,
        projected_today=max(projected, today),
        bulk_wait=_day_wait(copy, budget=budget, now=now, purpose=BULK)[0],
        poll_wait=_day_wait(copy, budget=budget, now=now, purpose=POLL)[0],
    )

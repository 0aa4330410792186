"""A run that must wait for an organisation's rate limit gives its worker back.

When the shared rate governor would make a run wait longer than a worker may sleep in place
(`GovernorWouldWait`), the run stops where it is: the flow settles what it sent (a batch the
governor refused was never sent; its ledger rows stay prepared and the next pass resends them
with the same Idempotency-Key), the worker frees the lease, and the run goes back to QUEUED with
`due_at` and a note saying what it waits for and until when. A django-q2 schedule of type ONCE
hands it to a worker at `due_at` (the watchdog does too, should that task be lost); meanwhile the
worker serves other integrations. The resumed run is the same SyncRun: it reads from the cursors
that did not move and the ledger skips what was already sent, and its counters count each record
once over all its passes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from syncapp.flows.registry import flow_for_kind
from syncapp.models import SyncEvent, SyncRun
from syncapp.providers.errors import GovernorWouldWait

logger = logging.getLogger(__name__)

# Longest a worker sleeps in place for a rate limit (Harvest's 15-second window fits); a longer
# wait (Xero's minute window, a Retry-After, the day budget) gives the worker back.
WORKER_MAX_SLEEP_SECONDS = 15.0
# When a flow stopped for the governor without saying how long: Xero's window is a minute.
WAIT_DEFAULT_SECONDS = 60.0
# Resume a little after the governor's own answer, so the first request finds its slot free.
WAIT_GUARD_SECONDS = 1.0
ACTION_COUNTERS = (
    "created",
    "updated",
    "linked",
    "conflicts",
    "failed",
    "skipped",
    "held",
    "voided",
)


class WorkerClock:
    """The clock a worker's run waits on: it sleeps short waits in place and refuses a longer
    one with GovernorWouldWait, which the run turns into a re-queue. Whatever asks to wait (the
    governor, however long its `max_wait`, or a retry after a 429) goes through here."""

    def __init__(self, inner=None, *, max_sleep: float | None = None) -> None:
        from django.conf import settings

        from syncapp.providers.clock import SYSTEM_CLOCK

        self.inner = inner if inner is not None else SYSTEM_CLOCK
        default = getattr(settings, "HXSYNC_RUN_MAX_SLEEP_SECONDS", WORKER_MAX_SLEEP_SECONDS)
        # Sleeping beats no heartbeat: a run asleep for longer than a third of the run timeout
        # could be taken for dead (a short timeout, as bench chaos sets, lowers the cap).
        default = min(float(default), settings.HXSYNC_RUN_TIMEOUT_SECONDS / 3)
        self.max_sleep = float(default if max_sleep is None else max_sleep)

    def time(self) -> float:
        return self.inner.time()

    def sleep(self, seconds: float) -> None:
        if seconds > self.max_sleep:
            raise GovernorWouldWait(
                seconds,
                reason=f"{seconds:.0f} s to wait, more than the {self.max_sleep:g} s a worker "
                "waits in place",
            )
        self.inner.sleep(seconds)

    def __getattr__(self, name):
        # A benchmark's clock keeps its figures (elapsed, slept) readable through this one.
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


@dataclass(frozen=True)
class RunWait:
    seconds: float
    key: str = ""  # the governor's key: "xero:<tenant>", "harvest:<account>"
    reason: str = ""
    message: str = ""  # finance's own words when the wait has them (the day budget's)

    def note(self, *, due: datetime) -> str:
        if self.message:
            return self.message[:255]
        vendor = {"xero": "Xero's ", "harvest": "Harvest's "}.get(self.key.split(":", 1)[0], "a ")
        why = f" ({self.reason})" if self.reason else ""
        text = (
            f"Waiting for {vendor}rate limit{why}; resumes by itself "
            f"at {due:%Y-%m-%d %H:%M:%S} UTC. Other integrations use the worker meanwhile."
        )
        return text[:255]


def clock_now(clock=None) -> datetime:
    """Now on the run's clock: the system's, or a benchmark's simulated one."""
    if clock is None:
        return timezone.now()
    return datetime.fromtimestamp(clock.time(), tz=UTC)


def wait_from_error(exc: GovernorWouldWait) -> RunWait:
    # The day budget's wait (providers.governor.DayBudgetWait) says itself when it resumes.
    message = str(exc) if getattr(exc, "resumes_at", None) is not None else ""
    return RunWait(seconds=exc.seconds, key=exc.key, reason=exc.reason, message=message)


def wait_from_counters(counters: dict) -> RunWait | None:
    """A flow that caught GovernorWouldWait itself (the invoices runner settles its batch and
    stops) says so in its counters: `stopped`, with `wait_seconds`, `wait_key`, `wait_reason`."""
    for name in counters.get("flows_run", []):
        flow = counters.get(name) or {}
        if not flow.get("stopped"):
            continue
        seconds = flow.get("wait_seconds")
        return RunWait(
            seconds=float(WAIT_DEFAULT_SECONDS if seconds is None else seconds),
            key=flow.get("wait_key") or "",
            reason=flow.get("wait_reason") or "",
        )
    return None


def run_requeue(*, run: SyncRun, wait: RunWait, counters: dict, now: datetime) -> SyncRun:
    """Back to QUEUED until the wait is over; the caller frees the lease right after."""
    due = now + timedelta(seconds=max(wait.seconds, 0.0) + WAIT_GUARD_SECONDS)
    counters = {**counters, "waits": int(counters.get("waits", 0)) + 1}
    counters.pop("resume_event_id", None)
    note = wait.note(due=due)
    requeued = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.QUEUED, due_at=due, note=note, counters=counters, heartbeat_at=None
    )
    run.refresh_from_db()
    if requeued:
        logger.info("sync run %s waits for %s until %s", run.pk, wait.key or "a rate limit", due)
        transaction.on_commit(lambda: _wake_schedule(run_id=run.pk, at=due))
    return run


def _wake_schedule(*, run_id: int, at: datetime) -> None:
    from syncapp.schedules import run_wake_schedule

    run_wake_schedule(run_id=run_id, at=at)


# --- counting each record once over a run's passes --------------------------------------------


def run_resume_mark(*, run: SyncRun) -> dict:
    """At the start of a resumed pass: remember where its events begin."""
    prior = dict(run.counters or {})
    if prior.get("waits"):
        last = SyncEvent.objects.filter(run=run).aggregate(last=Max("id"))["last"] or 0
        prior["resume_event_id"] = last
        # Progress is this pass's: it reads again from the cursors that did not move.
        SyncRun.objects.filter(pk=run.pk).update(total=0, done=0)
    return prior


def counters_merge(*, run: SyncRun, prior: dict, current: dict) -> dict:
    """The counters of all the run's passes: sums, with a record met in an earlier pass and
    again in this one counted once, as it ended (a record created before the wait and skipped
    as already sent after it stays created)."""
    boundary = prior.get("resume_event_id")
    if not prior.get("waits") or boundary is None:
        return current
    merged: dict = {k: v for k, v in prior.items() if k not in ("resume_event_id",)}
    names = list(dict.fromkeys([*prior.get("flows_run", []), *current.get("flows_run", [])]))
    merged["flows_run"] = names
    for name in names:
        before, now = dict(prior.get(name) or {}), dict(current.get(name) or {})
        flow = {**before, **now}
        for key in (*ACTION_COUNTERS, "xero_calls", "harvest_calls"):
            flow[key] = int(before.get(key, 0)) + int(now.get(key, 0))
        if "stopped" not in now:
            flow.pop("stopped", None)
        merged[name] = flow
    for kind, previous, latest in _records_met_twice(run=run, boundary=boundary):
        flow = merged.get(flow_for_kind(kind).name)
        if flow is None:
            continue
        ended = previous if latest == "skipped" and previous != "skipped" else latest
        flow[previous] -= 1
        flow[latest] -= 1
        flow[ended] += 1
    return merged


def _records_met_twice(*, run: SyncRun, boundary: int):
    from syncapp.flows.base import ACTION_COUNTER

    last: dict[tuple[str, str], list] = {}
    rows = (
        SyncEvent.objects.filter(run=run)
        .order_by("id")
        .values_list("id", "kind", "harvest_id", "xero_id", "action")
    )
    for pk, kind, harvest_id, xero_id, action in rows.iterator(chunk_size=2000):
        record = harvest_id or xero_id
        if not record:
            continue
        ends = last.setdefault((kind, record), [None, None])
        ends[0 if pk <= boundary else 1] = ACTION_COUNTER[SyncEvent.Action(action)]
    for (kind, _), (previous, latest) in last.items():
        if previous is not None and latest is not None:
            yield kind, previous, latest

"""Each Xero organisation's day budget: the plan the governor keeps, in finance's words.

The governor (syncapp.providers.governor) does the planning; this module says what a connection's
budget is (its tier as the prior, the poll share from settings), builds the run's governor with
it, and reads the governor's state back for the integration page: calls today, the allowance, the
projection for the day, and whether work is waiting for the allowance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from syncapp.models import Connection, SyncRun
from syncapp.providers.governor import (
    BULK,
    POLL,
    DayBudget,
    day_wait_message,
    governor_for_xero,
    governor_state_read,
)
from syncapp.providers.governor_state import day_report

DEFAULT_POLL_SHARE = 0.3


def xero_day_budget(*, tier: str) -> DayBudget:
    """The tier as the prior; HXSYNC_XERO_POLL_SHARE of the allowance kept for polls."""
    share = float(getattr(settings, "HXSYNC_XERO_POLL_SHARE", DEFAULT_POLL_SHARE))
    prior = Connection.XERO_TIER_ALLOWANCE.get(tier, 1000)
    return DayBudget(prior=prior, poll_share=min(max(share, 0.0), 1.0))


def xero_label(*, connection: Connection) -> str:
    return connection.account_name or str(connection.integration)


def run_purpose(*, run: SyncRun) -> str:
    """A scheduled run is a poll; everything a person or an event asked for is bulk work."""
    return POLL if run.trigger == SyncRun.Trigger.SCHEDULE else BULK


def xero_governor_for_run(*, connection: Connection, run: SyncRun, **options: Any):
    """The run's Xero governor, planning the organisation's day."""
    return governor_for_xero(
        tenant_id=connection.account_id,
        budget=xero_day_budget(tier=connection.xero_tier),
        purpose=run_purpose(run=run),
        label=xero_label(connection=connection),
        **options,
    )


@dataclass(frozen=True)
class XeroDayFigures:
    calls_today: int
    projected_today: int
    allowance: int
    learned: bool
    calls_window: int
    polls_window: int
    waiting: str  # finance's sentence when bulk work waits for the allowance; "" otherwise

    @property
    def summary(self) -> str:
        basis = "learned from Xero" if self.learned else "from the tier"
        text = (
            f"{self.calls_today:,} Xero calls today (UTC); about {self.projected_today:,} by "
            f"midnight at this pace; allowance {self.allowance:,} a day ({basis})"
        )
        if self.projected_today > self.allowance:
            text += " — more than the allowance: polls slow down and bulk work waits"
        return text + "."


def xero_day_figures(
    *,
    tier: str,
    label: str,
    tenant_id: str,
    state: dict | None = None,
    now: float | None = None,
    backend=None,
) -> XeroDayFigures:
    """The organisation's day so far, from the governor's state (read now when not given)."""
    now = time.time() if now is None else now
    budget = xero_day_budget(tier=tier)
    if state is None:
        state = governor_state_read(key=f"xero:{tenant_id}", backend=backend)
    report = day_report(state, budget=budget, now=now)
    waiting = ""
    if report.bulk_wait > 0:
        waiting = day_wait_message(label=label, reason="day", now=now, seconds=report.bulk_wait)
    return XeroDayFigures(
        calls_today=report.calls_today,
        projected_today=report.projected_today,
        allowance=report.allowance,
        learned=report.learned,
        calls_window=report.calls_window,
        polls_window=report.polls_window,
        waiting=waiting,
    )


def connection_day_figures(*, connection: Connection, **options: Any) -> XeroDayFigures:
    return xero_day_figures(
        tier=connection.xero_tier,
        label=xero_label(connection=connection),
        tenant_id=connection.account_id,
        **options,
    )

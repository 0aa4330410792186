"""The journals poll's cadence (its registry entry's `poll_due`).

The month's journal is built in the first days of the next month (time is often entered late, so
it is looked at every 6 hours until the 5th); after that, once a day, in case a closed month's
time is corrected. A poll that finds nothing changed costs two Harvest calls and no Xero call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from syncapp.models import Integration, SyncRun

MONTH_END_DAYS = 5
MONTH_END_EVERY = timedelta(hours=6)
OTHERWISE_EVERY = timedelta(hours=24)
SLACK = timedelta(seconds=5)


def journals_poll_due(*, integration: Integration, now: datetime) -> bool:
    last = (
        SyncRun.objects.filter(
            integration=integration,
            flow__in=("journals", SyncRun.Flow.ALL),
            trigger=SyncRun.Trigger.SCHEDULE,
            dry_run=False,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    every = MONTH_END_EVERY if now.day <= MONTH_END_DAYS else OTHERWISE_EVERY
    return last is None or now - last >= every - SLACK

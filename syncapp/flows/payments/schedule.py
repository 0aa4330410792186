"""The payments poll's cadence (its registry entry's `poll_due`): when an integration is due.

The schedule fires every minute. An integration that receives webhooks (a key is set for it or
for the install) is polled every PAYMENTS_POLL_MINUTES_WITH_WEBHOOKS minutes to catch up after
downtime; one without webhooks every PAYMENTS_POLL_MINUTES, which keeps Xero -> Harvest within a
minute. Each poll costs two Xero calls (invoices and payments changed since the cursors), so a
one-minute poll spends about 2,900 of an organisation's 5,000 calls a day: give each
organisation a webhook key when you can.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from syncapp.models import Integration, SyncRun


def poll_minutes(*, integration: Integration) -> int:
    has_webhooks = bool(integration.xero_webhook_key or getattr(settings, "XERO_WEBHOOK_KEY", ""))
    if has_webhooks:
        return int(getattr(settings, "PAYMENTS_POLL_MINUTES_WITH_WEBHOOKS", 15))
    return int(getattr(settings, "PAYMENTS_POLL_MINUTES", 1))


def payments_poll_due(*, integration: Integration, now=None) -> bool:
    now = now or timezone.now()
    last = (
        SyncRun.objects.filter(
            integration=integration,
            flow__in=(SyncRun.Flow.PAYMENTS, SyncRun.Flow.ALL),
            trigger=SyncRun.Trigger.SCHEDULE,
            dry_run=False,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    # A few seconds of slack so a schedule firing every 60 s is not skipped for being at 59.9 s.
    slack = timedelta(seconds=5)
    return (
        last is None
        or now - last >= timedelta(minutes=poll_minutes(integration=integration)) - slack
    )

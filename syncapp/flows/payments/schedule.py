"""The payments poll's cadence (its registry entry's `poll_due`): when an integration is due.

The schedule fires every minute. An idle poll costs one Xero call (sales invoices modified since
the cursor, payments inline; see runner._payments_poll), and /Payments is swept every
PAYMENTS_SWEEP_MINUTES as well. Without webhooks the poll runs as often as the organisation's day
allows (`budget_poll_minutes`: every 8 minutes on Starter, 180 of its 1,000 calls; every 2 on a
paid tier), or every PAYMENTS_POLL_MINUTES when that is set. With webhooks (a key is set for the
integration or the install) a payment arrives within seconds and the poll is only a catch-up
after downtime, every PAYMENTS_POLL_MINUTES_WITH_WEBHOOKS (default 120).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from syncapp.models import Connection, Integration, SyncRun

DEFAULT_POLL_MINUTES = 8
# Of the Xero calls kept for polls, the payments poll's part (the rest: contacts, invoices).
PAYMENTS_SHARE_OF_POLLS = 0.6
MINUTES_A_DAY = 24 * 60
DEFAULT_POLL_MINUTES_WITH_WEBHOOKS = 120
DEFAULT_SWEEP_MINUTES = 720


def xero_webhooks_on(*, integration: Integration) -> bool:
    """Xero sends this integration's events (a key for it, or one for the whole install)."""
    return bool(integration.xero_webhook_key or getattr(settings, "XERO_WEBHOOK_KEY", ""))


def poll_minutes(*, integration: Integration) -> int:
    if xero_webhooks_on(integration=integration):
        return int(
            getattr(
                settings, "PAYMENTS_POLL_MINUTES_WITH_WEBHOOKS", DEFAULT_POLL_MINUTES_WITH_WEBHOOKS
            )
        )
    configured = getattr(settings, "PAYMENTS_POLL_MINUTES", None)
    if configured:
        return int(configured)
    return budget_poll_minutes(integration=integration)


def budget_poll_minutes(*, integration: Integration) -> int:
    """As often as the organisation's day allows: payments polls (one Xero call each) may use
    PAYMENTS_SHARE_OF_POLLS of the calls kept for polls. A Starter organisation (1,000 calls a
    day, 300 for polls) is polled every 8 minutes, a paid one (5,000) every 2."""
    from syncapp.services.budget import connection_day_figures, xero_day_budget

    connection = integration.connections.filter(provider=Connection.Provider.XERO).first()
    if connection is None:
        return DEFAULT_POLL_MINUTES
    budget = xero_day_budget(tier=connection.xero_tier)
    allowance = connection_day_figures(connection=connection).allowance or budget.prior
    polls_a_day = allowance * budget.poll_share * PAYMENTS_SHARE_OF_POLLS
    return max(1, math.ceil(MINUTES_A_DAY / max(polls_a_day, 1)))


def payments_sweep_due(*, last: datetime | None, now: datetime | None = None) -> bool:
    """Whether this poll also reads /Payments (never swept yet, or not for a while)."""
    minutes = int(getattr(settings, "PAYMENTS_SWEEP_MINUTES", DEFAULT_SWEEP_MINUTES))
    now = now or timezone.now()
    return last is None or now - last >= timedelta(minutes=minutes)


def payments_cadence_text(integration: Integration) -> str:
    """What the integration page says about how fast a Xero payment reaches Harvest."""
    if xero_webhooks_on(integration=integration):
        return (
            "Payments reach Harvest within seconds through Xero webhooks; a catch-up poll "
            f"runs every {poll_minutes(integration=integration)} minutes."
        )
    return (
        f"Payments reach Harvest within {poll_minutes(integration=integration)} minutes; "
        "with Xero webhooks it is seconds."
    )


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

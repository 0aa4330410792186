"""The fallback poll: which integrations get a payments run now.

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

from syncapp.models import Connection, Integration, SyncRun


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


STALE_WEBHOOK_RUN = timedelta(minutes=10)


def _stale_webhook_runs_close() -> int:
    """A webhook run still RUNNING after ten minutes lost its worker; close it, or it would
    stand in for the poll forever (a queued or running payments run blocks a new one)."""
    now = timezone.now()
    return SyncRun.objects.filter(
        flow=SyncRun.Flow.PAYMENTS,
        trigger=SyncRun.Trigger.WEBHOOK,
        status=SyncRun.Status.RUNNING,
        started_at__lt=now - STALE_WEBHOOK_RUN,
    ).update(
        status=SyncRun.Status.FAILED,
        finished_at=now,
        error="The worker stopped before this webhook run finished; the fallback poll takes over.",
    )


def payments_poll_request() -> list[int]:
    """Queue a payments run for each active, connected integration whose poll is due."""
    from syncapp.services.runs import sync_run_request

    _stale_webhook_runs_close()
    queued = []
    integrations = Integration.objects.filter(is_active=True).prefetch_related("connections")
    for integration in integrations:
        providers = {
            c.provider
            for c in integration.connections.all()
            if c.status == Connection.Status.ACTIVE
        }
        if providers != {Connection.Provider.HARVEST, Connection.Provider.XERO}:
            continue
        if not payments_poll_due(integration=integration):
            continue
        run, created = sync_run_request(
            integration=integration, flow=SyncRun.Flow.PAYMENTS, trigger=SyncRun.Trigger.SCHEDULE
        )
        if created:
            queued.append(run.pk)
    return queued

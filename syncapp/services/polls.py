"""The schedule's polls, one mechanism for every flow: each flow's registry entry says how often
(`poll_minutes`, or its own `poll_due` when the cadence depends on the integration), and a run is
asked for each active, connected integration when it is due. Asking merges into a run already
queued or running, so a poll never piles runs up; the watchdog first closes runs whose worker
died, so a dead run never stops the polls."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string

from syncapp.engine import flows_never_completed
from syncapp.flows.registry import Flow, flow_get, flows
from syncapp.models import Connection, Integration, SyncRun
from syncapp.services.runs import runs_watchdog, sync_run_request

# A schedule firing every minute is not skipped for arriving a moment early.
SLACK = timedelta(seconds=5)


def integrations_connected():
    """Active integrations whose Harvest and Xero connections both work; the others' pages and
    connections already say why, and polling would only fail again."""
    wanted = {provider for provider, _ in Connection.Provider.choices}
    for integration in Integration.objects.filter(is_active=True).prefetch_related("connections"):
        active = {
            c.provider
            for c in integration.connections.all()
            if c.status == Connection.Status.ACTIVE
        }
        if active == wanted:
            yield integration


def flow_poll_due(*, flow: Flow, integration: Integration, now=None) -> bool:
    now = now or timezone.now()
    if flow.poll_due:
        return import_string(flow.poll_due)(integration=integration, now=now)
    last = (
        SyncRun.objects.filter(
            integration=integration,
            flow__in=(flow.name, SyncRun.Flow.ALL),
            trigger=SyncRun.Trigger.SCHEDULE,
            dry_run=False,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is None or now - last >= timedelta(minutes=flow.poll_minutes) - SLACK


def flow_poll_request(*, name: str, check_due: bool = True) -> list[int]:
    """Ask for a run of one flow on every connected integration where it is due; returns the
    ids of runs newly queued."""
    flow = flow_get(name)
    runs_watchdog()
    queued = []
    for integration in integrations_connected():
        if check_due and not flow_poll_due(flow=flow, integration=integration):
            continue
        # On a fresh install a flow waits for those it needs (invoices need contacts): asking
        # for everything runs them first, under the same lease, instead of holding every
        # invoice for "contacts not there yet".
        first = flows_never_completed(integration_id=integration.pk, names=flow.requires)
        run, created = sync_run_request(
            integration=integration,
            flow=SyncRun.Flow.ALL if first else flow.name,
            trigger=SyncRun.Trigger.SCHEDULE,
        )
        if created:
            queued.append(run.pk)
    return queued


def flows_poll() -> dict[str, list[int]]:
    """The one schedule entry: every polled flow, where due."""
    return {
        flow.name: flow_poll_request(name=flow.name)
        for flow in flows()
        if flow.poll_minutes is not None
    }

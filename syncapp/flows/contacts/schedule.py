"""The periodic contacts poll: Harvest has no webhooks for clients, so changes are read by cursor."""

from __future__ import annotations

from syncapp.models import Connection, Integration, SyncRun
from syncapp.services.runs import sync_run_request

POLL_MINUTES = 5


def contacts_poll_request() -> list[int]:
    """Queue a contacts run for every active, connected integration (none if one is queued)."""
    run_ids = []
    for integration in Integration.objects.filter(is_active=True).prefetch_related("connections"):
        statuses = {c.provider: c.status for c in integration.connections.all()}
        if any(statuses.get(p) != Connection.Status.ACTIVE for p, _ in Connection.Provider.choices):
            continue  # the run page and the connection say why; polling would only fail again
        run, _ = sync_run_request(
            integration=integration, flow=SyncRun.Flow.CONTACTS, trigger=SyncRun.Trigger.SCHEDULE
        )
        run_ids.append(run.pk)
    return run_ids

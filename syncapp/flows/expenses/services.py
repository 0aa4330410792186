"""What the admin calls for expenses: a resync of chosen expenses."""

from __future__ import annotations

from syncapp.models import Integration, SyncRun


def expenses_resync_request(*, integration: Integration, harvest_ids, user=None) -> SyncRun:
    """Queue a run that reads these Harvest expenses again and places them as they are now.
    Ledger rows of documents and people are not expenses: they are left out."""
    from syncapp.services.runs import sync_run_request

    ids = sorted({str(h) for h in harvest_ids if h and str(h).isdigit()}, key=int)
    run, _ = sync_run_request(
        integration=integration,
        flow="expenses",
        trigger=SyncRun.Trigger.RESYNC,
        user=user,
        scope={"harvest_expense_ids": ids},
    )
    return run

"""Running the journals flow against the in-process sandbox, and reading Xero's journals."""

from __future__ import annotations

from decimal import Decimal

from mappings.models import TrackingMapping
from syncapp.models import SyncRun
from tests.flows.expenses.helpers import run_as_a_worker_would


def journals_run(integration, sandbox, *, month: str, dry_run: bool = False) -> SyncRun:
    run = SyncRun.objects.create(
        integration=integration,
        flow="journals",
        trigger=SyncRun.Trigger.COMMAND,
        dry_run=dry_run,
        scope={"month": month},
    )
    return run_as_a_worker_would(sandbox, run)


def journal_setup(integration, *, status: str = "POSTED", debit: str = "cost_of_sales"):
    integration.journal_cost_account_code = "310"
    integration.journal_wip_account_code = "640"
    integration.journal_credit_account_code = "814"
    integration.journal_status = status
    integration.journal_debit = debit
    integration.save()


def tracking_map(integration, sandbox, *, project_id: str, option: str = "Design"):
    TrackingMapping.objects.create(
        integration=integration,
        scope=TrackingMapping.Scope.PROJECT,
        harvest_id=project_id,
        tracking_category="Department",
        tracking_option=option,
    )


def journals_in_xero(sandbox, *, live: bool = True) -> list[dict]:
    found = [
        j
        for j in sandbox.state.xero.manual_journals.values()
        if "(hxsync" in str(j.get("Narration", ""))
    ]
    return [j for j in found if j["Status"] not in ("VOIDED", "DELETED")] if live else found


def debits(journal: dict) -> Decimal:
    return sum(
        (Decimal(str(ln["LineAmount"])) for ln in journal["JournalLines"] if ln["LineAmount"] > 0),
        Decimal(0),
    )


def counters(run: SyncRun) -> dict:
    return run.counters["journals"]

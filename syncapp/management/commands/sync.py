"""Run one flow (or all) in the foreground, for operators and cron.

Logs go to stderr; the last line of stdout is the run's summary as one JSON object. Exit 0 when
the run completed (even if some records failed), non-zero when the run itself could not.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from hxsync.logging import logs_to_stderr
from syncapp.engine import FLOW_ORDER
from syncapp.flows.base import SUMMARY_KEYS
from syncapp.models import Integration, SyncRun
from syncapp.services.runs import sync_run_execute


class Command(BaseCommand):
    help = "Sync one flow (contacts, invoices, payments, ...) or all of them, in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("flow", choices=["all", *FLOW_ORDER])
        parser.add_argument("--integration", type=int, help="Integration id (needed if several)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )

    def handle(self, *args, flow, integration, dry_run, **options):
        logs_to_stderr()
        target = _integration(integration)
        run = SyncRun.objects.create(
            integration=target, flow=flow, trigger=SyncRun.Trigger.COMMAND, dry_run=dry_run
        )
        run = sync_run_execute(run_id=run.pk)
        summary = run_summary(run)
        self.stdout.write(json.dumps(summary))
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"Run #{run.pk} failed: {run.error}")


def run_summary(run: SyncRun) -> dict:
    """The run's totals over its flows under SUMMARY_KEYS, then run facts and per-flow detail."""
    flows = {name: run.counters[name] for name in run.counters.get("flows_run", [])}
    totals = {key: sum(flow.get(key, 0) for flow in flows.values()) for key in SUMMARY_KEYS}
    if len(flows) == 1:
        totals = {**totals, **next(iter(flows.values()))}
    return {
        **totals,
        "run": run.pk,
        "flow": run.flow,
        "dry_run": run.dry_run,
        "status": run.status,
        "error": run.error,
        "flows": flows,
    }


def _integration(integration_id):
    if integration_id is not None:
        try:
            return Integration.objects.get(pk=integration_id)
        except Integration.DoesNotExist:
            raise CommandError(f"No integration with id {integration_id}.") from None
    active = list(Integration.objects.filter(is_active=True))
    if len(active) == 1:
        return active[0]
    if not active:
        raise CommandError("No active integration. Create one in the admin first.")
    choices = ", ".join(f"{i.pk} ({i.name})" for i in active)
    raise CommandError(
        f"Several integrations are active; pass --integration with one of: {choices}"
    )

"""Run one flow (or all) in the foreground, for operators and cron.

Logs go to stderr; the last line of stdout is the run's summary as one JSON object. Exit codes:
0 the run finished and every record went through; 1 the run finished but some records failed
(each says why under Sync events); 2 the run failed, was blocked, or could not start.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hxsync.logging import logs_to_stderr
from syncapp.flows.base import SUMMARY_KEYS
from syncapp.flows.registry import ALL, flow_names
from syncapp.models import Integration, SyncRun
from syncapp.services.runs import sync_run_execute, sync_run_finish

EXIT_FAILURES = 1
EXIT_FAILED = 2


class Command(BaseCommand):
    help = "Sync one flow (contacts, invoices, payments, ...) or all of them, in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("flow", choices=[ALL, *flow_names()])
        parser.add_argument("--integration", type=int, help="Integration id (needed if several)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--month",
            help="journals: the month to journal, as YYYY-MM (default: the last closed month).",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=600.0,
            help="Seconds to wait while another run writes to the integration (default 600).",
        )

    def handle(self, *args, flow, integration, dry_run, wait, month=None, **options):
        logs_to_stderr()
        scope = _month_scope(flow, month)
        target = _integration(integration)
        run = SyncRun.objects.create(
            integration=target,
            flow=flow,
            trigger=SyncRun.Trigger.COMMAND,
            dry_run=dry_run,
            scope=scope,
        )
        finished = sync_run_execute(run_id=run.pk, wait_seconds=wait)
        if finished is None:
            run.refresh_from_db()
            finished = sync_run_finish(
                run=run,
                status=SyncRun.Status.BLOCKED,
                error=f"Gave up after {wait:g} s: {run.note or 'another run is writing'} "
                "Try again later, or pass a longer --wait.",
            )
        self.stdout.write(json.dumps(run_summary(finished)))
        if finished.status == SyncRun.Status.WITH_FAILURES:
            self.stderr.write(f"Run #{finished.pk} finished with failures: {finished.error}")
            sys.exit(EXIT_FAILURES)
        if finished.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(
                f"Run #{finished.pk} {finished.get_status_display().lower()}: {finished.error}",
                returncode=EXIT_FAILED,
            )


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


def _month_scope(flow: str, month: str | None) -> dict:
    """--month goes into the run's scope; only the journals flow honours it."""
    if month is None:
        return {}
    if flow != "journals":
        raise CommandError("--month is for 'sync journals' only.", returncode=EXIT_FAILED)
    from syncapp.flows.journals.plan import last_closed_month, month_parse

    try:
        chosen = month_parse(month)
    except ValueError as error:
        raise CommandError(str(error), returncode=EXIT_FAILED) from None
    if chosen > last_closed_month(timezone.localdate()):
        raise CommandError(
            f"{month} is not closed yet: a cost journal is for a month that has ended. "
            "Pick an earlier month.",
            returncode=EXIT_FAILED,
        )
    return {"month": f"{chosen:%Y-%m}"}


def _integration(integration_id):
    if integration_id is not None:
        try:
            return Integration.objects.get(pk=integration_id)
        except Integration.DoesNotExist:
            raise CommandError(f"No integration with id {integration_id}.", returncode=2) from None
    active = list(Integration.objects.filter(is_active=True))
    if len(active) == 1:
        return active[0]
    if not active:
        raise CommandError("No active integration. Create one in the admin first.", returncode=2)
    choices = ", ".join(f"{i.pk} ({i.name})" for i in active)
    raise CommandError(
        f"Several integrations are active; pass --integration with one of: {choices}",
        returncode=2,
    )

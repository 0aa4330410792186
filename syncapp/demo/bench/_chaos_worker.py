"""One trigger of `bench chaos`, as its own OS process (so it can be SIGKILLed):

    python -m syncapp.demo.bench._chaos_worker KIND INTEGRATION_ID [ARG]

KIND is what asked for the run, each through the service a real trigger uses:
`everything` ("Sync now"), `poll` (ARG: the flow; the schedule's request), `resync` (ARG: Harvest
invoice ids, comma separated; the admin's ledger resync), `webhook` (ARG: WebhookEvent ids; the
webhook task) and `drain` (a django-q2 worker taking the runs queued and kicked meanwhile). The
worker then performs the run itself, waiting for the integration's lease as a task would, and
then the runs queued behind it. The CLI trigger is `manage.py sync` itself.
"""

from __future__ import annotations

import os
import sys

WAIT_SECONDS = 60.0


def _perform(run_id: int) -> None:
    from syncapp.models import SyncRun
    from syncapp.services.runs import sync_run_execute

    # So the benchmark can tell which process writes (and kill it mid-run).
    SyncRun.objects.filter(pk=run_id).update(task_id=f"chaos-pid-{os.getpid()}")
    sync_run_execute(run_id=run_id, wait_seconds=WAIT_SECONDS)


def _request(integration, **options) -> None:
    from syncapp.services.runs import sync_run_request

    run, _ = sync_run_request(integration=integration, **options)
    _perform(run.pk)


def _poll(integration, flow: str) -> None:
    """What the schedule's poll asks for one integration (services.polls), minus the other
    integrations of this database: the benchmark must not sync the demo's."""
    from syncapp.engine import flows_never_completed
    from syncapp.flows.registry import flow_get
    from syncapp.models import SyncRun
    from syncapp.services.runs import runs_watchdog

    runs_watchdog()
    first = flows_never_completed(integration_id=integration.pk, names=flow_get(flow).requires)
    _request(
        integration,
        flow=SyncRun.Flow.ALL if first else flow,
        trigger=SyncRun.Trigger.SCHEDULE,
    )


def _drain(integration) -> None:
    from syncapp.models import SyncRun

    done: set[int] = set()
    while True:
        run_id = (
            SyncRun.objects.filter(integration=integration, status=SyncRun.Status.QUEUED)
            .exclude(pk__in=done)
            .order_by("created_at")
            .values_list("pk", flat=True)
            .first()
        )
        if run_id is None:
            return
        done.add(run_id)
        _perform(run_id)


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hxsync.settings")
    django.setup()
    from syncapp.models import Integration, SyncRun
    from syncapp.services.webhook_runs import webhook_events_process

    kind, integration = argv[0], Integration.objects.get(pk=int(argv[1]))
    arg = argv[2] if len(argv) > 2 else ""
    if kind == "everything":
        _request(integration, flow=SyncRun.Flow.ALL, trigger=SyncRun.Trigger.MANUAL)
    elif kind == "poll":
        _poll(integration, arg)
    elif kind == "resync":
        ids = [int(i) for i in arg.split(",") if i]
        _request(
            integration,
            flow=SyncRun.Flow.INVOICES,
            trigger=SyncRun.Trigger.RESYNC,
            scope={"harvest_invoice_ids": ids},
        )
    elif kind == "webhook":
        ids = [int(i) for i in arg.split(",") if i]
        webhook_events_process(event_ids=ids, wait_seconds=WAIT_SECONDS)
    elif kind == "drain":
        _drain(integration)
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")
    _drain(integration)  # what was queued behind this run, as the kicked task would


if __name__ == "__main__":
    main(sys.argv[1:])

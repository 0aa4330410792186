"""Run by test_budgets_processes in separate processes sharing one database (not collected):

    python -m tests.flows.budgets.budget_worker run RUN_ID WAIT
        executes queued budgets run RUN_ID (waiting up to WAIT seconds for the lease)
    python -m tests.flows.budgets.budget_worker record INTEGRATION_ID PROJECT_ID START_AT
        records and sends one project's crossings directly, at START_AT (a Unix time), with no
        lease: the unique constraints alone must keep the two processes from both sending

Mail goes to Django's in-memory backend; prints one JSON line with what this process sent.
"""

import json
import os
import sys
import time
from decimal import Decimal


def main(argv):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hxsync.settings")
    django.setup()
    from django.conf import settings
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    if argv[0] == "run":
        from syncapp.services.runs import sync_run_execute

        run = sync_run_execute(run_id=int(argv[1]), wait_seconds=float(argv[2]))
        result = {"status": run.status, "counters": run.counters.get("budgets", {})}
    else:
        result = record_directly(int(argv[1]), argv[2], float(argv[3]))
    result["sent"] = [{"subject": m.subject, "to": m.to} for m in mail.outbox]
    print(json.dumps(result), flush=True)


def record_directly(integration_id: int, project_id: str, start_at: float) -> dict:
    from syncapp.flows.budgets.apply import alerts_record, alerts_send
    from syncapp.flows.budgets.plan import MonthUse, budget_of, budget_status, month_start
    from syncapp.models import Integration

    integration = Integration.objects.get(pk=integration_id)
    budget = budget_of(
        project_id=project_id,
        project_name="Race",
        client_name="Both workers",
        budget_by="project",
        hours_budget=Decimal(10),
        cost_budget=None,
        monthly=False,
        include_expenses=False,
    )
    today = time.gmtime()
    month = month_start(__import__("datetime").date(today.tm_year, today.tm_mon, 1))
    status = budget_status(
        budget=budget,
        months=[MonthUse(month, Decimal("9.5"), Decimal(0), Decimal(0))],
        today=month,
        thresholds=(50, 75, 90),
    )
    time.sleep(max(0.0, start_at - time.time()))
    project = alerts_record(integration=integration, status=status, thresholds=status.crossed)
    if project.alerts:
        alerts_send(integration=integration, project=project, recipients=["finance@agency.example"])
    return {"recorded": [alert.threshold for alert in project.alerts]}


if __name__ == "__main__":
    main(sys.argv[1:])

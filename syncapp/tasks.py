"""django-q2 entry points: take ids, call a service, nothing else."""

from syncapp.services.runs import sync_run_execute


def sync_run_task(run_id: int) -> str | None:
    run = sync_run_execute(run_id=run_id)
    return run.status if run else None

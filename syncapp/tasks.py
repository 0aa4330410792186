"""django-q2 entry points: take ids, call a service, nothing else."""

from syncapp.services.runs import sync_run_execute


def sync_run_task(run_id: int) -> str | None:
    run = sync_run_execute(run_id=run_id)
    return run.status if run else None


def webhook_events_task(event_ids: list[int]) -> dict:
    from syncapp.services.webhook_runs import webhook_events_process

    return webhook_events_process(event_ids=event_ids)


def flows_poll_task() -> dict[str, list[int]]:
    """Every minute: a run of each flow that is due, on each connected integration."""
    from syncapp.services.polls import flows_poll

    return flows_poll()


def runs_watchdog_task() -> dict:
    from syncapp.services.runs import runs_watchdog

    return runs_watchdog()


# Task names that schedules and queued tasks of earlier versions still refer to.
def payments_poll_task() -> list[int]:
    from syncapp.services.polls import flow_poll_request

    return flow_poll_request(name="payments")


def contacts_poll_task() -> list[int]:
    from syncapp.services.polls import flow_poll_request

    return flow_poll_request(name="contacts")


def invoices_poll_task() -> list[int]:
    from syncapp.services.polls import flow_poll_request

    return flow_poll_request(name="invoices")

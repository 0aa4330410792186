"""django-q2 entry points: take ids, call a service, nothing else."""

from syncapp.services.runs import sync_run_execute


def sync_run_task(run_id: int) -> str | None:
    run = sync_run_execute(run_id=run_id)
    return run.status if run else None


def webhook_events_task(event_ids: list[int]) -> dict:
    from syncapp.flows.payments.webhooks import webhook_events_process

    return webhook_events_process(event_ids=event_ids)


def payments_poll_task() -> list[int]:
    """The fallback poll: a payments run for every active integration (none if one is queued)."""
    from syncapp.flows.payments.schedule import payments_poll_request

    return payments_poll_request()


def contacts_poll_task() -> list[int]:
    """Poll Harvest clients / Xero contacts: a contacts run per active integration."""
    from syncapp.flows.contacts.schedule import contacts_poll_request

    return contacts_poll_request()


def invoices_poll_task() -> list[int]:
    """Poll Harvest for new and changed invoices: an invoices run per active integration."""
    from syncapp.flows.invoices.services import invoices_poll_request

    return invoices_poll_request()

"""The recurring work django-q2 runs (polls, reconciliation), kept in one list.

`schedules_ensure()` creates or updates each entry by name; `manage.py start` calls it, and a
production install runs `manage.py schedules` once after each upgrade.
"""

from django_q.models import Schedule

# (name, task function, minutes between runs). Flows add their entries here.
SCHEDULES: list[tuple[str, str, int]] = []

# Xero -> Harvest payments fallback poll (issue 8); decides per integration whether it is due.
SCHEDULES.append(("hxsync: payments fallback poll", "syncapp.tasks.payments_poll_task", 1))
# Harvest invoices -> Xero (issue 7): incremental by cursor; deletions reconciled once a day.
SCHEDULES.append(("hxsync: invoices poll", "syncapp.tasks.invoices_poll_task", 10))


def schedules_ensure() -> list[str]:
    names = []
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
        names.append(name)
    return names


# Harvest clients <-> Xero contacts poll (issue 6): cursors make an idle poll a few reads.
SCHEDULES.append(("hxsync: contacts poll", "syncapp.tasks.contacts_poll_task", 5))

"""The recurring work django-q2 runs, kept in one list.

`schedules_ensure()` creates or updates each entry by name and removes hxsync entries no longer
listed; `manage.py start` calls it, and a production install runs `manage.py schedules` once
after each upgrade. Which flows are polled, and how often, is each flow's registry entry.
"""

from datetime import datetime

from django_q.models import Schedule

PREFIX = "hxsync: "
# One-off wake-ups of runs waiting for a rate limit; not under PREFIX, which schedules_ensure
# prunes.
WAKE_PREFIX = "hxsync run "
# (name, task function, minutes between runs).
SCHEDULES: list[tuple[str, str, int]] = [
    # Each flow decides per integration whether it is due (flows/registry.py poll_minutes).
    (f"{PREFIX}polls", "syncapp.tasks.flows_poll_task", 1),
    # Runs whose worker died are closed and queued runs nobody works on handed out again.
    (f"{PREFIX}watchdog", "syncapp.tasks.runs_watchdog_task", 1),
]


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
    Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=names).delete()
    return names


def run_wake_schedule(*, run_id: int, at: datetime) -> Schedule:
    """Hand the run to a worker at `at` (once): a run waiting for a rate limit sleeps here, in
    the schedule, not in a worker. django-q2 deletes a ONCE schedule with negative repeats after
    it ran."""
    schedule, _ = Schedule.objects.update_or_create(
        name=f"{WAKE_PREFIX}{run_id} resumes",
        defaults={
            "func": "syncapp.tasks.sync_run_task",
            "args": repr((run_id,)),
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": at,
        },
    )
    return schedule

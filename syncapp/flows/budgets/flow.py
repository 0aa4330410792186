"""Harvest project budgets against the cost table; crossings e-mailed once: the registry entry."""

from syncapp.flows.registry import Flow

FLOW = Flow(
    name="budgets",
    label="Budget alerts",
    kinds=(),
    runner="syncapp.flows.budgets.runner.budgets_run",
    # A few times a day: costs move with timesheets, and each crossing is told once anyway.
    poll_minutes=360,
)

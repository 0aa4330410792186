"""Project costs -> one balanced Xero manual journal per month: the registry entry."""

from syncapp.flows.registry import Flow

FLOW = Flow(
    name="journals",
    label="Cost journals",
    kinds=("journal",),
    runner="syncapp.flows.journals.runner.journals_run",
    streams=("harvest.costs.time_entries", "harvest.costs.expenses"),
    poll_minutes=360,
    poll_due="syncapp.flows.journals.schedule.journals_poll_due",
    scopes=("month",),
)

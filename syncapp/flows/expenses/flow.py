"""Harvest expenses -> Xero bills or spend money, receipts attached: the registry entry."""

from syncapp.flows.registry import Flow

FLOW = Flow(
    name="expenses",
    label="Expenses",
    kinds=("expense", "expense_doc", "person"),
    runner="syncapp.flows.expenses.runner.expenses_run",
    streams=("harvest.expenses", "harvest.expenses.full"),
    poll_minutes=15,
    resync="syncapp.flows.expenses.services.expenses_resync_request",
    scopes=("harvest_expense_ids",),
)

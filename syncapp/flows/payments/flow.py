"""Xero payments -> Harvest (and, by option, Harvest payments -> Xero): the registry entry."""

from syncapp.flows.registry import Flow

FLOW = Flow(
    name="payments",
    label="Payments",
    kinds=("payment",),
    runner="syncapp.flows.payments.runner.payments_run",
    streams=(
        "xero.invoices.payments",
        "xero.payments",
        "harvest.invoices.payments",
        "harvest.invoices.payments.links",
    ),
    # The schedule asks every minute; poll_due decides per integration (webhooks or not).
    poll_minutes=1,
    poll_due="syncapp.flows.payments.schedule.payments_poll_due",
    scopes=("xero_invoice_ids",),
)

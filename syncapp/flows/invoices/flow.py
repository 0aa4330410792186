"""Harvest invoices -> Xero invoices and credit notes: the invoices flow's registry entry."""

from syncapp.flows.registry import Flow

FLOW = Flow(
    name="invoices",
    label="Invoices",
    kinds=("invoice", "credit_note"),
    runner="syncapp.flows.invoices.runner.invoices_run",
    streams=("harvest.invoices", "harvest.invoices.full"),
    poll_minutes=10,
    # An invoice needs its client's Xero contact: on a fresh install contacts go first.
    requires=("contacts",),
    resync="syncapp.flows.invoices.services.invoices_resync_request",
    scopes=("harvest_invoice_ids", "harvest_client_ids"),
)

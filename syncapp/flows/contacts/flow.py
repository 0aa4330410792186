"""Harvest clients <-> Xero contacts: the contacts flow's registry entry."""

from syncapp.flows.registry import Flow

FLOW = Flow(
    name="contacts",
    label="Clients → contacts",
    kinds=("client",),
    runner="syncapp.flows.contacts.runner.contacts_run",
    streams=("harvest.clients", "harvest.contacts", "xero.contacts"),
    # Harvest has no webhooks for clients: changes are read by cursor.
    poll_minutes=5,
    scopes=("harvest_client_ids",),
)

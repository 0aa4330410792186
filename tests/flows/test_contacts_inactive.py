"""An archived Harvest client can still owe money: its open invoices must reach Xero."""

import pytest

from syncapp.models import Integration, SyncKind, SyncLink
from tests.flows.conftest import flow_run

pytestmark = pytest.mark.django_db


def test_invoices_of_an_inactive_client_get_their_contact_on_the_next_run(
    sandbox, sandbox_integration
):
    harvest = sandbox.state.harvest
    inactive = {cid for cid, client in harvest.clients.items() if not client["is_active"]}
    owed = [
        inv
        for inv in harvest.invoices.values()
        if inv["_client_id"] in inactive and inv["state"] == "open"
    ]
    assert owed, "the seed has an open invoice of an inactive client"
    Integration.objects.filter(pk=sandbox_integration.pk).update(xero_invoice_status="AUTHORISED")

    first = flow_run(sandbox_integration, "all", sandbox=sandbox)
    assert first.status == "succeeded", first.error
    second = flow_run(sandbox_integration, "all", sandbox=sandbox)
    assert second.status == "succeeded", second.error

    for invoice in owed:
        link = SyncLink.objects.get(
            integration=sandbox_integration, kind=SyncKind.INVOICE, harvest_id=str(invoice["id"])
        )
        assert link.state == SyncLink.State.SYNCED, link.last_error
    contact_ids = {str(inv["_client_id"]) for inv in owed}
    assert SyncLink.objects.filter(
        integration=sandbox_integration,
        kind=SyncKind.CLIENT,
        harvest_id__in=contact_ids,
        xero_id__isnull=False,
    ).count() == len(contact_ids)

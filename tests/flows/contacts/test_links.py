"""What the invoices flow is told about a client's Xero contact, for every ledger state."""

import pytest

from syncapp.flows.contacts.links import contact_link_for_client, contact_links_for_clients
from syncapp.models import Conflict, SyncKind, SyncLink
from tests.factories import ConflictFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def link(integration, harvest_id, **kw):
    return SyncLink.objects.create(
        integration=integration,
        kind=SyncKind.CLIENT,
        harvest_id=harvest_id,
        label=f"Client {harvest_id}",
        **kw,
    )


def test_every_state_answers_with_an_id_or_a_reason():
    integration = IntegrationFactory()
    link(integration, "1", xero_id="x1", state=SyncLink.State.SYNCED)
    link(integration, "2", state=SyncLink.State.CONFLICT)
    ConflictFactory(integration=integration, harvest_id="2", label="Client 2")
    link(integration, "3", state=SyncLink.State.FAILED, last_error="Email address must be valid.")
    link(integration, "4", state=SyncLink.State.SENDING)
    link(integration, "5", xero_id="x5", state=SyncLink.State.FAILED)  # usable: the contact exists
    ConflictFactory(integration=integration, harvest_id="6", status=Conflict.Status.IGNORED)
    answers = contact_links_for_clients(
        integration=integration, harvest_client_ids=[1, 2, 3, 4, 5, 6, 7]
    )
    assert answers["1"].xero_contact_id == "x1" and answers["1"].hold_reason is None
    assert answers["2"].xero_contact_id is None and "contact review" in answers["2"].hold_reason
    assert "Email address must be valid." in answers["3"].hold_reason
    assert "pending" in answers["4"].hold_reason
    assert answers["5"].xero_contact_id == "x5"
    assert "ignore" in answers["6"].hold_reason
    assert "not been synced" in answers["7"].hold_reason
    assert contact_link_for_client(integration=integration, harvest_client_id="1") == ("x1", None)


def test_other_integrations_do_not_leak(django_assert_num_queries):
    mine, other = IntegrationFactory(name="Mine"), IntegrationFactory(name="Other")
    link(other, "1", xero_id="x1", state=SyncLink.State.SYNCED)
    with django_assert_num_queries(2):  # one batch, two queries, whatever its size
        answers = contact_links_for_clients(integration=mine, harvest_client_ids=range(1, 200))
    assert answers["1"].xero_contact_id is None

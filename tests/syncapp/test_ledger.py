from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from syncapp.models import SyncKind, SyncLink
from syncapp.services.ledger import (
    LinkIntent,
    LinkOutcome,
    links_load,
    links_prepare,
    links_settle,
    payload_hash,
)
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def intents(n, amount="10.00"):
    return [
        LinkIntent(harvest_id=str(i), label=f"INV-{i}", payload={"Total": Decimal(amount), "n": i})
        for i in range(n)
    ]


def test_prepare_marks_sending_with_a_deterministic_key_in_constant_queries():
    integration = IntegrationFactory()
    with CaptureQueriesContext(connection) as small:
        links_prepare(integration=integration, kind=SyncKind.INVOICE, intents=intents(2))
    SyncLink.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        links = links_prepare(integration=integration, kind=SyncKind.INVOICE, intents=intents(50))
    assert len(large) == len(small)
    assert {link.state for link in links.values()} == {SyncLink.State.SENDING}
    again = links_prepare(integration=integration, kind=SyncKind.INVOICE, intents=intents(50))
    assert [again[k].idempotency_key for k in sorted(again)] == [
        links[k].idempotency_key for k in sorted(links)
    ]
    assert again["0"].attempts == 2
    assert SyncLink.objects.count() == 50


def test_a_changed_payload_gets_a_new_key():
    integration = IntegrationFactory()
    first = links_prepare(integration=integration, kind=SyncKind.INVOICE, intents=intents(1))
    second = links_prepare(
        integration=integration, kind=SyncKind.INVOICE, intents=intents(1, amount="11.00")
    )
    assert first["0"].idempotency_key != second["0"].idempotency_key


def test_settle_records_success_and_failure_and_keeps_the_xero_id():
    integration = IntegrationFactory()
    links = links_prepare(integration=integration, kind=SyncKind.INVOICE, intents=intents(2))
    links_settle(
        outcomes=[
            LinkOutcome(link=links["0"], xero_id="x-0", payload_hash="h0", snapshot={"a": 1}),
            LinkOutcome(
                link=links["1"], state=SyncLink.State.FAILED, error="Account code 999 is not valid"
            ),
        ]
    )
    stored = links_load(integration=integration, kind=SyncKind.INVOICE)
    assert (stored["0"].state, stored["0"].xero_id, stored["0"].snapshot) == (
        "synced",
        "x-0",
        {"a": 1},
    )
    assert stored["0"].synced_at is not None
    assert (stored["1"].state, stored["1"].last_error) == (
        "failed",
        "Account code 999 is not valid",
    )
    # A later prepare (a resend) keeps what the ledger knew.
    again = links_prepare(integration=integration, kind=SyncKind.INVOICE, intents=intents(1))
    assert again["0"].xero_id == "x-0" and again["0"].payload_hash == "h0"


@given(
    st.dictionaries(
        st.text(max_size=5),
        st.decimals(allow_nan=False, allow_infinity=False, places=2),
        max_size=6,
    )
)
def test_payload_hash_ignores_key_order(payload):
    reordered = dict(reversed(list(payload.items())))
    assert payload_hash(payload) == payload_hash(reordered)

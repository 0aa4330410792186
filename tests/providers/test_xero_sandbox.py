"""End to end against the in-process Xero simulator: Connect to Xero (state + PKCE, verified by
the simulator), typed reads with paging, a batch with one bad record, a rotated refresh, and
disconnect. The simulator validates what it receives against the same OpenAPI contract."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone

from syncapp.models import Connection
from syncapp.providers.xero.factory import xero_client_for_connection
from syncapp.providers.xero.idempotency import idempotency_key_derive, idempotency_key_for_batch
from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app, sandbox_client
from syncapp.sandbox.seed import seed_sandbox
from syncapp.sandbox.xero.seed import PKCE_CLIENT_ID
from syncapp.services.connection_oauth import xero_oauth_finish, xero_oauth_start
from syncapp.services.connections import connection_disconnect
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db
BASE = "http://sandbox"
CALLBACK = "http://127.0.0.1:8000/oauth/xero/callback/"


@pytest.fixture
def sandbox():
    state = SandboxState.empty()
    seed_sandbox(state, seed=0, today=date(2026, 1, 15))
    clock = SimClock(frozen_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    app = build_sandbox_app(state, clock=clock, validate=True, rate_limits=False)
    return app, state, clock


def connect(app, settings):
    settings.XERO_CLIENT_ID = ""  # the sandbox's own PKCE app, named by the caller, is used
    integration = IntegrationFactory()
    session = {}
    url = xero_oauth_start(
        session=session,
        integration=integration,
        redirect_uri=CALLBACK,
        base_url=BASE,
        public_client_id=PKCE_CLIENT_ID,
    )
    parts = urlsplit(url)
    assert parts.path == "/login.xero.com/identity/connect/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == PKCE_CLIENT_ID
    with sandbox_client(app) as browser:
        answer = browser.post(parts.path, data={**query, "consent": "allow"})
    back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    assert back["state"] == query["state"]
    outcome = xero_oauth_finish(
        session=session,
        state=back["state"],
        code=back["code"],
        transport=httpx.WSGITransport(app=app),
    )
    return outcome.connection


def test_connect_read_write_refresh_and_disconnect(sandbox, settings, sim_clock):
    app, state, _ = sandbox
    connection = connect(app, settings)
    assert connection.status == Connection.Status.ACTIVE
    assert connection.account_id == state.xero.tenant_id
    assert connection.client_id == PKCE_CLIENT_ID and connection.client_secret == ""
    transport = httpx.WSGITransport(app=app)

    with xero_client_for_connection(
        connection=connection, transport=transport, governed=False, clock=sim_clock
    ) as xero:
        org = xero.get_organisation()
        assert org.name == connection.account_name
        contacts = list(xero.list_contacts(page_size=5))
        assert len(contacts) > 5  # more than one page, all of them read
        assert len({c.contact_id for c in contacts}) == len(contacts)
        revenue = next(a for a in xero.list_accounts() if a.type == "REVENUE" and a.code)
        tax = next(t for t in xero.list_tax_rates() if t.can_apply_to_revenue)
        good = {
            "Type": "ACCREC",
            "Contact": {"ContactID": contacts[0].contact_id},
            "InvoiceNumber": "HX-E2E-1",
            "Date": "2026-01-10",
            "DueDate": "2026-02-09",
            "LineAmountTypes": "Exclusive",
            "Status": "DRAFT",
            "LineItems": [
                {
                    "Description": "Design",
                    "Quantity": Decimal("3"),
                    "UnitAmount": Decimal("100.00"),
                    "AccountCode": revenue.code,
                    "TaxType": tax.tax_type,
                }
            ],
        }
        bad = {
            **good,
            "InvoiceNumber": "HX-E2E-2",
            "LineItems": [{**good["LineItems"][0], "AccountCode": "NOPE-999"}],
        }
        keys = [
            idempotency_key_derive(
                integration_id=connection.integration_id,
                kind="invoice",
                harvest_id=n,
                payload_hash="f" * 64,
            )
            for n in (1, 2)
        ]
        batch_key = idempotency_key_for_batch(operation="invoices.put", record_keys=keys)
        result = xero.create_invoices(invoices=[good, bad], idempotency_key=batch_key)
        assert [r.ok for r in result] == [True, False]
        assert result.results[0].xero_id
        assert result.results[1].errors  # Xero's own words for the bad account code
        # The same key again replays the first answer: no second invoice.
        again = xero.create_invoices(invoices=[good, bad], idempotency_key=batch_key)
        assert again.results[0].xero_id == result.results[0].xero_id
        created = list(xero.list_invoices(invoice_numbers=["HX-E2E-1"]))
        assert len(created) == 1
        assert created[0].sub_total == Decimal("300.00")

    # An access token about to expire is refreshed through the simulator, which rotates the
    # refresh token; the rotated one is what is stored.
    old_refresh = Connection.objects.get(pk=connection.pk).refresh_token
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=1)
    )
    with xero_client_for_connection(
        connection=connection, transport=transport, governed=False, clock=sim_clock
    ) as xero:
        assert xero.get_organisation().name == connection.account_name
    connection.refresh_from_db()
    assert connection.refresh_token != old_refresh
    assert connection.token_expires_at > timezone.now() + timedelta(minutes=25)

    warnings = connection_disconnect(connection=connection, transport=transport)
    assert warnings == []
    assert connection.status == Connection.Status.DISABLED
    assert state.xero.connections == {} or all(
        c["client_id"] != PKCE_CLIENT_ID for c in state.xero.connections.values()
    )

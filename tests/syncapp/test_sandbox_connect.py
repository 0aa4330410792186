from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from syncapp.demo.sandbox_connect import sandbox_connect
from syncapp.models import Connection, Integration
from syncapp.sandbox.xero.seed import PKCE_CLIENT_ID
from tests.flows.conftest import SANDBOX_URL, sandbox_build, sandbox_served

pytestmark = pytest.mark.django_db
# The admin form's URL field wants a dotted host; the in-process transport ignores the host.
FORM_URL = "http://sandbox.test"


def test_connects_both_sides_through_the_real_paths_and_reuses_the_integration():
    sandbox = sandbox_build(validate=True)
    first = sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    again = sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    assert first.pk == again.pk
    assert Integration.objects.count() == 1
    connections = {c.provider: c for c in first.connections.all()}
    harvest, xero = connections["harvest"], connections["xero"]
    assert harvest.auth_method == Connection.AuthMethod.TOKEN
    assert harvest.account_id == str(sandbox.credentials["harvest"]["account_id"])
    assert xero.auth_method == Connection.AuthMethod.OAUTH
    assert xero.account_id == sandbox.credentials["xero"]["tenant_id"]
    assert xero.refresh_token and xero.token_expires_at
    assert {harvest.status, xero.status} == {Connection.Status.ACTIVE}
    assert xero.base_url == harvest.base_url == SANDBOX_URL


def test_command_prints_the_integration_id_alone_on_the_last_line():
    with sandbox_served(sandbox_build(validate=False)) as url:
        out = StringIO()
        call_command("sandbox", "connect", "--url", url, stdout=out)
    last_line = out.getvalue().strip().splitlines()[-1]
    assert last_line == str(Integration.objects.get().pk)


def test_command_without_a_served_sandbox_says_how_to_start_it():
    with pytest.raises(CommandError, match="sandbox serve"):
        call_command("sandbox", "connect", "--url", "http://127.0.0.1:9", stdout=StringIO())


def test_the_demo_integration_syncs_the_seeded_agency_cleanly():
    """What the README demo promises: after one sync, contacts and invoices are in Xero and
    the seeded near-duplicates wait in review; nothing fails."""
    from mappings.models import AccountMapping, TaxMapping
    from syncapp.demo.bench.invoices import SharedClock
    from syncapp.models import Conflict, SyncRun
    from syncapp.services.runs import sync_run_execute

    sandbox = sandbox_build(validate=False)
    integration = sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    assert AccountMapping.objects.filter(integration=integration).count() == 3
    assert TaxMapping.objects.filter(integration=integration).count() == 5

    run = SyncRun.objects.create(integration=integration, flow="all")
    # Everything (receipts included) is more than Xero's 60 calls a minute: on the sandbox's
    # clock the run waits for the next minute in place instead of going back to the queue.
    run = sync_run_execute(
        run_id=run.pk, transport=sandbox.transport, clock=SharedClock(sandbox.clock)
    )
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    contacts, invoices = run.counters["contacts"], run.counters["invoices"]
    assert contacts["failed"] == 0 and contacts["created"] > 20
    assert Conflict.objects.filter(integration=integration, status="open").count() >= 7
    assert invoices["failed"] == 0, run.events.filter(action="fail").values_list(
        "label", "message"
    )[:5]
    assert invoices["created"] > 50
    payments = run.counters["payments"]
    assert payments["failed"] == 0 and payments["created"] > 100  # Harvest's payments reach Xero
    accrec = [i for i in sandbox.state.xero.invoices.values() if i["Type"] == "ACCREC"]
    assert sum(1 for i in accrec if i["Status"] == "AUTHORISED") > 50
    # Expenses: every mode mapped but Travel, which waits for finance with its reason.
    expenses = run.counters["expenses"]
    assert expenses["failed"] == 0 and expenses["created"] > 20
    assert expenses["bills_created"] > 0 and expenses["bank_transactions_created"] > 0
    assert expenses["attachments_uploaded"] > 20
    assert {p["subject"] for p in expenses["preflight"] if p["blocking"]} == {"Travel"}


def test_the_demo_names_the_sandbox_app_even_when_a_real_xero_app_is_configured(settings):
    """The product no longer guesses the sandbox's app: the demo wiring names it, it wins over
    XERO_CLIENT_ID (which the sandbox does not know) and the connection keeps it."""
    settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET = "REAL-APP", "real-secret"
    sandbox = sandbox_build(validate=False)
    integration = sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    xero = integration.connections.get(provider=Connection.Provider.XERO)
    assert (xero.client_id, xero.client_secret) == (PKCE_CLIENT_ID, "")
    assert xero.status == Connection.Status.ACTIVE


def test_reconnecting_from_the_admin_reuses_the_app_the_connection_was_made_with(
    client, admin_user, settings
):
    settings.XERO_CLIENT_ID = ""
    sandbox = sandbox_build(validate=False)
    integration = sandbox_connect(url=FORM_URL, transport=sandbox.transport)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:syncapp_connection_connect_xero"),
        {"integration": integration.pk, "base_url": FORM_URL},
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["client_id"] == [PKCE_CLIENT_ID]


def test_a_new_sandbox_url_without_an_app_asks_for_one(client, admin_user, settings):
    """Before, the product quietly fell back to the sandbox's own app; now it says what to set."""
    settings.XERO_CLIENT_ID = ""
    integration = Integration.objects.create(name="Elsewhere")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:syncapp_connection_connect_xero"),
        {"integration": integration.pk, "base_url": FORM_URL},
    )
    assert response.status_code == 200
    assert "No Xero app is configured: set XERO_CLIENT_ID" in response.content.decode()
    assert not Connection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_webhooks_command_subscribes_the_served_sandbox_to_a_running_hxsync(live_server):
    sandbox = sandbox_build(validate=False)
    with sandbox_served(sandbox) as url:
        integration = sandbox_connect(url=url)
        out = StringIO()
        call_command("sandbox", "webhooks", "--receiver", live_server.url, stdout=out)
    integration.refresh_from_db()
    assert integration.xero_webhook_key
    assert f"{live_server.url}/webhooks/xero/" in out.getvalue()
    assert integration.xero_webhook_key not in out.getvalue()


def test_webhooks_command_without_the_demo_integration_says_to_connect_first():
    with pytest.raises(CommandError, match="sandbox connect"):
        call_command("sandbox", "webhooks", stdout=StringIO())


def test_the_webhook_keys_page_offers_no_sandbox_button(client, admin_user):
    sandbox = sandbox_build(validate=False)
    sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    client.force_login(admin_user)
    body = client.get(reverse("admin:syncapp_webhookevent_keys")).content.decode()
    assert "Sandbox agency" in body
    assert "subscribe_sandbox" not in body and "sandbox's webhooks" not in body

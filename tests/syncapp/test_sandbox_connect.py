from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from syncapp.models import Connection, Integration
from syncapp.demo.sandbox_connect import sandbox_connect
from tests.flows.conftest import SANDBOX_URL, sandbox_build, sandbox_served

pytestmark = pytest.mark.django_db


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
    from syncapp.models import Conflict, SyncRun
    from syncapp.services.runs import sync_run_execute

    sandbox = sandbox_build(validate=False)
    integration = sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    sandbox_connect(url=SANDBOX_URL, transport=sandbox.transport)
    assert AccountMapping.objects.filter(integration=integration).count() == 3
    assert TaxMapping.objects.filter(integration=integration).count() == 5

    run = SyncRun.objects.create(integration=integration, flow="all")
    run = sync_run_execute(run_id=run.pk, transport=sandbox.transport)
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

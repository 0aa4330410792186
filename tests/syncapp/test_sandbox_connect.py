from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from syncapp.models import Connection, Integration
from syncapp.services.sandbox_connect import sandbox_connect
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

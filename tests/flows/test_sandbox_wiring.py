"""The engine reaches both sandbox simulators through the real clients built from Connections."""

from contextlib import ExitStack

import pytest

from syncapp import engine
from syncapp.models import SyncRun

pytestmark = pytest.mark.django_db


def test_engine_clients_talk_to_the_sandbox(sandbox, sandbox_integration):
    run = SyncRun.objects.create(integration=sandbox_integration)
    connections = engine.run_preflight(run=run)
    with ExitStack() as stack:
        harvest, xero = engine.run_clients(
            connections=connections, stack=stack, transport=sandbox.transport
        )
        company = harvest.get_company()
        organisation = xero.get_organisation()
    assert company.name
    assert organisation.name
    assert (harvest.calls, xero.calls) == (1, 1)

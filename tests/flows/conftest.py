"""Flows run end to end against the in-process sandbox, through the real clients and engine."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from syncapp.models import Connection, Integration, SyncRun
from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app
from syncapp.sandbox.core.runner import sandbox_credentials
from syncapp.sandbox.seed import seed_sandbox
from syncapp.services.runs import sync_run_execute

SANDBOX_URL = "http://sandbox"


@dataclass
class Sandbox:
    state: SandboxState
    clock: SimClock
    app: object
    transport: httpx.WSGITransport
    credentials: dict


def sandbox_build(
    *, seed: int = 0, invoices: int | None = None, validate: bool = True, faults=None
):
    state = SandboxState.empty()
    seed_sandbox(state, seed=seed, invoices=invoices)
    clock = SimClock()
    app = build_sandbox_app(state, clock=clock, validate=validate, rate_limits=False, faults=faults)
    credentials = sandbox_credentials(state=state, base_url=SANDBOX_URL, clock=clock)
    return Sandbox(state, clock, app, httpx.WSGITransport(app=app), credentials)


@pytest.fixture
def sandbox() -> Sandbox:
    """A seeded sandbox with contract validation on: every call a flow makes is also checked."""
    return sandbox_build()


def sandbox_integration_create(
    sandbox: Sandbox, *, name: str = "Sandbox agency", base_url: str = SANDBOX_URL
) -> Integration:
    """An integration whose connections use the sandbox's ready credentials (no OAuth dance)."""
    harvest, xero = sandbox.credentials["harvest"], sandbox.credentials["xero"]
    app = xero["oauth_apps"][0]
    integration = Integration.objects.create(name=name, default_account_code="200")
    Connection.objects.create(
        integration=integration,
        provider=Connection.Provider.HARVEST,
        auth_method=Connection.AuthMethod.TOKEN,
        account_id=str(harvest["account_id"]),
        account_name="Sandbox Harvest",
        access_token=harvest["personal_access_token"],
        base_url=base_url,
    )
    Connection.objects.create(
        integration=integration,
        provider=Connection.Provider.XERO,
        auth_method=Connection.AuthMethod.OAUTH,
        account_id=xero["tenant_id"],
        account_name="Sandbox Xero",
        access_token=xero["access_token"],
        refresh_token=xero["refresh_token"] or "",
        token_expires_at=timezone.now() + timedelta(seconds=int(xero["expires_in"] or 1800)),
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        base_url=base_url,
    )
    return integration


@pytest.fixture
def sandbox_integration(db, sandbox) -> Integration:
    return sandbox_integration_create(sandbox)


def flow_run(
    integration: Integration, flow: str, *, sandbox: Sandbox, dry_run: bool = False, **options
) -> SyncRun:
    """Run one flow now, in this process, against the in-process sandbox."""
    run = SyncRun.objects.create(
        integration=integration, flow=flow, trigger=SyncRun.Trigger.COMMAND, dry_run=dry_run
    )
    return sync_run_execute(run_id=run.pk, transport=sandbox.transport, **options)


@contextmanager
def sandbox_served(sandbox: Sandbox):
    """Serve the sandbox on a free loopback port, for clients in other processes; yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, sandbox.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()

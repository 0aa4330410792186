"""An in-process sandbox and an integration wired straight to it, for benchmarks and tests.

No OAuth dance and no socket: the connections take the sandbox's ready credentials and every
request goes through `httpx.WSGITransport`. (`sandbox_connect` is the real-path equivalent for a
served sandbox.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.utils import timezone

from syncapp.models import Connection, Integration

SANDBOX_URL = "http://sandbox"


@dataclass
class SandboxRig:
    state: Any
    clock: Any
    app: Any
    transport: httpx.WSGITransport
    credentials: dict


def sandbox_rig(
    *, seed: int = 0, invoices: int | None = None, validate: bool = False, faults=None
) -> SandboxRig:
    """A freshly seeded sandbox; its own rate limits are off (hxsync's governor is measured)."""
    from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app
    from syncapp.sandbox.core.runner import sandbox_credentials
    from syncapp.sandbox.seed import seed_sandbox

    state = SandboxState.empty()
    seed_sandbox(state, seed=seed, invoices=invoices)
    clock = SimClock()
    app = build_sandbox_app(state, clock=clock, validate=validate, rate_limits=False, faults=faults)
    credentials = sandbox_credentials(state=state, base_url=SANDBOX_URL, clock=clock)
    return SandboxRig(state, clock, app, httpx.WSGITransport(app=app), credentials)


def sandbox_integration_connect(
    rig: SandboxRig, *, name: str = "Sandbox agency", base_url: str = SANDBOX_URL
) -> Integration:
    """An integration whose connections hold the sandbox's ready credentials."""
    harvest, xero = rig.credentials["harvest"], rig.credentials["xero"]
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

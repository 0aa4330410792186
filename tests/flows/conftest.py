"""Flows run end to end against the in-process sandbox, through the real clients and engine."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from syncapp.demo.sandbox_rig import (
    SANDBOX_URL,
    SandboxRig,
    sandbox_integration_connect,
    sandbox_rig,
)
from syncapp.models import Integration, SyncRun
from syncapp.services.runs import sync_run_execute

Sandbox = SandboxRig


def sandbox_build(
    *, seed: int = 0, invoices: int | None = None, validate: bool = True, faults=None
):
    """A seeded in-process sandbox; contract validation on by default in tests."""
    return sandbox_rig(seed=seed, invoices=invoices, validate=validate, faults=faults)


@pytest.fixture
def sandbox() -> Sandbox:
    """A seeded sandbox with contract validation on: every call a flow makes is also checked."""
    return sandbox_build()


def sandbox_integration_create(
    sandbox: Sandbox, *, name: str = "Sandbox agency", base_url: str = SANDBOX_URL
) -> Integration:
    """An integration whose connections use the sandbox's ready credentials (no OAuth dance)."""
    return sandbox_integration_connect(sandbox, name=name, base_url=base_url)


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

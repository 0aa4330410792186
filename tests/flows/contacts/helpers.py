"""Helpers for the contacts end-to-end tests: runs through a recording transport, direct edits
on either side through the real clients, and duplicate counting in the sandbox."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack, contextmanager

import httpx

from syncapp import engine
from syncapp.models import SyncRun
from syncapp.services.runs import sync_run_execute

API_PREFIXES = ("/api.xero.com/api.xro/", "/api.harvestapp.com/v2/")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RecordingTransport(httpx.BaseTransport):
    """The sandbox transport, remembering every API request (method, path)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(API_PREFIXES):
            self.requests.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] in WRITE_METHODS]


def contacts_run(
    integration, sandbox, *, dry_run: bool = False
) -> tuple[SyncRun, RecordingTransport]:
    """One contacts run; retries back off on the sandbox's clock (simulated, never slept)."""
    transport = RecordingTransport(sandbox.transport)
    run = SyncRun.objects.create(
        integration=integration, flow="contacts", trigger=SyncRun.Trigger.COMMAND, dry_run=dry_run
    )
    run = sync_run_execute(run_id=run.pk, transport=transport, clock=sandbox.clock)
    return run, transport


def summary(run: SyncRun) -> dict:
    """The contacts counters of a run that finished (with failures only if records failed)."""
    counters = run.counters["contacts"]
    expected = SyncRun.Status.WITH_FAILURES if counters["failed"] else SyncRun.Status.SUCCEEDED
    assert run.status == expected, run.error
    return counters


@contextmanager
def api_clients(integration, sandbox):
    """(HarvestClient, XeroClient) on the integration's connections, as the engine builds them."""
    connections = {c.provider: c for c in integration.connections.all()}
    with ExitStack() as stack:
        yield engine.run_clients(connections=connections, stack=stack, transport=sandbox.transport)


def references_in_xero(sandbox) -> Counter:
    """How many Xero contacts carry each HARVEST-<id> reference (a duplicate shows as 2)."""
    return Counter(
        c.get("ContactNumber")
        for c in sandbox.state.xero.contacts.values()
        if str(c.get("ContactNumber", "")).startswith("HARVEST-")
    )


def active_names_in_xero(sandbox) -> Counter:
    return Counter(
        c["Name"].strip().casefold()
        for c in sandbox.state.xero.contacts.values()
        if c.get("ContactStatus") == "ACTIVE"
    )

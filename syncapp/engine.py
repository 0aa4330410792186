"""Run orchestration: which flows a run covers, in what order, and what must hold first.

Each flow's runner takes a FlowContext, records what it does through `ctx.recorder`, and
returns nothing; the engine keeps the recorder's summary (with the calls each client made)
on the SyncRun's counters.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.utils.module_loading import import_string

from syncapp.flows.base import FlowContext, RunRecorder
from syncapp.models import Connection, SyncRun

FlowRunner = Callable[[FlowContext], None]

# Order matters: contacts before invoices (an invoice needs its contact), invoices before payments.
FLOW_ORDER = ("contacts", "invoices", "payments", "expenses", "journals", "overdue")

# Each flow adds its runner here once it exists ("name": "dotted.path.to.runner").
FLOW_RUNNER_PATHS: dict[str, str] = {
    "contacts": "syncapp.flows.contacts.runner.contacts_run",
    "invoices": "syncapp.flows.invoices.runner.invoices_run",
    "payments": "syncapp.flows.payments.runner.payments_run",
}


class RunBlocked(Exception):
    """The run cannot start; the message says what finance should do about it."""


def flow_runner(name: str) -> FlowRunner | None:
    path = FLOW_RUNNER_PATHS.get(name)
    return import_string(path) if path else None


def run_preflight(*, run: SyncRun) -> dict[str, Connection]:
    integration = run.integration
    if not integration.is_active:
        raise RunBlocked(
            f"The integration '{integration}' is paused. Tick 'Is active' on it to sync again."
        )
    connections = {c.provider: c for c in integration.connections.all()}
    for provider, label in Connection.Provider.choices:
        connection = connections.get(provider)
        if connection is None or connection.status == Connection.Status.DISABLED:
            raise RunBlocked(
                f"No {label} connection. Open Sync › Connections and connect {label} "
                f"for '{integration}'."
            )
        if connection.status == Connection.Status.NEEDS_REAUTH:
            reason = connection.last_error or "access was revoked"
            raise RunBlocked(
                f"The {label} connection needs reconnecting ({reason}). "
                f"Open Sync › Connections and reconnect {label}."
            )
    return connections


def run_clients(*, connections: dict[str, Connection], stack: ExitStack, **client_options: Any):
    """Harvest and Xero clients for the run; `client_options` (transport, clock) serve tests
    and benchmarks that drive the in-process sandbox."""
    from syncapp.providers.harvest.factory import harvest_client_for_connection
    from syncapp.providers.xero.factory import xero_client_for_connection

    harvest = stack.enter_context(
        harvest_client_for_connection(connection=connections["harvest"], **client_options)
    )
    xero = stack.enter_context(
        xero_client_for_connection(connection=connections["xero"], **client_options)
    )
    return harvest, xero


def run_flows(*, run: SyncRun, **client_options: Any) -> dict:
    """Run the flows this run covers; returns the run's counters."""
    connections = run_preflight(run=run)
    wanted = FLOW_ORDER if run.flow == SyncRun.Flow.ALL else (run.flow,)
    runners = [(name, flow_runner(name)) for name in wanted]
    runners = [(name, runner) for name, runner in runners if runner is not None]
    counters: dict = {"flows_run": [name for name, _ in runners]}
    if not runners:
        return counters
    with ExitStack() as stack:
        harvest, xero = run_clients(connections=connections, stack=stack, **client_options)
        for name, runner in runners:
            recorder = RunRecorder(run=run)
            harvest_before, xero_before = harvest.calls, xero.calls
            try:
                runner(FlowContext(run=run, harvest=harvest, xero=xero, recorder=recorder))
            finally:
                recorder.flush()
                recorder.summary.harvest_calls = harvest.calls - harvest_before
                recorder.summary.xero_calls = xero.calls - xero_before
                counters[name] = recorder.summary.as_dict()
    return counters

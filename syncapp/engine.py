"""Run orchestration: which flows a run covers, in what order, and what must hold first.

Each flow's runner takes a FlowContext, records what it does through `ctx.recorder`, and
returns nothing; the engine keeps the recorder's summary (with the calls each client made) on
the SyncRun's counters. Which flows exist, their order and what each needs first come from the
registry (syncapp/flows/registry.py).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from syncapp.flows.base import FlowContext, RunRecorder
from syncapp.flows.registry import ALL, Flow, flows_for_run
from syncapp.models import Connection, SyncRun


class RunBlocked(Exception):
    """The run cannot start; the message says what finance should do about it."""


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


def run_clients(
    *,
    connections: dict[str, Connection],
    stack: ExitStack,
    run: SyncRun | None = None,
    **client_options: Any,
):
    """Harvest and Xero clients for the run; `client_options` (transport, clock) serve tests
    and benchmarks that drive the in-process sandbox. The Xero client's governor plans the
    organisation's day budget, knowing whether this run is a poll or bulk work."""
    from syncapp.providers.harvest.factory import harvest_client_for_connection
    from syncapp.providers.xero.factory import xero_client_for_connection
    from syncapp.services.budget import xero_governor_for_run

    harvest = stack.enter_context(
        harvest_client_for_connection(connection=connections["harvest"], **client_options)
    )
    xero_options = dict(client_options)
    if run is not None and "governor" not in xero_options and xero_options.get("governed", True):
        clock = xero_options.get("clock")
        xero_options["governor"] = xero_governor_for_run(
            connection=connections["xero"], run=run, **({"clock": clock} if clock else {})
        )
    xero = stack.enter_context(
        xero_client_for_connection(connection=connections["xero"], **xero_options)
    )
    return harvest, xero


def flows_never_completed(*, integration_id: int, names: tuple[str, ...]) -> set[str]:
    """Of these flows, those with no completed real run on this integration yet."""
    if not names:
        return set()
    done = set(
        SyncRun.objects.filter(
            integration_id=integration_id, status__in=SyncRun.COMPLETED, dry_run=False
        )
        .values_list("flow", flat=True)
        .distinct()
    )
    if ALL in done:
        return set()
    return {name for name in names if name not in done}


def run_plan(*, run: SyncRun) -> list[Flow]:
    """The flows this run performs, in order."""
    return flows_for_run(name=run.flow, scope=run.scope)


def run_flows(*, run: SyncRun, heartbeat=None, **client_options: Any) -> dict:
    """Run the flows this run covers; returns the run's counters.

    A flow stopped by the organisation's day budget ends the run there: the DayBudgetWait goes
    up (even when the flow caught it to keep its cursor) with the counters so far on
    `run.counters`, its message saying what waits and until when."""
    connections = run_preflight(run=run)
    plan = run_plan(run=run)
    counters: dict = {"flows_run": [flow.name for flow in plan]}
    if not plan:
        return counters
    with ExitStack() as stack:
        harvest, xero = run_clients(connections=connections, stack=stack, run=run, **client_options)
        if heartbeat is not None:
            harvest.on_send = xero.on_send = heartbeat.beat
        shared: dict = {}
        for flow in plan:
            recorder = RunRecorder(run=run, heartbeat=heartbeat)
            harvest_before, xero_before = harvest.calls, xero.calls
            ctx = FlowContext(run=run, harvest=harvest, xero=xero, recorder=recorder, shared=shared)
            try:
                flow.run(ctx)
            finally:
                recorder.flush()
                recorder.summary.harvest_calls = harvest.calls - harvest_before
                recorder.summary.xero_calls = xero.calls - xero_before
                counters[flow.name] = recorder.summary.as_dict()
                run.counters = counters
            day_wait = getattr(getattr(xero, "governor", None), "day_wait", None)
            if day_wait is not None:
                raise day_wait
    return counters


def counters_failed(counters: dict) -> int:
    """Records that failed in a run, over every flow it ran."""
    return sum(
        int((counters.get(name) or {}).get("failed", 0)) for name in counters.get("flows_run", [])
    )

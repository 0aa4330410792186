"""Run orchestration: which flows a run covers, in what order, and what must hold first.

Flows register themselves here as they are built (contacts, invoices, payments, ...). Each runner
takes the SyncRun and returns its counters; it records per-record SyncEvents itself.
"""

from collections.abc import Callable

from syncapp.models import Connection, SyncRun

FlowRunner = Callable[[SyncRun], dict]

# Order matters: contacts before invoices (an invoice needs its contact), invoices before payments.
FLOW_ORDER = ("contacts", "invoices", "payments", "expenses", "journals", "overdue")
FLOW_RUNNERS: dict[str, FlowRunner] = {}


class RunBlocked(Exception):
    """The run cannot start; the message says what finance should do about it."""


def flow_register(name: str, runner: FlowRunner) -> None:
    if name not in FLOW_ORDER:
        raise ValueError(f"Unknown flow {name!r}")
    FLOW_RUNNERS[name] = runner


def run_preflight(*, run: SyncRun) -> None:
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
            raise RunBlocked(
                f"The {label} connection needs reconnecting ({connection.last_error or 'access was revoked'}). "
                f"Open Sync › Connections and reconnect {label}."
            )


def run_flows(*, run: SyncRun) -> dict:
    """Run the flows this run covers; returns the run's counters."""
    run_preflight(run=run)
    wanted = FLOW_ORDER if run.flow == SyncRun.Flow.ALL else (run.flow,)
    counters: dict = {}
    ran = []
    for name in wanted:
        runner = FLOW_RUNNERS.get(name)
        if runner is None:
            continue
        counters[name] = runner(run)
        ran.append(name)
    counters["flows_run"] = ran
    return counters

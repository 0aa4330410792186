"""The flow registry: every flow declares itself once, in its package's `flow.py`.

The engine (what a run covers and in what order), the poll schedule, `manage.py sync`, admin
resync and the run's flow choices all read this list; adding a flow is one package under
`syncapp/flows/<name>/` plus one line in FLOW_MODULES (docs/architecture.md has the recipe).

This module imports no models at import time: `SyncRun.flow` takes its choices from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.utils.module_loading import import_string

# "Everything" runs the flows in this order: an invoice needs its contact, a payment its invoice.
FLOW_MODULES = (
    "syncapp.flows.contacts.flow",
    "syncapp.flows.invoices.flow",
    "syncapp.flows.payments.flow",
    "syncapp.flows.expenses.flow",
    "syncapp.flows.journals.flow",
    "syncapp.flows.budgets.flow",
)
ALL = "all"
ALL_LABEL = "Everything"


@dataclass(frozen=True)
class Flow:
    """What a flow is, for everything outside it.

    name: the run's flow value and the `manage.py sync NAME` argument.
    kinds: the ledger kinds (SyncKind values) whose rows it owns.
    runner: dotted path of `runner(ctx: FlowContext) -> None`: reads, plans (pure), applies.
    streams: the cursor streams it keeps (see services/cursors.py).
    poll_minutes: how often the schedule asks for a run (None: never polled).
    poll_due: optional dotted path of `poll_due(*, integration, now) -> bool` when the cadence
        depends on the integration (payments: slower when webhooks arrive).
    requires: flows that must have completed once before this one can do useful work; a run
        of this flow alone runs them first on a fresh install.
    resync: optional dotted path of `resync(*, integration, harvest_ids, user) -> SyncRun`.
    scopes: the keys of `SyncRun.scope` it honours (a run with another scope skips it).
    """

    name: str
    label: str
    kinds: tuple[str, ...]
    runner: str
    streams: tuple[str, ...] = ()
    poll_minutes: int | None = None
    poll_due: str | None = None
    requires: tuple[str, ...] = ()
    resync: str | None = None
    scopes: tuple[str, ...] = ()

    def run(self, ctx) -> None:
        import_string(self.runner)(ctx)


@cache
def flows() -> tuple[Flow, ...]:
    """Every registered flow, in run order."""
    return tuple(import_module(path).FLOW for path in FLOW_MODULES)


def flow_get(name: str) -> Flow:
    for flow in flows():
        if flow.name == name:
            return flow
    raise KeyError(f"No flow named {name!r}; known: {', '.join(flow_names())}")


def flow_names() -> tuple[str, ...]:
    return tuple(flow.name for flow in flows())


def flow_choices() -> list[tuple[str, str]]:
    """`SyncRun.flow` choices: "Everything", then each flow."""
    return [(ALL, ALL_LABEL), *((flow.name, flow.label) for flow in flows())]


def flows_for_run(*, name: str, scope: dict | None = None) -> list[Flow]:
    """The flows a run of `name` covers, in order; a scoped run only those honouring its scope."""
    chosen = list(flows()) if name == ALL else [flow_get(name)]
    if scope:
        keys = set(scope)
        chosen = [flow for flow in chosen if keys & set(flow.scopes)]
    return chosen


def flow_for_kind(kind: str) -> Flow:
    for flow in flows():
        if kind in flow.kinds:
            return flow
    raise KeyError(f"No flow owns ledger kind {kind!r}")

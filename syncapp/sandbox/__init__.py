"""Faithful simulators of Harvest v2 and Xero, mounted as one WSGI app (see core/app.py)."""

from syncapp.sandbox.core.app import SandboxApp, build_sandbox_app, sandbox_client
from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.faults import FaultPlan
from syncapp.sandbox.core.store import SandboxState, StateStore

__all__ = [
    "FaultPlan",
    "SandboxApp",
    "SandboxState",
    "SimClock",
    "StateStore",
    "build_sandbox_app",
    "sandbox_client",
]

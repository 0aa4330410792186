"""What `manage.py sandbox` does, as plain functions (the command only parses arguments)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from syncapp.sandbox.core.app import build_sandbox_app
from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.faults import FaultPlan
from syncapp.sandbox.core.store import SandboxState, StateStore

HOSTS = {
    "harvest_api": "api.harvestapp.com/v2",
    "harvest_id": "id.getharvest.com",
    "xero_api": "api.xero.com/api.xro/2.0",
    "xero_connections": "api.xero.com/connections",
    "xero_token": "identity.xero.com/connect/token",
    "xero_authorize": "login.xero.com/identity/connect/authorize",
    "state": "_sandbox/state",
}


def sandbox_seed(
    *, store: StateStore, seed: int = 0, invoices: int | None = None, today: date | None = None
) -> dict[str, Any]:
    """Build the demo agency from scratch and save it; returns counts and timing."""
    from syncapp.sandbox.seed import seed_sandbox

    started = time.perf_counter()
    state = SandboxState.empty()
    result = seed_sandbox(state, seed=seed, invoices=invoices, today=today)
    seeded = time.perf_counter()
    store.save(state)
    result["seconds"] = round(seeded - started, 3)
    result["saved_seconds"] = round(time.perf_counter() - seeded, 3)
    result["path"] = str(store.path)
    return result


def sandbox_reset(*, store: StateStore) -> bool:
    return store.delete()


def sandbox_state_ensure(*, store: StateStore, seed: int = 0) -> tuple[SandboxState, bool]:
    """The saved state, or a freshly seeded one (saved) when there is none."""
    state = store.load()
    if state is not None:
        return state, False
    sandbox_seed(store=store, seed=seed)
    loaded = store.load()
    assert loaded is not None
    return loaded, True


def sandbox_credentials(*, state: SandboxState, base_url: str, clock: SimClock) -> dict[str, Any]:
    """Base URLs and ready credentials for the seeded accounts (mints a Xero token)."""
    from syncapp.sandbox.harvest.app import credentials as harvest_credentials

    base = base_url.rstrip("/")
    out: dict[str, Any] = {
        "urls": {name: f"{base}/{path}" for name, path in HOSTS.items()},
        "base_url": base,
        "harvest": harvest_credentials(state.harvest),
        "xero": None,
    }
    if state.xero is not None:
        out["xero"] = _xero_credentials(state, clock)
    return out


def _xero_credentials(state: SandboxState, clock: SimClock) -> dict[str, Any] | None:
    try:
        from syncapp.sandbox.xero.control import DEFAULT_CLIENT_ID
        from syncapp.sandbox.xero.identity import token_mint
    except ImportError:
        return None
    xero = state.xero
    tokens = token_mint(xero, client_id=DEFAULT_CLIENT_ID, now=clock.now())
    return {
        "tenant_id": xero.tenant_id,
        "access_token": tokens["access_token"],
        "refresh_token": tokens.get("refresh_token"),
        "expires_in": tokens.get("expires_in"),
        "oauth_apps": [
            {
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "name": app["name"],
            }
            for app in xero.apps.values()
        ],
    }


def sandbox_server(
    *,
    host: str = "127.0.0.1",
    port: int = 8700,
    store: StateStore,
    validate: bool = False,
    rate_limits: bool = True,
    faults: FaultPlan | None = None,
) -> tuple[Any, Any, dict[str, Any]]:
    """A threaded Werkzeug server over the saved (or freshly seeded) state, not yet serving:
    (server, app, info with base URLs and credentials). Port 0 picks a free port."""
    from werkzeug.serving import make_server

    state, _ = sandbox_state_ensure(store=store)
    clock = SimClock()
    app = build_sandbox_app(
        state, clock=clock, validate=validate, rate_limits=rate_limits, store=store, faults=faults
    )
    server = make_server(host, port, app, threaded=True)
    info = sandbox_credentials(
        state=state, base_url=f"http://{host}:{server.server_port}", clock=clock
    )
    store.save(state, lock=app.lock)  # the minted Xero token must survive a restart
    return server, app, info


def sandbox_serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8700,
    store: StateStore,
    on_ready: Callable[[dict[str, Any]], None],
    validate: bool = False,
    rate_limits: bool = True,
) -> None:
    """Serve until interrupted; state is saved after writes and on the way out."""
    server, app, info = sandbox_server(
        host=host, port=port, store=store, validate=validate, rate_limits=rate_limits
    )
    on_ready(info)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.flush(app.state, lock=app.lock)

"""One WSGI app for the whole sandbox: each real host mirrored under its own path prefix.

    /api.harvestapp.com/v2/...          Harvest v2           (HarvestSimulator)
    /id.getharvest.com/...              Harvest OAuth2 + /api/v2/accounts
    /api.xero.com/api.xro/2.0/...       Xero Accounting      (XeroSimulator)
    /api.xero.com/connections           Xero tenants
    /identity.xero.com/connect/...      Xero token, revocation
    /login.xero.com/identity/connect/authorize   Xero consent page
    /_sandbox/                          the demo page: what both hold, a Pay button per invoice
    /_sandbox/state                     read-only summary of both simulators
    /_sandbox/harvest/..., /_sandbox/xero/...    simulator controls (tests, demo)

The composite owns what is common: fault injection (before or after the simulator, by kind),
contract validation of both directions for the prefixes the specs describe, a lock that keeps the
state consistent when served threaded, and the debounced save after writes.

A simulator is constructed as `Simulator(state, *, clock, faults, limiter, validator)` and is a
WSGI callable receiving paths with the host prefix still present. If it also has
`handle(request: werkzeug.Request) -> werkzeug.Response`, the composite calls that instead (no WSGI
round trip). Simulators need not validate: the composite does it here.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import httpx
from werkzeug.wrappers import Request, Response

from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.contract import ContractValidator
from syncapp.sandbox.core.faults import FAULTS_BEFORE_WRITE, FaultPlan
from syncapp.sandbox.core.http import json_response
from syncapp.sandbox.core.ratelimit import Limiters
from syncapp.sandbox.core.store import SandboxState, StateStore

HARVEST_PREFIXES = ("/api.harvestapp.com/", "/id.getharvest.com/", "/_sandbox/harvest/")
XERO_PREFIXES = (
    "/api.xero.com/",
    "/identity.xero.com/",
    "/login.xero.com/",
    "/_sandbox/xero/",
)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class FaultDelivered(Exception):
    """Raised on a socket after the connection was dropped on purpose (the server logs it)."""


class SandboxApp:
    def __init__(
        self,
        state: SandboxState,
        *,
        clock: SimClock,
        faults: FaultPlan | None = None,
        validate: bool = False,
        rate_limits: bool = True,
        store: StateStore | None = None,
    ) -> None:
        self.state = state
        self.clock = clock
        self.faults = faults
        self.store = store
        self.lock = threading.RLock()
        self.limiters = Limiters.build(clock=clock, enabled=rate_limits)
        self.validator = ContractValidator(enabled=validate)
        self.requests_served = 0

        from syncapp.sandbox.harvest.app import HarvestSimulator

        self.harvest = HarvestSimulator(
            state,
            clock=clock,
            faults=faults,
            limiter=self.limiters.harvest,
            validator=self.validator,
        )
        self.xero = self._build_xero()

    def _build_xero(self) -> Any:
        try:
            from syncapp.sandbox.xero.app import XeroSimulator
        except ImportError:
            return None
        return XeroSimulator(
            self.state,
            clock=self.clock,
            faults=self.faults,
            limiter=self.limiters.xero,
            validator=self.validator,
        )

    # -- dispatch ---------------------------------------------------------------------------

    def _target(self, path: str) -> tuple[str, Any] | None:
        # Receipt files live on the account's own host: https://{subdomain}.harvestapp.com/...
        if path.startswith(HARVEST_PREFIXES) or path.split("/", 2)[1].endswith(".harvestapp.com"):
            return "harvest", self.harvest
        if path.startswith(XERO_PREFIXES):
            return "xero", self.xero
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        response = self.respond(environ)
        return response(environ, start_response)

    def respond(self, environ: dict[str, Any]) -> Response:
        request = Request(environ)
        path = request.path
        if path in ("/_sandbox/state", "/_sandbox/state/"):
            return json_response(self.summary())
        if path in ("/_sandbox", "/_sandbox/", "/_sandbox/pay"):
            from syncapp.sandbox.core.demo_page import demo_page_respond

            return demo_page_respond(self, request)
        target = self._target(path)
        if target is None:
            return json_response({"error": "not_found", "path": path}, status=404)
        host, simulator = target
        if simulator is None:
            return json_response(
                {
                    "error": "unavailable",
                    "error_description": f"the {host} simulator is not installed",
                },
                status=503,
            )
        fault = None
        if self.faults is not None and not path.startswith("/_sandbox/"):
            fault = self.faults.decide(request.method, path)
        if fault in FAULTS_BEFORE_WRITE:
            return self._fault_response(fault=fault, host=host, environ=environ)

        body = request.get_data(cache=True) if self.validator.enabled else b""
        if self.validator.enabled:
            self.validator.check_request(request=request, body=body)
        with self.lock:
            response = self._call(simulator, request, environ)
            self.requests_served += 1
        if self.validator.enabled:
            self.validator.check_response(request=request, body=body, response=response)
        if (
            self.store is not None
            and request.method not in _READ_METHODS
            and response.status_code < 500
        ):
            self.store.schedule_save(self.state, lock=self.lock)
        if fault == "lost_response":
            self._drop_connection(environ=environ, kind="lost_response")
        return response

    @staticmethod
    def _call(simulator: Any, request: Request, environ: dict[str, Any]) -> Response:
        handle = getattr(simulator, "handle", None)
        if handle is not None:
            return handle(request)
        body = request.get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        response = Response.from_app(simulator, environ, buffered=True)
        return response

    # -- faults -----------------------------------------------------------------------------

    def _fault_response(self, *, fault: str, host: str, environ: dict[str, Any]) -> Response:
        retry_after = str(self.faults.retry_after if self.faults else 1)
        if fault == "429":
            if host == "xero":
                return Response(
                    "Rate limit exceeded",
                    status=429,
                    mimetype="text/plain",
                    headers={"Retry-After": retry_after, "X-Rate-Limit-Problem": "minute"},
                )
            return json_response(
                {"message": "Too Many Requests"}, status=429, headers={"Retry-After": retry_after}
            )
        if fault in ("500", "503"):
            status = int(fault)
            text = "Internal Server Error" if status == 500 else "Service Unavailable"
            if host == "xero":
                return Response(text, status=status, mimetype="text/plain")
            return json_response({"message": text}, status=status)
        self._drop_connection(environ=environ, kind=fault)
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop_connection(self, *, environ: dict[str, Any], kind: str) -> None:
        sock = environ.get("werkzeug.socket")
        if sock is None:
            # In-process (httpx.WSGITransport re-raises app exceptions): the client sees exactly
            # what it would see from a real server that hung or hung up.
            if kind == "reset":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            raise httpx.ReadTimeout(f"simulated {kind}")
        if kind in ("timeout", "lost_response"):
            time.sleep(self.faults.hold_seconds if self.faults else 65.0)
        try:
            import socket as _socket

            sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        raise FaultDelivered(kind)

    # -- state ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        with self.lock:
            data: dict[str, Any] = {
                "seed": self.state.seed,
                "requests_served": self.requests_served,
                "harvest": self.harvest.summary(),
                "calls": {
                    "harvest": dict(self.limiters.harvest.calls),
                    "xero": dict(self.limiters.xero.calls),
                },
            }
            if self.xero is not None and hasattr(self.xero, "summary"):
                data["xero"] = self.xero.summary()
            if self.faults is not None:
                data["faults_injected"] = len(self.faults.injected)
            return data


def build_sandbox_app(
    state: SandboxState | None = None,
    *,
    clock: SimClock | None = None,
    faults: FaultPlan | None = None,
    validate: bool = False,
    rate_limits: bool = True,
    store: StateStore | None = None,
) -> SandboxApp:
    """The composite WSGI app over `state` (a fresh empty state when None)."""
    return SandboxApp(
        state if state is not None else SandboxState.empty(),
        clock=clock if clock is not None else SimClock(),
        faults=faults,
        validate=validate,
        rate_limits=rate_limits,
        store=store,
    )


def sandbox_client(
    app: Any, *, base_url: str = "http://sandbox", timeout: float = 10.0, **kwargs: Any
) -> httpx.Client:
    """An httpx client talking to `app` in-process."""
    return httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url=base_url, timeout=timeout, **kwargs
    )

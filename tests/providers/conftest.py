"""Shared fixtures for provider tests: the vendor contracts (loaded once per session), a clock
that never sleeps, and a checker that validates an httpx request against a contract."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from werkzeug.datastructures import Headers, ImmutableMultiDict

from syncapp.providers.base import SimulatedClock

REAL_HOSTS = {
    "api.harvestapp.com": "harvest",
    "api.xero.com": None,  # accounting or identity, decided by path below
}


def _spec_and_url(url: httpx.URL) -> tuple[str, str, str]:
    """(spec name, host URL, path as the spec writes it) for a real or sandbox-prefixed URL."""
    host, path = url.host, url.path
    if host not in REAL_HOSTS:
        # sandbox layout: <base>/<real host>/<real path>
        for real_host in REAL_HOSTS:
            marker = f"/{real_host}/"
            if marker in path:
                host, path = real_host, "/" + path.split(marker, 1)[1]
                break
        else:
            raise AssertionError(f"no contract describes {url}")
    if host == "api.harvestapp.com":
        return "harvest", f"https://{host}", path
    if path.startswith("/api.xro/2.0"):
        return "xero_accounting", f"https://{host}", path
    if path.startswith("/connections"):
        return "xero_identity", f"https://{host}", "/Connections" + path[len("/connections") :]
    raise AssertionError(f"no contract describes {url}")


class _SpecRequest:
    def __init__(self, request: httpx.Request) -> None:
        from openapi_core.datatypes import RequestParameters

        _, self.host_url, self.path = _spec_and_url(request.url)
        self.method = request.method.lower()
        body = request.read()
        self.body = body or None
        self.content_type = request.headers.get("Content-Type", "application/octet-stream")
        query = urlsplit(str(request.url)).query
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(httpx.QueryParams(query).multi_items()),
            header=Headers(list(request.headers.items())),
            cookie={},
        )


class SpecBook:
    """The vendor contracts, each parsed at most once per test session."""

    def get(self, name: str):
        from syncapp.sandbox.core.contract import openapi_for

        return openapi_for(name)

    def request_errors(self, request: httpx.Request) -> list[str]:
        name, _, _ = _spec_and_url(request.url)
        spec_request = _SpecRequest(request)
        errors = []
        for error in self.get(name).iter_request_errors(spec_request):
            detail = [f"{type(error).__name__}: {error}"]
            cause = error.__cause__
            while cause is not None:
                detail.append(f"{type(cause).__name__}: {cause}")
                for sub in getattr(cause, "schema_errors", ()) or ():
                    detail.append(f"  {list(sub.absolute_path)}: {sub.message}")
                cause = cause.__cause__
            errors.append(" <- ".join(detail))
        return errors

    def assert_request_valid(self, request: httpx.Request) -> None:
        errors = self.request_errors(request)
        assert not errors, f"{request.method} {request.url} breaks the contract:\n" + "\n".join(
            errors
        )


@pytest.fixture(scope="session")
def specs() -> SpecBook:
    return SpecBook()


@pytest.fixture
def sim_clock() -> SimulatedClock:
    return SimulatedClock(start=1_800_000_000.0)

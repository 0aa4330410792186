"""The one HTTP base under HarvestClient and XeroClient.

`ProviderClient` owns a single httpx.Client (explicit timeouts, a User-Agent naming hxsync and a
contact address) and a single `_request()` that, per attempt: takes a slot from the rate
governor, sends, hands the response headers back to the governor, logs method, path, status and
the rate headers (never a token, never a query string), turns failures into typed errors through
`ApiError.from_response`, and retries the retryable ones with exponential backoff and full
jitter, honouring Retry-After. Waiting goes through an injectable clock, so tests and the invoice
benchmark never really sleep.

Subclasses add auth headers (`_auth_headers`) and typed endpoint methods only.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from syncapp.providers.clock import SYSTEM_CLOCK, Clock, SimulatedClock, SystemClock
from syncapp.providers.errors import (
    ApiError,
    RateLimited,
    UnexpectedResponse,
    error_from_transport,
)
from syncapp.providers.pagination import PaginationMixin, _path_of
from syncapp.providers.parsing import (
    json_dumps,
    json_loads,
    parse_iso_date,
    parse_iso_datetime,
    parse_xero_date,
    parse_xero_datetime,
    to_decimal,
    to_money,
)

# Re-exported: callers import the clocks and parsers from here too.
__all__ = [
    "NO_RETRY",
    "SYSTEM_CLOCK",
    "Clock",
    "Governor",
    "ProviderClient",
    "RetryPolicy",
    "SimulatedClock",
    "SystemClock",
    "json_dumps",
    "json_loads",
    "parse_iso_date",
    "parse_iso_datetime",
    "parse_xero_date",
    "parse_xero_datetime",
    "to_decimal",
    "to_money",
    "user_agent",
]

logger = logging.getLogger("syncapp.providers")

RATE_HEADERS = (
    "Retry-After",
    "X-Rate-Limit-Problem",
    "X-MinLimit-Remaining",
    "X-DayLimit-Remaining",
    "X-AppMinLimit-Remaining",
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


# --- governor interface (implemented in syncapp.providers.governor) --------------------------


class Governor(Protocol):
    def acquire(self) -> Any:
        """Block (on the governor's clock) until a request may go, or raise GovernorWouldWait."""

    def release(self, lease: Any, *, status: int | None, headers: Mapping[str, str] | None) -> None:
        """Give the slot back and learn from the response (None when no answer came)."""


# --- retries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts; delay before attempt n+1 is uniform in [0, min(cap, base * 2**(n-1))]
    ("full jitter"), and never less than a 429's Retry-After. A wait longer than `max_sleep`
    is not slept: the error goes up so the task can reschedule."""

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_sleep: float = 120.0

    def delay(self, *, attempt: int, error: ApiError, rng: random.Random) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        wait = rng.uniform(0, ceiling)
        if isinstance(error, RateLimited):
            wait = max(wait, error.retry_after)
        return wait


NO_RETRY = RetryPolicy(max_attempts=1)


# --- the client -----------------------------------------------------------------------------


def user_agent(*, contact_email: str | None = None) -> str:
    if contact_email is None:
        from django.conf import settings

        contact_email = getattr(settings, "HXSYNC_CONTACT_EMAIL", "") or "unknown"
    return f"hxsync ({contact_email})"


class ProviderClient(PaginationMixin):
    """Shared HTTP plumbing. `calls` counts requests actually sent (for benchmarks);
    `bytes_read` the response bodies received, as sent on the wire (paid Xero tiers are billed
    by the data read)."""

    provider = ""

    def __init__(
        self,
        *,
        base_url: str,
        governor: Governor | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        contact_email: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.governor = governor
        self.clock = clock or SYSTEM_CLOCK
        self.retry = retry or RetryPolicy()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self.calls = 0
        self.bytes_read = 0
        # Called before every request; the engine beats the run's heartbeat here, so a run
        # blocked in a long listing or a rate-limit wait is still seen alive.
        self.on_send: Callable[[], None] | None = None
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            headers={"User-Agent": user_agent(contact_email=contact_email)},
            transport=transport,
            follow_redirects=False,
        )

    # lifecycle
    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # hooks for subclasses
    def _auth_headers(self) -> dict[str, str]:
        """Headers that authenticate one attempt (asked again on every retry, so a subclass
        can refresh an expiring token in between)."""
        return {}

    # the one request path
    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
        governed: bool = True,
        retry: RetryPolicy | None = None,
        redirects_ok: bool = False,
    ) -> httpx.Response:
        """Send with governor, logging, typed errors and retries; return the 2xx response.

        `idempotent` defaults to True for GET/PUT/DELETE and for a POST carrying an
        Idempotency-Key. A non-idempotent request is retried only when the vendor cannot have
        applied it (429, 503, connection never made)."""
        method = method.upper()
        headers = dict(headers or {})
        if idempotent is None:
            idempotent = method in _SAFE_METHODS or any(
                key.lower() == "idempotency-key" for key in headers
            )
        if json_body is not None:
            content = json_dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        headers.setdefault("Accept", "application/json")
        policy = retry or self.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send_once(
                    method,
                    url,
                    params=params,
                    data=data,
                    content=content,
                    files=files,
                    headers=headers,
                    authenticate=authenticate,
                    governed=governed,
                    attempt=attempt,
                    redirects_ok=redirects_ok,
                )
            except ApiError as error:
                if not error.retryable or attempt >= policy.max_attempts:
                    raise
                if error.maybe_applied and not idempotent:
                    raise
                wait = policy.delay(attempt=attempt, error=error, rng=self.rng)
                if isinstance(error, RateLimited) and self.governor is not None and governed:
                    # The governor was told about the 429 in release() and makes every worker
                    # wait until Retry-After has passed; sleeping here too would wait twice.
                    wait = min(wait, policy.backoff_base)
                if wait > policy.max_sleep:
                    raise
                logger.info(
                    "%s %s %s retry %d/%d in %.2fs after %s",
                    self.provider,
                    method,
                    _path_of(url),
                    attempt + 1,
                    policy.max_attempts,
                    wait,
                    type(error).__name__,
                )
                self.clock.sleep(wait)

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        params,
        data,
        content,
        files,
        headers: dict[str, str],
        authenticate: bool,
        governed: bool,
        attempt: int,
        redirects_ok: bool = False,
    ) -> httpx.Response:
        send_headers = {**(self._auth_headers() if authenticate else {}), **headers}
        request = self._http.build_request(
            method,
            url,
            params=params,
            data=data,
            content=content,
            files=files,
            headers=send_headers,
        )
        lease = self.governor.acquire() if (governed and self.governor is not None) else None
        status: int | None = None
        response_headers: httpx.Headers | None = None
        started = time.perf_counter()
        try:
            self.calls += 1
            if self.on_send is not None:
                self.on_send()
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                error = error_from_transport(
                    exc, method=method, path=request.url.path, provider=self.provider
                )
                self._log(request, None, started, attempt, error=error)
                raise error from None
            status, response_headers = response.status_code, response.headers
            response.read()
            self.bytes_read += _wire_bytes(response)
            self._log(request, response, started, attempt)
            if response.is_success or (redirects_ok and response.is_redirect):
                return response
            raise ApiError.from_response(response, provider=self.provider)
        finally:
            if lease is not None:
                self.governor.release(lease, status=status, headers=response_headers)

    def _request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._request(method, url, **kwargs)
        if not response.content:
            return None
        try:
            return json_loads(response.content)
        except ValueError:
            raise UnexpectedResponse(
                "response is not JSON",
                status=response.status_code,
                method=method,
                path=_path_of(url),
                provider=self.provider,
            ) from None

    def _log(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        started: float,
        attempt: int,
        *,
        error: ApiError | None = None,
    ) -> None:
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        rate = {}
        if response is not None:
            rate = {
                name: response.headers[name] for name in RATE_HEADERS if name in response.headers
            }
        status = response.status_code if response is not None else type(error).__name__
        level = logging.INFO
        if response is None or response.status_code >= 400:
            level = logging.WARNING
        logger.log(
            level,
            "%s %s %s -> %s %dms attempt=%d%s",
            self.provider,
            request.method,
            request.url.path,
            status,
            elapsed_ms,
            attempt,
            "".join(f" {k}={v}" for k, v in rate.items()),
            extra={
                "provider": self.provider,
                "http_method": request.method,
                "http_path": request.url.path,
                "http_status": response.status_code if response is not None else None,
                "elapsed_ms": elapsed_ms,
                "attempt": attempt,
                "rate": rate,
            },
        )


def _wire_bytes(response: httpx.Response) -> int:
    """The body's size as it crossed the wire: Content-Length when the server sent one (the
    compressed size when it was compressed), else the decoded body's length."""
    length = response.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length)
    return len(response.content)

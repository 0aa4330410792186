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

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from syncapp.providers.errors import (
    ApiError,
    PaginationLimitExceeded,
    RateLimited,
    UnexpectedResponse,
    error_from_transport,
)

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
DEFAULT_MAX_PAGES = 1000


# --- clocks ---------------------------------------------------------------------------------


class Clock(Protocol):
    """Epoch seconds and a way to wait. `syncapp.sandbox.core.clock.SimClock` fits too."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that never sleeps: `sleep()` moves it forward and adds to `slept`.

    The invoice benchmark runs the governor and the retries on one of these and reports
    `elapsed` as the wall time the rate limits would have cost.
    """

    def __init__(self, *, start: float | None = None) -> None:
        self._start = time.time() if start is None else float(start)
        self._now = self._start
        self.slept = 0.0

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._now += seconds
            self.slept += seconds

    def advance(self, seconds: float) -> None:
        self._now += seconds

    @property
    def elapsed(self) -> float:
        return self._now - self._start


SYSTEM_CLOCK = SystemClock()


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


class ProviderClient:
    """Shared HTTP plumbing. `calls` counts requests actually sent (for benchmarks)."""

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
        self._origin = _origin(self.base_url)
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
            self._log(request, response, started, attempt)
            if response.is_success:
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

    # pagination
    def _iter_link_pages(
        self,
        url: str,
        *,
        items_key: str,
        params: Mapping[str, Any] | None = None,
        next_url: Callable[[Any], str | None] | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[Any]:
        """Yield items page by page, following the API's own next link (Harvest
        `links.next`, which already carries the query, cursor or page alike)."""
        next_url = next_url or _links_next
        pages = 0
        current: str | None = url
        current_params = params
        while current:
            pages += 1
            if pages > max_pages:
                raise PaginationLimitExceeded(
                    f"more than {max_pages} pages", path=_path_of(url), provider=self.provider
                )
            body = self._request_json("GET", current, params=current_params)
            yield from self._items_of(body, items_key=items_key, url=url)
            current, current_params = next_url(body), None
            if current:
                self._check_origin(current)

    def _iter_numbered_pages(
        self,
        url: str,
        *,
        items_key: str,
        page_size: int,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        page_param: str = "page",
        first_page: int = 1,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[Any]:
        """Yield items from page 1, 2, ... until a short page, or the last page a Xero-style
        `pagination.pageCount` announces."""
        page = first_page
        while True:
            if page - first_page >= max_pages:
                raise PaginationLimitExceeded(
                    f"more than {max_pages} pages", path=_path_of(url), provider=self.provider
                )
            body = self._request_json(
                "GET", url, params={**(params or {}), page_param: page}, headers=headers
            )
            items = self._items_of(body, items_key=items_key, url=url)
            yield from items
            page_count = _page_count(body)
            if len(items) < page_size or (page_count is not None and page >= page_count):
                return
            page += 1

    def _items_of(self, body: Any, *, items_key: str, url: str) -> list[Any]:
        items = body.get(items_key) if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            raise UnexpectedResponse(
                f"expected a list under {items_key!r}", path=_path_of(url), provider=self.provider
            )
        return items

    def _check_origin(self, url: str) -> None:
        """A next link must stay on the client's own host: never send the token wherever a
        response told us to go."""
        if "://" in url and _origin(url) != self._origin:
            raise UnexpectedResponse(
                "refusing to follow a URL on another host",
                path=_path_of(url),
                provider=self.provider,
            )

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


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _path_of(url: str) -> str:
    return urlsplit(url).path


def _links_next(body: Any) -> str | None:
    links = body.get("links") if isinstance(body, Mapping) else None
    return (links or {}).get("next") or None


def _page_count(body: Any) -> int | None:
    pagination = body.get("pagination") if isinstance(body, Mapping) else None
    if isinstance(pagination, Mapping) and pagination.get("pageCount") is not None:
        return int(pagination["pageCount"])
    return None


# --- JSON with Decimal ----------------------------------------------------------------------


def json_loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as Decimal (Harvest sends money as floats)."""
    return json.loads(text, parse_float=Decimal)


def json_dumps(value: Any) -> str:
    """Serialise JSON writing Decimal as an exact number literal (never through float);
    dates and datetimes as ISO 8601."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} as JSON")
        return format(value, "f")
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        return (
            "{"
            + ",".join(f"{json.dumps(str(key))}:{json_dumps(item)}" for key, item in value.items())
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_dumps(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not sent: use Decimal for amounts")
    return json.dumps(value)


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from what an API sent (Decimal, int, numeric string, or a float that slipped
    through: converted from its shortest repr, so 0.1 stays 0.1); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def to_money(value: Any) -> Decimal:
    """Like to_decimal but an absent amount is 0 (Harvest sends null for unset amounts)."""
    parsed = to_decimal(value)
    return Decimal("0") if parsed is None else parsed


# --- dates ----------------------------------------------------------------------------------

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_xero_datetime(value: str | None) -> datetime | None:
    """Xero sends `/Date(1573755038314+0000)/` (milliseconds since the epoch, UTC; the
    offset is informational) in JSON and ISO `2019-11-14T18:10:38.314` elsewhere; both become
    an aware datetime (ISO without an offset is UTC, which is how Xero's *UTC fields read)."""
    if value is None or value == "":
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_xero_date(value: str | None) -> date | None:
    """A Xero date field (`Date`, `DueDate`) in either form, as a calendar date."""
    if value is None or value == "":
        return None
    match = _MS_DATE.match(value.strip())
    if match:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))
        return moment.date()
    return date.fromisoformat(value.strip()[:10])


def parse_iso_date(value: str | None) -> date | None:
    """A Harvest date (`2017-06-27`)."""
    return date.fromisoformat(value) if value else None


def parse_iso_datetime(value: str | None) -> datetime | None:
    """A Harvest timestamp (`2017-06-27T16:27:16Z`) as an aware datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

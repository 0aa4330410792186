"""Typed provider errors, built in one place (`ApiError.from_response`).

Flows and the engine catch these classes, never httpx exceptions or status codes:
- AuthExpired: the token or grant is gone; mark the connection needs_reauth, never retry.
- Forbidden: the token works but lacks a scope or role; retrying will not help.
- RateLimited(retry_after, problem): the vendor said 429; wait as told.
- GovernorWouldWait(seconds): our own governor would make the caller wait longer than it
  accepts; the task gives its slot back and reschedules itself (a RateLimited too).
- NotFound, ValidationFailed(elements, messages): a record-level failure; keep going.
- HostUnavailable (5xx, connection refused), Timeout: transient, retried with backoff.

`retryable` says whether sending the same request again can succeed; `maybe_applied` says
whether the vendor may have acted on the request although we saw a failure (a read timeout on
a POST), which is why non-idempotent writes are only retried when `maybe_applied` is False.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from syncapp.providers.parsing import json_loads, text_clean

# OAuth2 token endpoints answer 400 with these codes when the grant itself is dead (RFC 6749
# section 5.2); the connection has to be authorised again, so they are AuthExpired, not validation.
_DEAD_GRANT_CODES = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "invalid_token"}
)
_MESSAGE_LIMIT = 2000


class ApiError(Exception):
    """Root of every provider failure. `api_message` is the vendor's own error text."""

    retryable = False
    maybe_applied = False

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        provider: str = "",
        api_message: str = "",
        body: Any = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.provider = provider
        self.api_message = api_message or message
        self.body = body
        super().__init__(message or api_message or self.__class__.__name__)

    @property
    def where(self) -> str:
        return f"{self.method} {self.path}".strip()

    def __str__(self) -> str:
        text = super().__str__()
        prefix = " ".join(
            part
            for part in (self.provider, self.where, str(self.status) if self.status else "")
            if part
        )
        return f"{prefix}: {text}" if prefix else text

    @classmethod
    def from_response(cls, response: httpx.Response, *, provider: str = "") -> ApiError:
        """Classify a non-2xx response into the most specific ApiError subclass."""
        status = response.status_code
        request = response.request if _has_request(response) else None
        method = request.method if request is not None else ""
        path = request.url.path if request is not None else ""
        body = _body_of(response)
        message = _message_of(body) or response.reason_phrase or f"HTTP {status}"
        context = {
            "status": status,
            "method": method,
            "path": path,
            "provider": provider,
            "api_message": message,
            "body": body,
        }
        oauth_error = body.get("error") if isinstance(body, Mapping) else None
        if status == 401 or (status == 400 and oauth_error in _DEAD_GRANT_CODES):
            return AuthExpired(message, oauth_error=oauth_error or "", **context)
        if status == 403:
            return Forbidden(message, **context)
        if status == 404:
            return NotFound(message, **context)
        if status == 429:
            return RateLimited(
                message,
                retry_after=retry_after_seconds(response.headers),
                problem=response.headers.get("X-Rate-Limit-Problem", ""),
                **context,
            )
        if status in (400, 409, 422):
            return ValidationFailed(
                message,
                elements=_elements_of(body),
                messages=_validation_messages(body) or [message],
                **context,
            )
        if status >= 500:
            return HostUnavailable(message, **context)
        return ApiError(message, **context)


class AuthExpired(ApiError):
    def __init__(self, message: str = "", *, oauth_error: str = "", **kwargs: Any) -> None:
        self.oauth_error = oauth_error
        super().__init__(message, **kwargs)


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class RateLimited(ApiError):
    """429. `retry_after` in seconds (0 when the vendor gave none); `problem` is Xero's
    X-Rate-Limit-Problem (minute, day, concurrent, appminute) or empty."""

    retryable = True

    def __init__(
        self, message: str = "", *, retry_after: float = 0, problem: str = "", **kwargs: Any
    ) -> None:
        self.retry_after = float(retry_after or 0)
        self.problem = problem or ""
        super().__init__(message, **kwargs)


class GovernorWouldWait(RateLimited):
    """Raised before sending: the shared governor wants the caller to wait `seconds`, more than
    the caller's limit. Not retried in place: the task reschedules itself instead."""

    retryable = False

    def __init__(self, seconds: float, *, key: str = "", reason: str = "") -> None:
        self.seconds = float(seconds)
        self.key = key
        self.reason = reason
        text = f"rate governor {key} would wait {self.seconds:.1f}s"
        if reason:
            text += f" ({reason})"
        super().__init__(text, retry_after=self.seconds, problem=reason)


class ValidationFailed(ApiError):
    """400/422. `elements` are the vendor's per-record elements (Xero `Elements`, each with
    its `ValidationErrors`); `messages` flattens every message into plain text."""

    def __init__(
        self,
        message: str = "",
        *,
        elements: list[Any] | None = None,
        messages: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.elements = list(elements or [])
        self.messages = list(messages or ([message] if message else []))
        super().__init__(message, **kwargs)


class HostUnavailable(ApiError):
    """5xx or the host could not be reached. A 503 or a refused connection means the request
    was not processed; other 5xx may have been applied before the server failed."""

    retryable = True

    def __init__(self, message: str = "", *, maybe_applied: bool | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        if maybe_applied is None:
            maybe_applied = self.status not in (None, 503)
        self.maybe_applied = maybe_applied


class Timeout(ApiError):
    """No answer in time. A connect timeout never reached the vendor; a read or write timeout
    may have been applied."""

    retryable = True

    def __init__(self, message: str = "", *, maybe_applied: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.maybe_applied = maybe_applied


class PaginationLimitExceeded(ApiError):
    """A list went past its page cap: raised rather than returning a silently truncated list."""


class UnexpectedResponse(ApiError):
    """A 2xx whose body is not what the endpoint documents (not JSON, missing keys)."""


def error_from_transport(
    exc: httpx.TransportError, *, method: str, path: str, provider: str = ""
) -> ApiError:
    """Map an httpx transport failure (no HTTP answer at all) to a typed error."""
    context = {"method": method, "path": path, "provider": provider}
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return Timeout(f"{name}: no connection in time", maybe_applied=False, **context)
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(f"{name}: no answer in time", maybe_applied=True, **context)
    if isinstance(exc, httpx.ConnectError):
        return HostUnavailable(f"{name}: could not connect", maybe_applied=False, **context)
    return HostUnavailable(f"{name}: connection failed", maybe_applied=True, **context)


def retry_after_seconds(headers: Mapping[str, str]) -> float:
    """Retry-After as seconds; both forms of RFC 9110 (delta-seconds and HTTP-date)."""
    raw = (headers.get("Retry-After") or "").strip()
    if not raw:
        return 0.0
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - time.time())


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises RuntimeError when the response was built by hand
    except RuntimeError:
        return False
    return True


def _body_of(response: httpx.Response) -> Any:
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return None
    if not text:
        return None
    try:
        return json_loads(text)
    except ValueError:
        return text_clean(text[:_MESSAGE_LIMIT])


def _message_of(body: Any) -> str:
    """The vendor's own message: Xero `Message`/`Detail`/`Title`, Harvest `message` or OAuth
    `error_description`/`error`."""
    if isinstance(body, str):
        return body.strip()[:_MESSAGE_LIMIT]
    if not isinstance(body, Mapping):
        return ""
    for key in ("Message", "message", "Detail", "detail", "error_description", "Title", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:_MESSAGE_LIMIT]
    return ""


def _elements_of(body: Any) -> list[Any]:
    if isinstance(body, Mapping) and isinstance(body.get("Elements"), list):
        return body["Elements"]
    return []


def _validation_messages(body: Any) -> list[str]:
    messages: list[str] = []
    for element in _elements_of(body):
        if not isinstance(element, Mapping):
            continue
        for error in element.get("ValidationErrors") or []:
            if isinstance(error, Mapping) and error.get("Message"):
                messages.append(str(error["Message"]))
    if isinstance(body, Mapping) and isinstance(body.get("errors"), list):
        messages.extend(str(item) for item in body["errors"])
    return messages

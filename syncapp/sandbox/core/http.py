"""Small Werkzeug helpers both simulators use: JSON in and out, typed HTTP errors, routing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response


def _json_default(value: Any) -> Any:
    # Money is Decimal inside the simulators; on the wire both vendors send JSON numbers. A cent-
    # quantized Decimal converts to the float whose shortest repr is the same digits, so the
    # number written is exactly the amount.
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent >= 0
            else float(value)
        )
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


_encoder = json.JSONEncoder(default=_json_default, separators=(",", ":"), ensure_ascii=False)


def json_dumps(data: Any) -> bytes:
    return _encoder.encode(data).encode("utf-8")


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = Response(json_dumps(data), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response


class HttpError(Exception):
    """Raised inside a handler to answer with `body` (already vendor-shaped) and `status`."""

    def __init__(self, status: int, body: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response(self.body, status=self.status, headers=self.headers)


class BadJson(ValueError):
    pass


def read_json(request: Request, *, default: Any = None) -> Any:
    """The request body as JSON with numbers as Decimal (never float), `default` when empty."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return default
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(str(exc)) from exc


def iso_z(value: datetime) -> str:
    """`2017-06-27T16:34:24Z`: the ISO 8601 UTC form Harvest uses."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_datetime(value: str) -> datetime:
    """Parse ISO 8601 with `Z`/offset (naive values are taken as UTC)."""
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


Handler = Callable[..., Response]


class Router:
    """Method + path routing over werkzeug's Map. Rules are `(method(s), path, handler)`."""

    def __init__(self, rules: Iterable[tuple[str | tuple[str, ...], str, Handler]]) -> None:
        werkzeug_rules = []
        self._handlers: dict[str, Handler] = {}
        # endpoint -> (methods, path) as declared, so tests can check every route was exercised.
        self.declared: dict[str, tuple[tuple[str, ...], str]] = {}
        for index, (methods, path, handler) in enumerate(rules):
            endpoint = f"r{index}"
            methods = (methods,) if isinstance(methods, str) else methods
            werkzeug_rules.append(Rule(path, endpoint=endpoint, methods=list(methods)))
            self._handlers[endpoint] = handler
            self.declared[endpoint] = (tuple(methods), path)
        self._map = Map(werkzeug_rules, strict_slashes=False, merge_slashes=False)
        self._adapter = self._map.bind("sandbox", "/")

    def endpoint_for(self, *, method: str, path: str) -> str | None:
        try:
            endpoint, _ = self._adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed):
            return None
        return endpoint

    def match(self, *, method: str, path: str) -> tuple[Handler, dict[str, Any]] | None:
        """The handler and path arguments, or None (unknown path or method)."""
        try:
            endpoint, args = self._adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed):
            return None
        return self._handlers[endpoint], args

"""Request context and response helpers shared by the Xero route modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.xero.documents import BatchContext
from syncapp.sandbox.xero.formats import DateParseError, dumps, loads, parse_timestamp
from syncapp.sandbox.xero.serialize import envelope
from syncapp.sandbox.xero.state import XeroState
from syncapp.sandbox.xero.where import QueryParseError, order_apply, where_compile

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class XeroError(Exception):
    """Answer with `status` and a Xero-shaped JSON `body`."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body


def xero_exception(status: int, number: int, type_name: str, message: str) -> XeroError:
    return XeroError(status, {"ErrorNumber": number, "Type": type_name, "Message": message})


def not_found() -> XeroError:
    return xero_exception(404, 17, "ObjectNotFoundException", "The resource you're looking for cannot be found")


def json_response(body: Any, *, status: int = 200) -> Response:
    return Response(dumps(body), status=status, mimetype="application/json")


@dataclass
class RequestContext:
    request: Request
    state: XeroState
    now: datetime
    client_id: str | None = None
    _body: Any = field(default=None, repr=False)
    _body_read: bool = False

    @property
    def args(self):
        return self.request.args

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.request.args.get(name)
        if raw is None:
            return default
        return raw.strip().lower() == "true"

    def body(self) -> Any:
        if not self._body_read:
            raw = self.request.get_data(cache=True)
            self._body_read = True
            if not raw.strip():
                self._body = None
            else:
                try:
                    self._body = loads(raw)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise xero_exception(400, 14, "PostDataInvalidException", "Invalid Json data") from exc
        return self._body

    def items(self, key: str) -> list[Any]:
        """Xero accepts `{"Invoices": [...]}`, a single object, or a bare list."""
        body = self.body()
        if body is None:
            raise xero_exception(400, 14, "PostDataInvalidException", "Invalid Json data")
        if isinstance(body, list):
            return body
        if isinstance(body, dict) and key in body:
            value = body[key]
            return value if isinstance(value, list) else [value]
        if isinstance(body, dict):
            return [body]
        raise xero_exception(400, 14, "PostDataInvalidException", "Invalid Json data")

    def batch(self) -> BatchContext:
        unitdp = 4 if self.request.args.get("unitdp") == "4" else 2
        return BatchContext(now=self.now, unitdp=unitdp, client_id=self.client_id)

    def envelope(self, key: str, items: list[Any], extra: dict | None = None) -> Response:
        return json_response(envelope(state=self.state, now=self.now, key=key, items=items, extra=extra))


def id_list(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [part.strip().strip('"').lower() for part in raw.split(",") if part.strip()]


def listing(
    rc: RequestContext,
    *,
    records: Iterable[dict[str, Any]],
    getter: Callable[[Any, tuple[str, ...]], Any],
    modified_field: str = "UpdatedDateUTC",
    pageable: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    """If-Modified-Since, `where`, `order`, `page`/`pageSize`; returns (records, pagination)."""
    selected: Iterable[dict[str, Any]] = records
    since_raw = rc.request.headers.get("If-Modified-Since")
    if since_raw:
        try:
            since = parse_timestamp(since_raw)
        except DateParseError:
            since = None
        if since is not None:
            selected = [r for r in selected if r.get(modified_field) and r[modified_field] >= since]
    where = rc.args.get("where") or rc.args.get("Where")
    try:
        if where:
            predicate = where_compile(expression=where, getter=getter)
            selected = [r for r in selected if predicate(r)]
        else:
            selected = list(selected)
        order = rc.args.get("order") or rc.args.get("Order")
        if order:
            selected = order_apply(records=selected, order=order, getter=getter)
    except QueryParseError as exc:
        raise xero_exception(400, 16, "QueryParseException", str(exc)) from exc
    if not pageable:
        return selected, None
    page_raw = rc.args.get("page")
    size_raw = rc.args.get("pageSize")
    if page_raw is None and size_raw is None:
        return selected, None
    try:
        page = max(1, int(page_raw or 1))
        size = min(MAX_PAGE_SIZE, max(1, int(size_raw or DEFAULT_PAGE_SIZE)))
    except ValueError as exc:
        raise xero_exception(400, 16, "QueryParseException", "page and pageSize must be integers") from exc
    total = len(selected)
    start = (page - 1) * size
    pagination = {"page": page, "pageSize": size, "pageCount": -(-total // size), "itemCount": total}
    return selected[start:start + size], pagination


def field_getter(record: Any, fields: tuple[str, ...]) -> Any:
    value: Any = record
    for name in fields:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


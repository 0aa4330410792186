"""Harvest list envelopes with both pagination styles.

https://help.getharvest.com/api-v2/introduction/overview/pagination/: `per_page` 1..2000 (larger
is a 422), default 2000; `page` and `cursor` are exclusive and `cursor` wins. A first request
without `page` is answered with page 1 and a `links.next` that carries a cursor; while following
cursors `page`, `next_page` and `previous_page` are null except on the first and last pages.
Every link is absolute and keeps the caller's filters.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from syncapp.sandbox.harvest.common import Ctx, unprocessable
from syncapp.sandbox.harvest.state import Record

MAX_PER_PAGE = 2000
DEFAULT_PER_PAGE = 2000
_LINK_DROP = frozenset({"page", "cursor", "ref", "per_page", "access_token", "account_id"})


def _encode_cursor(key: tuple[Any, int]) -> str:
    raw = json.dumps({"after": {"id": key[1], "k": key[0]}}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        return after.get("k"), int(after["id"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise unprocessable("cursor is invalid") from None


def _per_page(ctx: Ctx) -> int:
    raw = ctx.request.args.get("per_page")
    if raw is None or raw == "":
        return DEFAULT_PER_PAGE
    try:
        value = int(raw)
    except ValueError:
        raise unprocessable("per_page must be a number") from None
    if value < 1 or value > MAX_PER_PAGE:
        raise unprocessable(f"per_page must be between 1 and {MAX_PER_PAGE}")
    return value


def paginate(
    ctx: Ctx,
    *,
    name: str,
    records: Iterable[Record],
    render: Callable[[Record], dict[str, Any]],
    sort_key: Callable[[Record], Any] | None = None,
) -> dict[str, Any]:
    """Sort `records` newest first by (`sort_key`, id), cut one page, build the envelope."""
    per_page = _per_page(ctx)
    primary = sort_key or (lambda r: 0)

    def key(record: Record) -> tuple[Any, int]:
        return primary(record), record["id"]

    ordered = sorted(records, key=key, reverse=True)
    total = len(ordered)
    total_pages = max(1, math.ceil(total / per_page))
    args = ctx.request.args
    cursor = args.get("cursor")
    filters = [(k, v) for k, v in args.items(multi=True) if k not in _LINK_DROP]

    cursor_style = bool(cursor) or "page" not in args
    if cursor:
        start = _cursor_position(ordered, key, _decode_cursor(cursor))
    else:
        start = (_page_number(args.get("page")) - 1) * per_page
    chunk = ordered[start : start + per_page]
    has_more = start + per_page < total
    links_base = ctx.base_url + "/" + ctx.request.path.split("/v2/", 1)[1]

    def url(**params: Any) -> str:
        return f"{links_base}?{urlencode([*filters, *params.items()])}"

    first = url(page=1, per_page=per_page, ref="first")
    last = url(page=total_pages, per_page=per_page, ref="last")
    current = start // per_page + 1
    if cursor_style:
        # Cursor style: next carries the position of the last record sent.
        next_link = (
            url(cursor=_encode_cursor(key(chunk[-1])), per_page=per_page, ref="next_cursor")
            if has_more and chunk
            else None
        )
        on_edge = current == 1 or current >= total_pages
        page_value = current if on_edge else None
        next_page = current + 1 if (on_edge and current < total_pages) else None
        previous_page = current - 1 if (on_edge and current > 1) else None
        previous_link = (
            url(page=current - 1, per_page=per_page, ref="previous") if current > 1 else None
        )
    else:
        page_value = current
        next_page = current + 1 if current < total_pages else None
        previous_page = current - 1 if current > 1 else None
        next_link = url(page=next_page, per_page=per_page, ref="next") if next_page else None
        previous_link = (
            url(page=previous_page, per_page=per_page, ref="previous") if previous_page else None
        )
    return {
        name: [render(r) for r in chunk],
        "per_page": per_page,
        "total_pages": total_pages,
        "total_entries": total,
        "next_page": next_page,
        "previous_page": previous_page,
        "page": page_value,
        "links": {"first": first, "next": next_link, "previous": previous_link, "last": last},
    }


def _page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    try:
        value = int(raw)
    except ValueError:
        raise unprocessable("page must be a number") from None
    if value < 1:
        raise unprocessable("page must be greater than 0")
    return value


def _cursor_position(
    ordered: list[Record], key: Callable[[Record], tuple[Any, int]], after: tuple[Any, int]
) -> int:
    """Index of the first record strictly after `after` in newest-first order."""
    k, record_id = after
    for index, record in enumerate(ordered):
        if record["id"] == record_id:
            return index + 1
    # The record was deleted since: fall back to its remembered sort position.
    for index, record in enumerate(ordered):
        if key(record) < (k, record_id):
            return index
    return len(ordered)

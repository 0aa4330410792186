"""Generic list/get/create/update/delete for a Harvest collection, and rendering helpers.

Internal keys start with `_` (references such as `_client_id`, children such as `_payments`) and
never reach the wire; everything else in a record is already in Harvest's JSON shape.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.core.http import json_response
from syncapp.sandbox.harvest.common import (
    Ctx,
    body_dict,
    get_or_404,
    query_bool,
    query_updated_since,
    unprocessable,
)
from syncapp.sandbox.harvest.pagination import paginate
from syncapp.sandbox.harvest.state import HarvestState, Record


def public(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k[0] != "_"}


def ref(record: Record | None, *fields: str) -> dict[str, Any] | None:
    if record is None:
        return None
    return {f: record.get(f) for f in ("id", *fields)}


def person_name(user: Record | None) -> str | None:
    if user is None:
        return None
    return f"{user['first_name']} {user['last_name']}".strip()


def user_ref(user: Record | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user["id"], "name": person_name(user)}


def filter_common(ctx: Ctx, records: Iterable[Record]) -> Iterable[Record]:
    """`is_active` and `updated_since`, shared by most Harvest list endpoints."""
    is_active = query_bool(ctx, "is_active")
    since = query_updated_since(ctx)
    if is_active is not None:
        records = (r for r in records if r.get("is_active") == is_active)
    if since is not None:
        records = (r for r in records if r["updated_at"] >= since)
    return records


@dataclass
class Resource:
    """One Harvest collection: where it lives, how it renders, how writes are applied."""

    name: str
    collection: Callable[[HarvestState], dict[int, Record]]
    render: Callable[[HarvestState, Record], dict[str, Any]]
    create: Callable[[Ctx, dict[str, Any]], Record] | None = None
    update: Callable[[Ctx, Record, dict[str, Any]], None] | None = None
    select: Callable[[Ctx, Iterable[Record]], Iterable[Record]] = filter_common
    sort_key: Callable[[Record], Any] | None = None
    # Returns a reason when the record may not be deleted (422), None when it may.
    delete_blocker: Callable[[Ctx, Record], str | None] | None = None
    on_delete: Callable[[Ctx, Record], None] | None = None

    def list(self, ctx: Ctx, **_: Any) -> Response:
        hs = ctx.hs
        records = self.select(ctx, self.collection(hs).values())
        return json_response(
            paginate(
                ctx,
                name=self.name,
                records=records,
                render=lambda r: self.render(hs, r),
                sort_key=self.sort_key,
            )
        )

    def get(self, ctx: Ctx, *, record_id: int, **_: Any) -> Response:
        record = get_or_404(self.collection(ctx.hs), record_id)
        return json_response(self.render(ctx.hs, record))

    def post(self, ctx: Ctx, **_: Any) -> Response:
        assert self.create is not None
        record = self.create(ctx, body_dict(ctx))
        self.collection(ctx.hs)[record["id"]] = record
        return json_response(self.render(ctx.hs, record), status=201)

    def patch(self, ctx: Ctx, *, record_id: int, **_: Any) -> Response:
        assert self.update is not None
        collection = self.collection(ctx.hs)
        record = get_or_404(collection, record_id)
        # Work on a copy so that a 422 half-way leaves the record as it was, as a real
        # (transactional) service does.
        draft = copy.deepcopy(record)
        self.update(ctx, draft, body_dict(ctx))
        draft["updated_at"] = ctx.now
        record.clear()
        record.update(draft)
        return json_response(self.render(ctx.hs, record))

    def delete(self, ctx: Ctx, *, record_id: int, **_: Any) -> Response:
        collection = self.collection(ctx.hs)
        record = get_or_404(collection, record_id)
        if self.delete_blocker is not None:
            reason = self.delete_blocker(ctx, record)
            if reason:
                raise unprocessable(reason)
        del collection[record["id"]]
        if self.on_delete is not None:
            self.on_delete(ctx, record)
        return Response(b"", status=200, mimetype="application/json")


def require(body: dict[str, Any], *fields: str) -> None:
    for field in fields:
        value = body.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise unprocessable(
                f"{field.replace('_id', '').replace('_', ' ').capitalize()} can't be blank"
            )

"""Request context and the small helpers every Harvest handler uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.wrappers import Request

from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.http import HttpError, iso_z, parse_iso_datetime
from syncapp.sandbox.core.store import SandboxState
from syncapp.sandbox.harvest.state import HarvestState, Record

API_PREFIX = "/api.harvestapp.com/v2"
CENT = Decimal("0.01")


@dataclass
class Ctx:
    """One request as a Harvest handler sees it."""

    sandbox: SandboxState
    clock: SimClock
    request: Request
    user_id: int | None = None
    body: Any = None

    @property
    def hs(self) -> HarvestState:
        return self.sandbox.harvest

    @property
    def now(self) -> str:
        return iso_z(self.clock.now())

    @property
    def base_url(self) -> str:
        """Where the mounted Harvest API lives for this caller (links point back here)."""
        return self.request.host_url.rstrip("/") + API_PREFIX

    @property
    def user(self) -> Record | None:
        return self.hs.users.get(self.user_id) if self.user_id is not None else None

    def new_id(self, kind: str) -> int:
        return new_id(self.sandbox, kind)


_ID_BASES = {
    "users": 1782001,
    "clients": 5735001,
    "contacts": 4706001,
    "tasks": 8083001,
    "projects": 14308001,
    "task_assignments": 155502001,
    "user_assignments": 125068001,
    "expense_categories": 4195001,
    "invoice_item_categories": 1466001,
    "time_entries": 636708001,
    "expenses": 15296001,
    "invoices": 13150001,
    "line_items": 53341001,
    "messages": 27835001,
    "payments": 10112001,
}


def new_id(sandbox: SandboxState, kind: str) -> int:
    # Harvest ids are large integers; distinct ranges per kind make mix-ups visible in tests.
    return sandbox.next_id(f"harvest:{kind}", start=_ID_BASES.get(kind, 1000001))


def unprocessable(message: str) -> HttpError:
    """Harvest's validation failure: 422 with `{"message": ...}`."""
    return HttpError(422, {"message": message})


def not_found() -> HttpError:
    return HttpError(404, {"status": 404, "error": "Not Found"})


def get_or_404(collection: dict[int, Record], record_id: Any) -> Record:
    try:
        record = collection.get(int(record_id))
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise not_found()
    return record


def body_dict(ctx: Ctx) -> dict[str, Any]:
    body = ctx.body
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise unprocessable("The request body must be a JSON object")
    return body


def to_decimal(value: Any, *, field: str, allow_none: bool = True) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise unprocessable(f"{field} can't be blank")
    if isinstance(value, bool):
        raise unprocessable(f"{field} is not a number")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise unprocessable(f"{field} is not a number") from None
    if not result.is_finite():
        raise unprocessable(f"{field} is not a number")
    return result


def to_int(value: Any, *, field: str) -> int:
    if isinstance(value, bool):
        raise unprocessable(f"{field} is not a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise unprocessable(f"{field} is not a number") from None


def to_date(value: Any, *, field: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise unprocessable(f"{field} is not a valid date") from None


def to_bool(value: Any, *, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise unprocessable(f"{field} is not a boolean")


def query_bool(ctx: Ctx, name: str) -> bool | None:
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return None
    return raw.lower() in ("true", "1")


def query_int(ctx: Ctx, name: str) -> int | None:
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise unprocessable(f"{name} is not a number") from None


def query_date(ctx: Ctx, name: str) -> str | None:
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return None
    return to_date(raw, field=name)


def query_updated_since(ctx: Ctx) -> str | None:
    """`updated_since` as the `...Z` text records carry, so it compares as a string."""
    raw = ctx.request.args.get("updated_since")
    if raw is None or raw == "":
        return None
    try:
        return iso_z(parse_iso_datetime(raw))
    except ValueError:
        raise unprocessable("updated_since is not a valid date and time") from None


def apply_fields(record: Record, body: dict[str, Any], converters: dict[str, Any]) -> None:
    """Copy the known keys of `body` into `record` through their converters (unknown ignored,
    as Harvest ignores unknown parameters)."""
    for key, convert in converters.items():
        if key in body:
            record[key] = convert(body[key], field=key) if convert is not None else body[key]


def text(value: Any, *, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | Decimal):
        raise unprocessable(f"{field} is not a string")
    return str(value)


def touch(ctx: Ctx, record: Record) -> None:
    record["updated_at"] = ctx.now


def stamp_new(ctx: Ctx, record: Record) -> Record:
    now = ctx.now
    record["created_at"] = now
    record["updated_at"] = now
    return record


def cents(value: Decimal) -> Decimal:
    from decimal import ROUND_HALF_UP

    return value.quantize(CENT, rounding=ROUND_HALF_UP)

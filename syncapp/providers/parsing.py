"""Parsing what the vendors send: JSON with Decimal numbers, Harvest and Xero dates.

Money is Decimal end to end: Harvest sends amounts as JSON floats (sometimes strings), so JSON is
parsed with `parse_float=Decimal`, and written back with Decimal as exact number literals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any


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

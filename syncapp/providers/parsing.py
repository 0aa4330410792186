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

# NUL, the other C0 controls except tab/newline/CR, DEL, the C1 controls, and lone surrogates.
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The same characters as they can appear in a JSON document (escaped, the short escapes \b and
# \f included, or raw for C1 and DEL): a body without any of them needs no walk. An escaped
# backslash before b or f also matches; that only costs a walk.
_UNSAFE_JSON = re.compile(
    r"\\[bf]|\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u00[89][0-9a-fA-F]|\\u[dD][89a-fA-F]"
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)


def _unsafe_replace(match: re.Match) -> str:
    char = match.group()
    if char == "\x00":
        return ""
    return "\ufffd" if "\ud800" <= char <= "\udfff" else " "


def text_clean(value: str) -> str:
    """Text safe to store and to send on: NUL removed, other control characters (except tab,
    newline, carriage return) become a space, a lone surrogate becomes U+FFFD.

    PostgreSQL cannot hold NUL in text or jsonb at all (one such name failed a whole run's
    writes), a lone surrogate cannot be encoded to UTF-8, and Xero refuses or mangles the
    other controls; none of them carries meaning in a name, an address or a description."""
    if not _UNSAFE_TEXT.search(value):
        return value
    return _UNSAFE_TEXT.sub(_unsafe_replace, value)


def json_text_clean(value: Any) -> Any:
    """`text_clean` on every string (keys too) of a decoded JSON value; the rest unchanged."""
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, Mapping):
        return {
            (text_clean(k) if isinstance(k, str) else k): json_text_clean(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [json_text_clean(item) for item in value]
    return value


def json_loads(text: str | bytes) -> Any:
    """Parse JSON with every non-integer number as Decimal (Harvest sends money as floats),
    and every string through `text_clean`: this is where text from Harvest and Xero enters
    hxsync, so nothing downstream (ledger, events, conflicts, writes to the other API) meets
    a NUL or a control character. Raw control characters inside strings are accepted
    (`strict=False`) rather than failing the whole page, and cleaned like escaped ones."""
    if isinstance(text, bytes | bytearray):
        # A stray invalid byte costs one character (U+FFFD), not the whole page.
        text = bytes(text).decode(json.detect_encoding(text), errors="replace")
    parsed = json.loads(text, parse_float=Decimal, strict=False)
    if not _UNSAFE_JSON.search(text):
        return parsed
    return json_text_clean(parsed)


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

"""Xero's wire formats: `/Date(ms+0000)/` dates, money as exact JSON numbers, input date parsing.

Xero writes dates as Microsoft JSON dates: `"Date": "/Date(1539993600000+0000)/"` with a
`DateString` twin (`2018-10-20T00:00:00`), timestamps as `/Date(1541176290160+0000)/` and the
envelope's `DateTimeUTC` as `/Date(1552326816230)/`
(https://developer.xero.com/documentation/api/accounting/requests-and-responses#json-responses-and-date-formats).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_MONEY_MARK = "\x00M"
_MAX_AMOUNT = Decimal("1e12")
_MONEY_END = "\x00"


class DateParseError(ValueError):
    """A date Xero itself would refuse."""


def ms_from_datetime(value: datetime) -> int:
    return int((value - _EPOCH) / timedelta(milliseconds=1))


def msdate(value: date) -> str:
    """A calendar date as Xero writes it: midnight UTC in ms, with the +0000 offset."""
    ms = (value.toordinal() - 719163) * 86_400_000
    return f"/Date({ms}+0000)/"


def msdatetime(value: datetime) -> str:
    return f"/Date({ms_from_datetime(value)}+0000)/"


def msdatetime_envelope(value: datetime) -> str:
    return f"/Date({ms_from_datetime(value)})/"


def datestring(value: date) -> str:
    return f"{value.isoformat()}T00:00:00"


def parse_date(raw: object) -> date:
    """Accept what Xero accepts for a document date: YYYY-MM-DD, an ISO datetime, /Date(ms)/."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise DateParseError(f"not a date: {raw!r}")
    text = raw.strip()
    match = _MS_DATE.match(text)
    if match:
        return (_EPOCH + timedelta(milliseconds=int(match.group(1)))).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise DateParseError(f"not a date: {raw!r}") from exc


def parse_timestamp(raw: str) -> datetime:
    """If-Modified-Since and query timestamps: ISO 8601 (naive = UTC) or RFC 1123."""
    text = raw.strip()
    match = _MS_DATE.match(text)
    if match:
        return _EPOCH + timedelta(milliseconds=int(match.group(1)))
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise DateParseError(f"not a timestamp: {raw!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_decimal(raw: object) -> Decimal | None:
    """A JSON number (already parsed as Decimal) or numeric string; None when absent."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise InvalidOperation(f"not a number: {raw!r}")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    else:
        value = Decimal(str(raw).strip())
    # Xero stores money as decimal(18, 6)-ish; anything larger is refused, never overflowed.
    if not value.is_finite() or abs(value) >= _MAX_AMOUNT:
        raise InvalidOperation(f"out of range: {raw!r}")
    return value


def money_json(value: Decimal) -> str:
    """Mark a Decimal so `dumps` writes it as a bare JSON number with its exact digits."""
    return f"{_MONEY_MARK}{value}{_MONEY_END}"


def dumps(payload: object) -> bytes:
    """JSON with money written exactly (`40.00`, as Xero does), never through a float."""
    text = json.dumps(payload, separators=(",", ":"))
    if "\\u0000M" in text:
        text = text.replace('"\\u0000M', "").replace('\\u0000"', "")
    return text.encode()


def loads(raw: bytes | str) -> object:
    """Parse a request body with numbers as Decimal (money must never pass through float)."""
    return json.loads(raw, parse_float=Decimal)

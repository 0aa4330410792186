"""Xero's two date forms, read into Python dates and aware datetimes, and written back.

Xero writes dates as Microsoft JSON dates (`/Date(1539993600000+0000)/`, the envelope's
`DateTimeUTC` without an offset) next to ISO twins (`DateString`, `UpdatedDateUTCString`), and
the identity API writes ISO with seven fractional digits (`2019-12-07T18:46:19.5165400`).
See https://developer.xero.com/documentation/api/accounting/requests-and-responses
("JSON responses and date formats"). The milliseconds are always UTC; the offset only says
which zone the value was displayed in, so it never shifts the instant.

Parsing itself lives in providers.base (shared with the Harvest side); this module adds the
typed error and the request-side formats.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from syncapp.providers.base import parse_xero_date, parse_xero_datetime


class XeroDateError(ValueError):
    """A value that is neither an ISO date nor a Microsoft JSON date."""


def xero_datetime_parse(value: str | None) -> datetime | None:
    """An aware datetime (UTC when the text carries no zone) or None for an empty value."""
    if not isinstance(value, str | None):
        raise XeroDateError(f"not a Xero date: {value!r}")
    try:
        return parse_xero_datetime(value)
    except ValueError as exc:
        raise XeroDateError(f"not a Xero date: {value!r}") from exc


def xero_date_parse(value: str | None) -> date | None:
    """A calendar date. Xero sends document dates as midnight UTC, so the UTC day is the date."""
    if not isinstance(value, str | None):
        raise XeroDateError(f"not a Xero date: {value!r}")
    try:
        return parse_xero_date(value)
    except ValueError as exc:
        raise XeroDateError(f"not a Xero date: {value!r}") from exc


def xero_date_format(value: date) -> str:
    """What Xero accepts for a document date in a request body: plain ISO `YYYY-MM-DD`."""
    return value.isoformat()


def xero_if_modified_since(value: datetime) -> str:
    """The If-Modified-Since header: UTC ISO 8601 with a zone, as the spec's `date-time` asks.

    Xero's docs describe `yyyy-mm-ddThh:mm:ss` in UTC; the contract (format date-time) needs the
    zone, and Xero reads an explicit `Z` the same way.
    """
    if value.tzinfo is None:
        raise ValueError("If-Modified-Since needs an aware datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

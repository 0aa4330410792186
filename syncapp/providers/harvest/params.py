"""How hxsync spells Harvest parameters: filters, timestamps and partial bodies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

PER_PAGE = 2000
# Invoice message events that change an invoice's state without e-mailing anyone
# (https://help.getharvest.com/api-v2/invoices-api/invoices/invoice-messages/).
INVOICE_EVENTS = frozenset({"send", "close", "re-open", "draft"})


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def harvest_timestamp(value: datetime) -> str:
    """`updated_since` as Harvest documents it: ISO 8601 in UTC."""
    if value.tzinfo is None:
        raise ValueError("updated_since must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def query_of(**values: Any) -> dict[str, Any]:
    """Drop unset filters; dates, datetimes and booleans in Harvest's spelling."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        key = key.rstrip("_")  # from_ -> from
        if isinstance(value, datetime):
            value = harvest_timestamp(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = value
    return out


def body_of(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not UNSET}

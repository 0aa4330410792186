"""Xero's length limits on the text hxsync sends, and how to keep within them (pure).

Xero refuses an over-long value with a ValidationException ("Contact Name is too long. Maximum of
255 characters allowed"); the limits are the Accounting API's (xero_accounting.yaml maxLength and
https://developer.xero.com/documentation/api/accounting/invoices). Xero counts characters as .NET
does, in UTF-16 code units (an emoji counts 2), so hxsync counts the same way.

Free text that nobody matches on is shortened (`xero_clip`); identifying values (names, numbers)
are never shortened: the record waits with `too_long_reason` for finance to fix it in Harvest.
"""

from __future__ import annotations

CONTACT_NAME = 255
PERSON_NAME = 255  # Contact FirstName / LastName
EMAIL = 255
DOCUMENT_NUMBER = 255  # InvoiceNumber / CreditNoteNumber
REFERENCE = 255
LINE_DESCRIPTION = 4000
ADDRESS_LINE = 500
ADDRESS_CITY_REGION = 255  # City, Region, AttentionTo
ADDRESS_CODE = 50  # PostalCode, Country

_SHOWN = 40  # characters of an over-long value quoted back to finance


def xero_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def xero_clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 units, never through the middle of a character."""
    if xero_length(text) <= limit:
        return text
    out, used = [], 0
    for char in text:
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            break
        out.append(char)
    return "".join(out).rstrip()


def too_long_reason(*, what: str, value: str, limit: int, fix: str) -> str | None:
    """Finance's reason when `value` is over Xero's limit, else None.

    e.g. "The invoice number 'INV-2026-…' is 300 characters; Xero allows 255. Shorten it in Harvest."
    """
    length = xero_length(value)
    if length <= limit:
        return None
    shown = value if len(value) <= _SHOWN else value[:_SHOWN].rstrip() + "…"
    return f"The {what} '{shown}' is {length} characters; Xero allows {limit}. {fix}"


def xero_where_string(value: str) -> str:
    """A string literal for Xero's `where` filter, its quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""Which OAuth scopes open which Accounting endpoints.

Both generations are honoured: the broad `accounting.transactions` and the granular scopes Xero
requires for apps created from 2 March 2026 (`accounting.invoices` for invoices and credit notes,
`accounting.payments`, `accounting.banktransactions`, `accounting.manualjournals`); every scope
has a `.read` variant that allows GET only (https://developer.xero.com/documentation/guides/oauth2/scopes/).
"""

from __future__ import annotations

_BY_ENDPOINT = {
    "invoices": ("accounting.invoices", "accounting.transactions"),
    "creditnotes": ("accounting.invoices", "accounting.transactions"),
    "payments": ("accounting.payments", "accounting.transactions"),
    "overpayments": ("accounting.payments", "accounting.transactions"),
    "banktransactions": ("accounting.banktransactions", "accounting.transactions"),
    "manualjournals": ("accounting.manualjournals", "accounting.transactions"),
    "contacts": ("accounting.contacts",),
    "organisation": ("accounting.settings",),
    "accounts": ("accounting.settings",),
    "taxrates": ("accounting.settings",),
    "currencies": ("accounting.settings",),
    "trackingcategories": ("accounting.settings",),
    # Items answer to either scope.
    "items": ("accounting.settings", "accounting.invoices", "accounting.transactions"),
}
_ATTACHMENTS = ("accounting.attachments",)


def scope_allows(*, scope: str, method: str, path: str) -> bool:
    """`path` is below /api.xro/2.0 (e.g. `/Invoices/{id}/Attachments/a.pdf`)."""
    parts = [p.lower() for p in path.split("/") if p]
    if not parts:
        return True
    needed = _ATTACHMENTS if "attachments" in parts[1:] else _BY_ENDPOINT.get(parts[0])
    if needed is None:
        return True  # unknown endpoints answer 404 after this check
    granted = set(scope.split())
    read = method in ("GET", "HEAD")
    return any(name in granted or (read and f"{name}.read" in granted) for name in needed)

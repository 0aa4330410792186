"""The Xero organisation's settings the flows map against, cached per integration.

Chart of accounts, tax rates, currencies, tracking categories, organisation settings (base
currency, lock dates, type) and allowed actions are read from Xero at most once per `MAX_AGE`
(6 calls) and kept in XeroOrgCache; the preflight page refreshes them on demand. Values are
stored as Xero sent them, with Decimals and dates as strings (JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from syncapp.models import Integration, XeroOrgCache
from syncapp.providers.xero.dates import xero_date_parse

MAX_AGE = timedelta(hours=6)


def json_plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class XeroSettings:
    """A read-only view of the cache for the flows and the preflight."""

    organisation: dict
    actions: dict
    accounts: list
    tax_rates: list
    currencies: list
    tracking: list
    fetched_at: datetime | None

    @property
    def base_currency(self) -> str:
        return self.organisation.get("BaseCurrency", "")

    @property
    def currency_codes(self) -> set[str]:
        return {c.get("Code", "") for c in self.currencies} | {self.base_currency}

    @property
    def accounts_by_code(self) -> dict[str, dict]:
        return {a.get("Code"): a for a in self.accounts if a.get("Code")}

    @property
    def tax_rates_by_type(self) -> dict[str, dict]:
        return {t.get("TaxType"): t for t in self.tax_rates if t.get("TaxType")}

    @property
    def lock_date(self) -> date | None:
        """The later of the period and end-of-year lock dates (posted documents must be after)."""
        found = []
        for name in ("PeriodLockDate", "EndOfYearLockDate"):
            raw = self.organisation.get(name)
            parsed = xero_date_parse(raw) if raw else None
            if parsed:
                found.append(parsed)
        return max(found) if found else None

    def allowed(self, action: str) -> bool:
        return self.actions.get(action, "ALLOWED") == "ALLOWED"


def _settings(row: XeroOrgCache) -> XeroSettings:
    return XeroSettings(
        organisation=row.organisation,
        actions=row.actions,
        accounts=row.accounts,
        tax_rates=row.tax_rates,
        currencies=row.currencies,
        tracking=row.tracking,
        fetched_at=row.fetched_at,
    )


def xero_settings_refresh(*, integration: Integration, xero) -> XeroSettings:
    """Read everything again from Xero (6 calls) and store it."""
    organisation = xero.get_organisation()
    row, _ = XeroOrgCache.objects.update_or_create(
        integration=integration,
        defaults={
            "organisation": json_plain(organisation.raw),
            "actions": {a.name: a.status for a in xero.list_organisation_actions()},
            "accounts": [json_plain(a.raw) for a in xero.list_accounts()],
            "tax_rates": [json_plain(t.raw) for t in xero.list_tax_rates()],
            "currencies": [
                {"Code": c.code, "Description": c.description} for c in xero.list_currencies()
            ],
            "tracking": [
                {
                    "Name": t.name,
                    "Status": t.status,
                    "Options": [{"Name": o.name, "Status": o.status} for o in t.options],
                }
                for t in xero.list_tracking_categories()
            ],
            "fetched_at": timezone.now(),
        },
    )
    return _settings(row)


def xero_settings_get(
    *, integration: Integration, xero=None, max_age: timedelta = MAX_AGE, refresh: bool = False
) -> XeroSettings | None:
    """The cached settings; refreshed through `xero` when missing, stale or asked for.
    Without a client, whatever is cached (possibly None)."""
    row = XeroOrgCache.objects.filter(integration=integration).first()
    stale = row is None or row.fetched_at is None or timezone.now() - row.fetched_at > max_age
    if xero is not None and (refresh or stale):
        return xero_settings_refresh(integration=integration, xero=xero)
    return _settings(row) if row is not None else None


def xero_settings_note_currency(*, integration: Integration, code: str) -> None:
    """Remember a currency hxsync just enabled, without reading the whole list again."""
    row = XeroOrgCache.objects.filter(integration=integration).first()
    if row is not None and code not in {c.get("Code") for c in row.currencies}:
        row.currencies = [*row.currencies, {"Code": code, "Description": code}]
        row.save(update_fields=["currencies"])

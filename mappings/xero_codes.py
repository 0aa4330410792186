"""Account codes and tax types checked against the Xero organisation they will be sent to.

The check reads the cached copy of the organisation's chart and tax rates that the runs refresh
(XeroOrgCache); it never calls Xero. With no cached copy yet, codes are accepted with a warning:
blocking would make a new integration impossible to set up before its first run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mappings.models import (
    AccountMapping,
    CurrencyMapping,
    ExpenseCategoryMapping,
    TaxMapping,
)
from syncapp.models import Integration, XeroOrgCache

# Which fields of which mapping hold a Xero account code or a Xero tax type.
XERO_CODE_FIELDS = {
    AccountMapping: {"account_code": "account"},
    CurrencyMapping: {"sales_account_code": "account", "clearing_account_code": "account"},
    TaxMapping: {"xero_tax_type": "tax"},
    ExpenseCategoryMapping: {"account_code": "account", "tax_type": "tax"},
}
_INACTIVE = {"ARCHIVED", "DELETED"}
# Account types an expense usually posts to; offered first in the account lists
# (https://developer.xero.com/documentation/api/accounting/types#accounts).
_EXPENSE_TYPES = {"EXPENSE", "DIRECTCOSTS", "OVERHEADS"}


@dataclass
class XeroCodes:
    organisation: str
    cached: bool
    accounts: dict[str, str] = field(default_factory=dict)  # code -> status
    tax_types: dict[str, str] = field(default_factory=dict)  # tax type -> status
    account_rows: list[dict] = field(default_factory=list)  # as Xero lists them
    tax_rows: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self._account_names = {
            a["Code"]: a.get("Name") or "" for a in self.account_rows if a.get("Code")
        }
        self._tax_names = {
            t["TaxType"]: t.get("Name") or "" for t in self.tax_rows if t.get("TaxType")
        }

    @property
    def warning(self) -> str:
        if self.cached:
            return ""
        return (
            f"{self.organisation}'s Xero chart of accounts and tax rates have not been read yet, "
            "so account codes and tax rates were not checked. They will be checked once a run "
            "or the preflight page has read them."
        )

    def problem(self, *, kind: str, code: str) -> str | None:
        if not self.cached or not code:
            return None
        if kind == "account":
            status, what, where = self.accounts.get(code), "account", "chart of accounts"
        else:
            status, what, where = self.tax_types.get(code), "tax rate", "tax rates"
        if status is None:
            return f"{what} {code} is not in {self.organisation}'s {where}"
        if status.upper() in _INACTIVE:
            return f"{what} {code} is {status.lower()} in {self.organisation}'s {where}"
        return None

    def account_label(self, code: str) -> str:
        """'200 — Sales', or the bare code when the chart does not name it."""
        name = self._account_names.get(code, "")
        return f"{code} — {name}" if name else code

    def tax_label(self, tax_type: str) -> str:
        """'INPUT2 — 20% (VAT on Expenses)', or the bare tax type when unnamed."""
        name = self._tax_names.get(tax_type, "")
        return f"{tax_type} — {name}" if name else tax_type

    def account_choices(self) -> list[tuple[str, str]]:
        """The active accounts with a code, expense accounts first, each group by code."""
        active = [
            a
            for a in self.account_rows
            if a.get("Code") and str(a.get("Status", "ACTIVE")).upper() not in _INACTIVE
        ]
        active.sort(key=lambda a: (a.get("Type") not in _EXPENSE_TYPES, a["Code"]))
        return [(a["Code"], self.account_label(a["Code"])) for a in active]

    def tax_choices(self) -> list[tuple[str, str]]:
        """The active tax rates, those Xero lets expenses use first, each group by name."""
        active = [
            t
            for t in self.tax_rows
            if t.get("TaxType") and str(t.get("Status", "ACTIVE")).upper() not in _INACTIVE
        ]
        active.sort(
            key=lambda t: (t.get("CanApplyToExpenses") is False, t.get("Name") or t["TaxType"])
        )
        return [(t["TaxType"], self.tax_label(t["TaxType"])) for t in active]


def xero_codes_for(*, integration: Integration) -> XeroCodes:
    row = XeroOrgCache.objects.filter(integration=integration).first()
    name = integration.name
    if row is None or row.fetched_at is None:
        return XeroCodes(organisation=name, cached=False)
    organisation = (row.organisation or {}).get("Name") or name
    return XeroCodes(
        organisation=organisation,
        cached=True,
        accounts={a["Code"]: a.get("Status", "ACTIVE") for a in row.accounts if a.get("Code")},
        tax_types={
            t["TaxType"]: t.get("Status", "ACTIVE") for t in row.tax_rates if t.get("TaxType")
        },
        account_rows=list(row.accounts),
        tax_rows=list(row.tax_rates),
    )


def mapping_xero_problems(*, instance, codes: XeroCodes) -> dict[str, str]:
    """{field name: message} for each Xero code on this mapping the organisation lacks."""
    problems = {}
    for name, kind in XERO_CODE_FIELDS.get(type(instance), {}).items():
        message = codes.problem(kind=kind, code=getattr(instance, name) or "")
        if message:
            problems[name] = message
    return problems

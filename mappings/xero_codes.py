"""Account codes and tax types checked against the Xero organisation they will be sent to.

The check reads the cached copy of the organisation's chart and tax rates that the runs refresh
(XeroOrgCache); it never calls Xero. With no cached copy yet, codes are accepted with a warning:
blocking would make a new integration impossible to set up before its first run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mappings.models import AccountMapping, CurrencyMapping, TaxMapping
from syncapp.models import Integration, XeroOrgCache

# Which fields of which mapping hold a Xero account code or a Xero tax type.
XERO_CODE_FIELDS = {
    AccountMapping: {"account_code": "account"},
    CurrencyMapping: {"sales_account_code": "account", "clearing_account_code": "account"},
    TaxMapping: {"xero_tax_type": "tax"},
}
_INACTIVE = {"ARCHIVED", "DELETED"}


@dataclass
class XeroCodes:
    organisation: str
    cached: bool
    accounts: dict[str, str] = field(default_factory=dict)  # code -> status
    tax_types: dict[str, str] = field(default_factory=dict)  # tax type -> status

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
    )


def mapping_xero_problems(*, instance, codes: XeroCodes) -> dict[str, str]:
    """{field name: message} for each Xero code on this mapping the organisation lacks."""
    problems = {}
    for name, kind in XERO_CODE_FIELDS.get(type(instance), {}).items():
        message = codes.problem(kind=kind, code=getattr(instance, name) or "")
        if message:
            problems[name] = message
    return problems

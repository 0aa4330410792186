"""Checks before any write (and on demand from the admin): each problem says what is wrong and
what finance should do, before a sync trips over it.

`preflight_check` is pure (the integration's settings and mappings, Xero's cached settings, and
optionally the pending Harvest invoices and the invoice numbers Xero already uses);
`preflight_run` gathers those (reads only) and calls it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from syncapp.flows.invoices.plan import tax_combination_label
from syncapp.flows.xero_cache import XeroSettings

# Which tax-rate flag lets a rate be used on an account of each Xero account type.
_CLASS_FLAG = {
    "REVENUE": "CanApplyToRevenue",
    "SALES": "CanApplyToRevenue",
    "OTHERINCOME": "CanApplyToRevenue",
    "EXPENSE": "CanApplyToExpenses",
    "OVERHEADS": "CanApplyToExpenses",
    "DIRECTCOSTS": "CanApplyToExpenses",
    "DEPRECIATN": "CanApplyToExpenses",
    "EQUITY": "CanApplyToEquity",
}
REVENUE_TYPES = {"REVENUE", "SALES", "OTHERINCOME"}


@dataclass(frozen=True)
class Problem:
    code: str
    subject: str
    message: str
    advice: str
    blocking: bool = False
    harvest_ids: tuple[str, ...] = field(default=(), compare=False)
    # What the preflight page's fix needs (JSON-safe): {"applies", "tax", "tax2"} for a missing
    # tax rate, {"currency"} for a currency Xero has not enabled.
    fix: dict = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "subject": self.subject,
            "message": self.message,
            "advice": self.advice,
            "blocking": self.blocking,
            "harvest_ids": list(self.harvest_ids),
            "fix": dict(self.fix),
        }


@dataclass(frozen=True)
class HeldInvoice:
    """A ledger row held until something exists in Xero (its snapshot's "wait")."""

    harvest_id: str
    label: str
    wait: dict


@dataclass(frozen=True)
class PendingInvoice:
    harvest_id: str
    number: str
    currency: str
    issue_date: object = None


def _account_problems(
    *, code: str, where: str, accounts: dict, problems: list[Problem]
) -> dict | None:
    account = accounts.get(code)
    if account is None:
        problems.append(
            Problem(
                "account_unknown",
                where,
                f"Account code {code} does not exist in Xero's chart of accounts.",
                "Pick an existing sales account in the mapping, or refresh Xero's settings if "
                "it was just added.",
                blocking=True,
            )
        )
        return None
    if account.get("Status") == "ARCHIVED":
        problems.append(
            Problem(
                "account_archived",
                where,
                f"Account {code} ({account.get('Name', '')}) is archived in Xero.",
                "Restore it in Xero (Accounting › Chart of accounts) or map to another account.",
                blocking=True,
            )
        )
    elif account.get("Type") not in REVENUE_TYPES:
        problems.append(
            Problem(
                "account_not_revenue",
                where,
                f"Account {code} ({account.get('Name', '')}) is a {account.get('Type')} account, "
                "not a sales account.",
                "Invoice lines usually post to a revenue account; check the mapping.",
            )
        )
    return account


def preflight_check(
    *,
    integration,
    settings: XeroSettings | None,
    account_codes: Iterable[tuple[str, str]] = (),  # (code, where it comes from)
    tax_types: Iterable[tuple[str, str]] = (),
    tax_expectations: Iterable[tuple[str, Decimal, str]] = (),  # (type, Harvest %, where)
    currency_targets: Iterable[str] = (),
    pending: Iterable[PendingInvoice] = (),
    taken_numbers: dict[str, str] | None = None,  # lower number -> what holds it in Xero
    held: Iterable[HeldInvoice] = (),
) -> list[Problem]:
    problems: list[Problem] = []
    if settings is None:
        return [
            Problem(
                "no_settings",
                "Xero organisation",
                "Xero's chart of accounts, tax rates and currencies have not been read yet.",
                "Press 'Refresh Xero settings' (the connection must work).",
                blocking=True,
            )
        ]
    approved = integration.xero_invoice_status == "AUTHORISED"
    action = "CreateApprovedInvoice" if approved else "CreateDraftInvoice"
    if not settings.allowed(action):
        problems.append(
            Problem(
                "org_cannot_invoice",
                "Xero organisation",
                f"This organisation ({settings.organisation.get('OrganisationType', '?')}, "
                f"{settings.organisation.get('Edition', '?')}) may not {action} through the API.",
                "Check the Xero plan or edition, or change the integration's Xero status policy.",
                blocking=True,
            )
        )
    accounts = settings.accounts_by_code
    rates = settings.tax_rates_by_type
    checked = {}
    if not integration.default_account_code:
        problems.append(
            Problem(
                "no_default_account",
                "Integration",
                "The integration has no default sales account.",
                "Lines no mapping rule covers will fail: set a default account on the integration.",
            )
        )
    for code, where in [
        (integration.default_account_code, "Integration default account"),
        *account_codes,
    ]:
        if code and code not in checked:
            checked[code] = _account_problems(
                code=code, where=where, accounts=accounts, problems=problems
            )
    if integration.rounding_policy == "balance":
        code = integration.rounding_account_code
        if not code:
            problems.append(
                Problem(
                    "no_rounding_account",
                    "Integration",
                    "The rounding policy adds rounding lines but no rounding account is set.",
                    "Set the rounding account on the integration, or flag differences instead.",
                    blocking=True,
                )
            )
        else:
            _account_problems(
                code=code, where="Rounding account", accounts=accounts, problems=problems
            )
    tax_list = list(tax_types)
    if integration.default_tax_type:
        tax_list.append((integration.default_tax_type, "Integration default tax type"))
    for tax_type, where in tax_list:
        rate = rates.get(tax_type)
        if rate is None or rate.get("Status") not in (None, "ACTIVE"):
            problems.append(
                Problem(
                    "tax_unknown",
                    where,
                    f"Tax type {tax_type} does not exist or is not active in Xero.",
                    "Pick an active sales tax rate in the tax mapping.",
                    blocking=True,
                )
            )
            continue
        for code, account in checked.items():
            if account is None:
                continue
            flag = _CLASS_FLAG.get(account.get("Type", ""), "CanApplyToRevenue")
            if rate.get(flag) is False:
                problems.append(
                    Problem(
                        "tax_not_allowed",
                        where,
                        f"Xero does not allow tax type {tax_type} ({rate.get('Name', '')}) on "
                        f"account {code} ({account.get('Name', '')}).",
                        "Map the lines to a sales account, or pick a sales tax rate.",
                        blocking=True,
                    )
                )
    for tax_type, percent, where in tax_expectations:
        rate = rates.get(tax_type)
        if rate is None:
            continue
        effective = Decimal(str(rate.get("EffectiveRate") or "0"))
        if effective != percent:
            problems.append(
                Problem(
                    "tax_rate_differs",
                    where,
                    f"Harvest charges {percent.normalize():f} % but Xero's {tax_type} "
                    f"({rate.get('Name', '')}) is {effective.normalize():f} %: Xero's totals "
                    "would not match Harvest's.",
                    "Map these lines to a Xero rate with the same percentage.",
                    blocking=True,
                )
            )
    pending = list(pending)
    held = list(held)
    problems.extend(_tax_missing_problems(held))
    enabled = settings.currency_codes
    wanted_currencies = set(currency_targets)
    by_currency: dict[str, list[str]] = {}
    for invoice in pending:
        by_currency.setdefault(invoice.currency, []).append(invoice.harvest_id)
    for invoice in held:
        code = invoice.wait.get("currency")
        if code and invoice.harvest_id not in by_currency.get(code, ()):
            by_currency.setdefault(code, []).append(invoice.harvest_id)
    for code in sorted(wanted_currencies | set(by_currency)):
        if code and code not in enabled:
            enable = integration.currency_policy == "enable"
            problems.append(
                Problem(
                    "currency_not_enabled",
                    f"Currency {code}",
                    f"Xero has no {code} enabled"
                    + (
                        f"; {len(by_currency.get(code, []))} pending invoices use it."
                        if code in by_currency
                        else "."
                    ),
                    "hxsync will enable it on the next sync (policy)."
                    if enable
                    else "Enable this currency in Xero (the button here, or Settings › "
                    "Currencies in Xero), or set the currency policy to enable it automatically; "
                    "until then these invoices wait.",
                    blocking=not enable,
                    harvest_ids=tuple(by_currency.get(code, ())),
                    fix={"currency": code},
                )
            )
    lock = settings.lock_date
    if approved and lock:
        locked = [i for i in pending if i.issue_date and i.issue_date <= lock]
        if locked:
            problems.append(
                Problem(
                    "before_lock_date",
                    "Dates",
                    f"{len(locked)} pending invoices are dated on or before Xero's lock date "
                    f"{lock.isoformat()}.",
                    "Move the lock date in Xero, or send invoices as drafts; until then they wait.",
                    harvest_ids=tuple(i.harvest_id for i in locked),
                )
            )
    if taken_numbers:
        prefix = integration.invoice_number_prefix
        taken = [i for i in pending if f"{prefix}{i.number}".lower() in taken_numbers]
        for invoice in taken:
            problems.append(
                Problem(
                    "number_collision",
                    f"Invoice {prefix}{invoice.number}",
                    f"Xero already has {taken_numbers[f'{prefix}{invoice.number}'.lower()]} with "
                    f"the number {prefix}{invoice.number}.",
                    "Renumber one of them, or set an invoice number prefix on the integration; "
                    "hxsync never overwrites it.",
                    harvest_ids=(invoice.harvest_id,),
                )
            )
    return problems


def _tax_missing_problems(held: list[HeldInvoice]) -> list[Problem]:
    """One problem per Harvest tax combination that no Xero rate covers, with the invoices it
    holds; finance creates the rate in Xero or maps it to an existing one from the page."""
    by_combo: dict[tuple[str, str, str], list[HeldInvoice]] = {}
    for invoice in held:
        for applies, tax, tax2 in invoice.wait.get("taxes") or ():
            by_combo.setdefault((applies, tax, tax2), []).append(invoice)
    problems = []
    for (applies, tax, tax2), invoices in sorted(by_combo.items()):
        label = tax_combination_label(applies, tax, tax2)
        numbers = ", ".join(i.label for i in invoices[:10]) + (" …" if len(invoices) > 10 else "")
        problems.append(
            Problem(
                "tax_rate_missing",
                f"Tax: {label}",
                f"Xero has no tax rate for {label} and no tax mapping names one; "
                f"{len(invoices)} invoice(s) wait: {numbers}.",
                "Create this rate in Xero, or map it to an existing Xero rate; the waiting "
                "invoices are sent right after.",
                blocking=True,
                harvest_ids=tuple(i.harvest_id for i in invoices),
                fix={"applies": applies, "tax": tax, "tax2": tax2},
            )
        )
    return problems

"""Organisation settings: Organisation (+ Actions), Accounts, TaxRates (+ writes), Currencies, TrackingCategories."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.batch import batch_write
from syncapp.sandbox.xero.http import (
    RequestContext,
    XeroError,
    field_getter,
    listing,
    not_found,
    xero_exception,
)
from syncapp.sandbox.xero.limits import ACCOUNT as ACCOUNT_LIMITS
from syncapp.sandbox.xero.limits import length_errors
from syncapp.sandbox.xero.lookups import ACCOUNT_CLASS
from syncapp.sandbox.xero.serialize import settings_json
from syncapp.sandbox.xero.tax_rates import (
    PreparedRate,
    tax_rate_commit,
    tax_rate_prepare_create,
    tax_rate_prepare_update,
)

CURRENCY_NAMES = {
    "AUD": "Australian Dollar", "CAD": "Canadian Dollar", "CHF": "Swiss Franc", "EUR": "Euro",
    "GBP": "British Pound", "JPY": "Japanese Yen", "NZD": "New Zealand Dollar",
    "SEK": "Swedish Krona", "SGD": "Singapore Dollar", "USD": "United States Dollar",
    "ZAR": "South African Rand", "DKK": "Danish Krone", "NOK": "Norwegian Krone",
    "HKD": "Hong Kong Dollar", "INR": "Indian Rupee",
}


def _validation(messages: list[str], element: dict[str, Any]) -> XeroError:
    element = dict(element)
    element["ValidationErrors"] = [{"Message": m} for m in messages]
    return XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                           "Message": "A validation exception occurred", "Elements": [element]})


def organisation_get(rc: RequestContext) -> Response:
    data = settings_json(rc.state.organisation)
    data["OrganisationID"] = rc.state.tenant_id
    return rc.envelope("Organisations", [data])


def organisation_actions(rc: RequestContext) -> Response:
    actions = [{"Name": name, "Status": status} for name, status in rc.state.actions.items()]
    return rc.envelope("Actions", actions)


def _account_json(account: dict[str, Any]) -> dict[str, Any]:
    data = settings_json(account)
    data["Class"] = ACCOUNT_CLASS.get(account["Type"], "REVENUE")
    return data


def accounts_list(rc: RequestContext) -> Response:
    selected, _ = listing(rc, records=rc.state.accounts.values(), getter=field_getter, pageable=False)
    return rc.envelope("Accounts", [_account_json(a) for a in selected])


def account_get(rc: RequestContext, account_id: str) -> Response:
    account = rc.state.accounts.get(account_id.lower())
    if account is None:
        raise not_found()
    return rc.envelope("Accounts", [_account_json(account)])


def _account_check(rc: RequestContext, account: dict[str, Any], own_id: str | None) -> list[str]:
    errors = length_errors(account, ACCOUNT_LIMITS)
    code = account.get("Code")
    if code:
        holder = rc.state.account_by_code.get(str(code).upper())
        if holder is not None and holder != own_id:
            errors.append("Please enter a unique Code.")
    name = (account.get("Name") or "").strip().lower()
    if not name:
        errors.append("Please enter a Name.")
    elif any(a["Name"].strip().lower() == name and a["AccountID"] != own_id for a in rc.state.accounts.values()):
        errors.append("Please enter a unique Name.")
    if account.get("Type") not in ACCOUNT_CLASS:
        errors.append("Please select a valid account Type.")
    if account.get("TaxType") and account["TaxType"] not in rc.state.tax_rates:
        errors.append("Please select a valid Tax Rate.")
    if account.get("Status") not in ("ACTIVE", "ARCHIVED"):
        errors.append("Account Status must be ACTIVE or ARCHIVED.")
    return errors


_ACCOUNT_FIELDS = ("Code", "Name", "Type", "Description", "TaxType", "EnablePaymentsToAccount",
                   "ShowInExpenseClaims", "BankAccountNumber", "BankAccountType", "CurrencyCode",
                   "Status", "ReportingCode", "AddToWatchlist")


def _account_fields(raw: dict[str, Any]) -> dict[str, Any]:
    fields = {k: raw[k] for k in _ACCOUNT_FIELDS if k in raw}
    for name in ("Code", "Name", "Type", "Description", "TaxType", "Status", "CurrencyCode"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            fields[name] = str(fields[name])
    return fields


def account_create(rc: RequestContext) -> Response:
    raw = rc.body()
    if not isinstance(raw, dict):
        raise xero_exception(400, 14, "PostDataInvalidException", "Invalid Json data")
    account = _account_fields(raw)
    account.setdefault("Status", "ACTIVE")
    errors = _account_check(rc, account, None)
    if errors:
        raise _validation(errors, settings_json(account))
    account["AccountID"] = rc.state.new_id("account")
    account["UpdatedDateUTC"] = rc.now
    account.setdefault("HasAttachments", False)
    rc.state.accounts[account["AccountID"]] = account
    if account.get("Code"):
        rc.state.account_by_code[str(account["Code"]).upper()] = account["AccountID"]
    return rc.envelope("Accounts", [_account_json(account)])


def account_update(rc: RequestContext, account_id: str) -> Response:
    existing = rc.state.accounts.get(account_id.lower())
    if existing is None:
        raise not_found()
    items = rc.items("Accounts")
    raw = items[0] if items and isinstance(items[0], dict) else {}
    account = dict(existing)
    account.update(_account_fields(raw))
    errors = _account_check(rc, account, existing["AccountID"])
    if errors:
        raise _validation(errors, _account_json(account))
    if existing.get("Code") and existing["Code"] != account.get("Code"):
        rc.state.account_by_code.pop(str(existing["Code"]).upper(), None)
    if account.get("Code"):
        rc.state.account_by_code[str(account["Code"]).upper()] = account["AccountID"]
    account["UpdatedDateUTC"] = rc.now
    rc.state.accounts[account["AccountID"]] = account
    return rc.envelope("Accounts", [_account_json(account)])


def tax_rates_list(rc: RequestContext) -> Response:
    selected, _ = listing(rc, records=rc.state.tax_rates.values(), getter=field_getter, pageable=False)
    return rc.envelope("TaxRates", [settings_json(t) for t in selected])


def tax_rate_get(rc: RequestContext, tax_type: str) -> Response:
    rate = rc.state.tax_rates.get(tax_type.upper())
    if rate is None:
        raise not_found()
    return rc.envelope("TaxRates", [settings_json(rate)])


def tax_rates_write(rc: RequestContext, *, create_only: bool) -> Response:
    """PUT creates, POST updates by Name (see tax_rates.py); both honour summarizeErrors."""
    names: set[str] = set()
    if create_only:
        def prepare(raw: Any) -> PreparedRate:
            return tax_rate_prepare_create(rc.state, raw, names=names)
    else:
        def prepare(raw: Any) -> PreparedRate:
            return tax_rate_prepare_update(rc.state, raw)
    return batch_write(
        rc,
        key="TaxRates",
        items=rc.items("TaxRates"),
        prepare=prepare,
        commit=lambda p: tax_rate_commit(rc.state, p),
        render=settings_json,
        render_failed=lambda p: settings_json({k: v for k, v in p.record.items() if v is not None}),
    )


def currencies_list(rc: RequestContext) -> Response:
    selected, _ = listing(rc, records=rc.state.currencies.values(), getter=field_getter, pageable=False)
    return rc.envelope("Currencies", [settings_json(c) for c in selected])


def currency_add(rc: RequestContext) -> Response:
    items = rc.items("Currencies")
    raw = items[0] if items and isinstance(items[0], dict) else {}
    code = str(raw.get("Code") or "").upper()
    if rc.state.actions.get("UseMulticurrency") != "ALLOWED":
        raise _validation(["The organisation's subscription does not allow multiple currencies."], {"Code": code})
    if code not in CURRENCY_NAMES:
        raise _validation([f"Currency code '{code}' is not valid."], {"Code": code})
    currency = rc.state.currencies.setdefault(code, {"Code": code, "Description": CURRENCY_NAMES[code]})
    return rc.envelope("Currencies", [settings_json(currency)])


def _tracking_json(category: dict[str, Any], *, include_archived: bool) -> dict[str, Any]:
    data = settings_json(category)
    if not include_archived:
        data["Options"] = [o for o in data.get("Options", []) if o.get("Status") == "ACTIVE"]
    return data


def tracking_list(rc: RequestContext) -> Response:
    include = rc.flag("includeArchived")
    records = [c for c in rc.state.tracking.values() if include or c["Status"] == "ACTIVE"]
    selected, _ = listing(rc, records=records, getter=field_getter, pageable=False)
    return rc.envelope("TrackingCategories", [_tracking_json(c, include_archived=include) for c in selected])


def tracking_get(rc: RequestContext, category_id: str) -> Response:
    category = rc.state.tracking.get(category_id.lower())
    if category is None:
        raise not_found()
    return rc.envelope("TrackingCategories", [_tracking_json(category, include_archived=True)])


def items_list(rc: RequestContext) -> Response:
    selected, _ = listing(rc, records=rc.state.items.values(), getter=field_getter, pageable=False)
    return rc.envelope("Items", [settings_json(i) for i in selected])


def item_get(rc: RequestContext, ref: str) -> Response:
    item = rc.state.items.get(ref.lower())
    if item is None:
        key = rc.state.item_by_code.get(ref.strip().upper())
        item = rc.state.items.get(key) if key else None
    if item is None:
        raise not_found()
    return rc.envelope("Items", [settings_json(item)])

"""Organisation settings checks shared by every document: accounts, tax rates, currencies,
tracking, lock dates. Messages are Xero's own (quoted from its validation errors)."""

from __future__ import annotations

from datetime import date
from typing import Any

from syncapp.sandbox.xero.state import XeroState

# Account Type -> Class (https://developer.xero.com/documentation/api/accounting/types#accounts).
ACCOUNT_CLASS = {
    "BANK": "ASSET", "CURRENT": "ASSET", "FIXED": "ASSET", "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET", "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY", "LIABILITY": "LIABILITY", "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "DEPRECIATN": "EXPENSE", "DIRECTCOSTS": "EXPENSE", "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "OTHERINCOME": "REVENUE", "REVENUE": "REVENUE", "SALES": "REVENUE",
}
_CLASS_FLAG = {
    "ASSET": "CanApplyToAssets", "EQUITY": "CanApplyToEquity", "EXPENSE": "CanApplyToExpenses",
    "LIABILITY": "CanApplyToLiabilities", "REVENUE": "CanApplyToRevenue",
}


def account_resolve(
    state: XeroState, *, code: str | None, account_id: str | None, errors: list[str]
) -> dict[str, Any] | None:
    """The ACTIVE account a line points at, or None with Xero's message appended to `errors`."""
    account = None
    if account_id:
        account = state.accounts.get(str(account_id).lower())
        if account is None:
            errors.append(f"Account ID '{account_id}' is not a valid account for this document.")
            return None
    elif code is not None and str(code) != "":
        account_key = state.account_by_code.get(str(code).upper())
        account = state.accounts.get(account_key) if account_key else None
        if account is None:
            errors.append(f"Account code '{code}' is not a valid code for this document.")
            return None
    else:
        return None
    if account["Status"] != "ACTIVE":
        errors.append(
            f"Account code '{account.get('Code', '')}' has been archived or deleted. Each line item "
            "must reference a valid account."
        )
        return None
    return account


def tax_resolve(
    state: XeroState, *, tax_type: str, account: dict[str, Any] | None, errors: list[str]
) -> dict[str, Any] | None:
    rate = state.tax_rates.get(tax_type)
    if rate is None or rate["Status"] != "ACTIVE":
        errors.append(
            f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of "
            "transaction."
        )
        return None
    if account is not None:
        klass = ACCOUNT_CLASS.get(account["Type"], "REVENUE")
        if not rate.get(_CLASS_FLAG[klass], True):
            errors.append(
                f"The TaxType code '{tax_type}' cannot be used with account code "
                f"'{account.get('Code', '')}'."
            )
            return None
    return rate


def currency_check(state: XeroState, *, code: str, errors: list[str]) -> bool:
    if code == state.base_currency or code in state.currencies:
        return True
    errors.append(f"Organisation is not subscribed to currency {code}")
    return False


def lock_date_check(state: XeroState, *, when: date, errors: list[str]) -> bool:
    """Posted documents may not be dated on or before the organisation's lock dates."""
    org = state.organisation
    ok = True
    for field_name, label in (
        ("PeriodLockDate", "period lock date"),
        ("EndOfYearLockDate", "end of year lock date"),
    ):
        lock = org.get(field_name)
        if lock is not None and when <= lock:
            errors.append(
                f"The document date cannot be before the {label}, currently set at "
                f"{lock.strftime('%d-%b-%Y')}"
            )
            ok = False
    return ok


def tracking_resolve(
    state: XeroState, *, raw: Any, errors: list[str]
) -> list[dict[str, Any]]:
    """A line's Tracking: each by Name+Option or by ids, against ACTIVE categories/options."""
    if not raw:
        return []
    if not isinstance(raw, list) or len(raw) > 2:
        errors.append("A line item can have a maximum of 2 tracking categories.")
        return []
    result = []
    for item in raw:
        if not isinstance(item, dict):
            errors.append("Unknown tracking details.")
            continue
        category = _tracking_category(state, item)
        option = None
        if category is not None:
            wanted_id = item.get("TrackingOptionID")
            wanted_name = str(item.get("Option") or "").strip().lower()
            for candidate in category["Options"]:
                if candidate["Status"] != "ACTIVE":
                    continue
                if (wanted_id and candidate["TrackingOptionID"] == str(wanted_id).lower()) or (
                    wanted_name and candidate["Name"].lower() == wanted_name
                ):
                    option = candidate
                    break
        if category is None or option is None:
            errors.append(
                "Unknown tracking details. A Tracking Category did not match a known active "
                "Tracking Category."
            )
            continue
        result.append(
            {
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
                "Name": category["Name"],
                "Option": option["Name"],
            }
        )
    return result


def _tracking_category(state: XeroState, item: dict[str, Any]) -> dict[str, Any] | None:
    wanted_id = item.get("TrackingCategoryID")
    if wanted_id:
        category = state.tracking.get(str(wanted_id).lower())
        return category if category and category["Status"] == "ACTIVE" else None
    name = str(item.get("Name") or "").strip().lower()
    for category in state.tracking.values():
        if category["Status"] == "ACTIVE" and category["Name"].lower() == name:
            return category
    return None

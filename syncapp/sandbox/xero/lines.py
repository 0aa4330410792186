"""Building a document's line items from a request: validation plus Xero's arithmetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from syncapp.sandbox.xero.formats import parse_decimal
from syncapp.sandbox.xero.lookups import account_resolve, tax_resolve, tracking_resolve
from syncapp.sandbox.xero.money import (
    DocumentTotals,
    LineError,
    LineResult,
    TaxComponentSpec,
    document_totals,
    line_compute,
    tax_effective_rate,
)
from syncapp.sandbox.xero.state import XeroState


@dataclass
class BuiltLines:
    lines: list[dict[str, Any]] = field(default_factory=list)
    totals: DocumentTotals | None = None
    errors: list[str] = field(default_factory=list)


def rate_percent(rate: dict[str, Any]) -> Decimal:
    cached = rate.get("_effective")
    if cached is None:
        cached = tax_effective_rate(
            components=[
                TaxComponentSpec(rate=c["Rate"], is_compound=bool(c.get("IsCompound")))
                for c in rate["TaxComponents"]
            ]
        )
        rate["_effective"] = cached
    return cached


def _decimal(raw: Any, name: str, errors: list[str]) -> Decimal | None:
    try:
        return parse_decimal(raw)
    except (InvalidOperation, ValueError):
        errors.append(f"The {name} value '{raw}' is not a valid number.")
        return None


def _item_defaults(raw: dict[str, Any], item: dict[str, Any], *, sales: bool) -> dict[str, Any]:
    """An item fills what the line leaves out: description, price, account, tax type
    (https://developer.xero.com/documentation/api/accounting/items)."""
    details = item.get("SalesDetails" if sales else "PurchaseDetails") or {}
    filled = dict(raw)
    description = item.get("Description" if sales else "PurchaseDescription")
    if not filled.get("Description") and description:
        filled["Description"] = description
    if filled.get("UnitAmount") is None and filled.get("LineAmount") is None and details.get("UnitPrice") is not None:
        filled["UnitAmount"] = details["UnitPrice"]
    if not filled.get("AccountCode") and not filled.get("AccountID") and details.get("AccountCode"):
        filled["AccountCode"] = details["AccountCode"]
    if not filled.get("TaxType") and details.get("TaxType"):
        filled["TaxType"] = details["TaxType"]
    return filled


def lines_build(
    state: XeroState,
    *,
    raw_lines: Any,
    line_amount_types: str,
    allow_discounts: bool,
    discount_message: str,
    require_accounts: bool,
    unitdp: int,
    existing: dict[str, dict[str, Any]] | None = None,
    sales: bool = True,
) -> BuiltLines:
    """Validate and compute every line; `existing` maps LineItemID -> stored line (updates)."""
    built = BuiltLines()
    errors = built.errors
    if raw_lines is None:
        raw_lines = []
    if not isinstance(raw_lines, list):
        errors.append("LineItems must be a list.")
        return built
    results: list[LineResult] = []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            errors.append("Each line item must be an object.")
            continue
        line_errors: list[str] = []
        line_id = raw.get("LineItemID")
        line_id = str(line_id).lower() if line_id else None
        if line_id and existing is not None and line_id not in existing:
            line_id = None
        item = None
        item_code = raw.get("ItemCode")
        if item_code:
            item_id = state.item_by_code.get(str(item_code).strip().upper())
            item = state.items.get(item_id) if item_id else None
            if item is None:
                line_errors.append(f"Item code '{item_code}' is not valid.")
            else:
                raw = _item_defaults(raw, item, sales=sales)
        description = raw.get("Description")
        if not (description and str(description).strip()) and not item_code:
            line_errors.append("The description field is mandatory for each line item.")
        quantity = _decimal(raw.get("Quantity"), "quantity", line_errors)
        unit_amount = _decimal(raw.get("UnitAmount"), "unit amount", line_errors)
        line_amount = _decimal(raw.get("LineAmount"), "line amount", line_errors)
        discount_rate = _decimal(raw.get("DiscountRate"), "discount rate", line_errors)
        discount_amount = _decimal(raw.get("DiscountAmount"), "discount amount", line_errors)
        tax_amount = _decimal(raw.get("TaxAmount"), "tax amount", line_errors)
        if (discount_rate or discount_amount) and not allow_discounts:
            line_errors.append(discount_message)
        if discount_rate is not None and not (Decimal(0) <= discount_rate <= Decimal(100)):
            line_errors.append(f"The discount rate '{discount_rate}' is invalid.")
        account = account_resolve(
            state, code=raw.get("AccountCode"), account_id=raw.get("AccountID"), errors=line_errors
        )
        if account is None and require_accounts and not line_errors:
            line_errors.append("Account code or ID must be specified.")
        if line_amount_types == "NoTax":
            tax_type = "NONE"
        else:
            tax_type = raw.get("TaxType") or (account or {}).get("TaxType") or "NONE"
        rate = tax_resolve(state, tax_type=tax_type, account=account, errors=line_errors)
        tracking = tracking_resolve(state, raw=raw.get("Tracking"), errors=line_errors)
        result = None
        if not line_errors:
            try:
                result = line_compute(
                    quantity=quantity,
                    unit_amount=unit_amount,
                    line_amount=line_amount,
                    discount_rate=discount_rate,
                    discount_amount=discount_amount,
                    tax_rate=rate_percent(rate) if rate else Decimal(0),
                    line_amount_types=line_amount_types,
                    tax_amount=tax_amount,
                    unitdp=unitdp,
                )
            except LineError as exc:
                line_errors.append(str(exc))
        if line_errors:
            errors.extend(line_errors)
            continue
        results.append(result)
        line: dict[str, Any] = {
            "LineItemID": line_id or state.new_id("line"),
            "Description": str(description) if description is not None else "",
            "Quantity": result.quantity,
            "UnitAmount": result.unit_amount,
            "TaxType": tax_type,
            "TaxAmount": result.tax_amount,
            "LineAmount": result.line_amount,
            "Tracking": tracking,
        }
        if account is not None:
            line["AccountCode"] = account.get("Code")
            line["AccountID"] = account["AccountID"]
        if item is not None:
            line["ItemCode"] = item["Code"]
            line["Item"] = {"ItemID": item["ItemID"], "Name": item.get("Name", ""), "Code": item["Code"]}
        if discount_rate:
            line["DiscountRate"] = discount_rate
        if discount_amount:
            line["DiscountAmount"] = discount_amount
        built.lines.append(line)
    if not errors:
        built.totals = document_totals(lines=results, line_amount_types=line_amount_types)
    return built

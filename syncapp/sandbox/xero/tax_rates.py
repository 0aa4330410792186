"""Tax rate writes: PUT /TaxRates creates, POST /TaxRates updates a rate found by Name.

As Xero documents them (https://developer.xero.com/documentation/api/accounting/taxrates):
- A new rate needs a Name (unique among the organisation's rates that are not DELETED) and at
  least one TaxComponent with a Name and a Rate (a percentage, up to 4 decimal places); Xero gives
  it the next free `TAXnnn` TaxType.
- ReportTaxType is required outside the US; US organisations file sales tax outside Xero's
  return types and may leave it out (the sandbox then records `USSALESTAX`).
- POST finds the rate by Name (or by TaxType when given). The components sent replace all of the
  rate's components (one left out is deleted). System defined rates cannot be updated.
- Which account classes a rate applies to follows its report type: purchase types (INPUT...)
  cannot be used on revenue, sales types (OUTPUT...) not on expenses.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from syncapp.sandbox.xero.formats import parse_decimal
from syncapp.sandbox.xero.money import TaxComponentSpec, tax_effective_rate
from syncapp.sandbox.xero.state import XeroState

# The ReportTaxType enum of the TaxRate schema (xero_accounting.yaml).
REPORT_TAX_TYPES = frozenset(
    """
AVALARA BASEXCLUDED CAPITALSALESOUTPUT CAPITALEXPENSESINPUT ECOUTPUT ECOUTPUTSERVICES ECINPUT
ECACQUISITIONS EXEMPTEXPENSES EXEMPTINPUT EXEMPTOUTPUT GSTONIMPORTS INPUT INPUTTAXED MOSSSALES NONE
NONEOUTPUT OUTPUT PURCHASESINPUT SALESOUTPUT EXEMPTCAPITAL EXEMPTEXPORT CAPITALEXINPUT
GSTONCAPIMPORTS GSTONCAPITALIMPORTS REVERSECHARGES PAYMENTS INVOICE CASH ACCRUAL FLATRATECASH
FLATRATEACCRUAL ACCRUALS TXCA SRCAS DSOUTPUT BLINPUT2 EPINPUT IMINPUT2 MEINPUT IGDSINPUT2
ESN33OUTPUT OPINPUT OSOUTPUT TXN33INPUT TXESSINPUT TXREINPUT TXPETINPUT NRINPUT ES33OUTPUT
ZERORATEDINPUT ZERORATEDOUTPUT DRCHARGESUPPLY DRCHARGE CAPINPUT CAPIMPORTS IMINPUT INPUT2 CIUINPUT
SRINPUT OUTPUT2 SROUTPUT CAPOUTPUT SROUTPUT2 CIUOUTPUT ZROUTPUT ZREXPORT ACC28PLUS ACCUPTO28
OTHEROUTPUT SHOUTPUT ZRINPUT BADDEBT OTHERINPUT BADDEBTRELIEF IGDSINPUT3 SROVR TOURISTREFUND TXRCN33
TXRCRE TXRCESS TXRCTS CAPEXINPUT UNDEFINED CAPEXOUTPUT ZEROEXPOUTPUT GOODSIMPORT NONEINPUT
NOTREPORTED SROVRRS SROVRLVG SRLVG IM IMESS IMN33 IMRE BADDEBTRECOVERY USSALESTAX BLINPUT3
""".split()
)
_STATUSES = ("ACTIVE", "DELETED", "ARCHIVED")
_FOUR_DP = Decimal("0.0001")
_HUNDRED = Decimal(100)


@dataclass
class PreparedRate:
    record: dict[str, Any]
    existing: dict[str, Any] | None
    errors: list[str]


def _name_key(value: Any) -> str:
    return str(value or "").strip().lower()


def _holder(state: XeroState, name: str) -> dict[str, Any] | None:
    key = _name_key(name)
    for rate in state.tax_rates.values():
        if rate["Status"] != "DELETED" and _name_key(rate["Name"]) == key:
            return rate
    return None


def _components(raw: Any, errors: list[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        errors.append("At least one tax component is required.")
        return []
    parts = []
    for item in raw:
        item = item if isinstance(item, dict) else {}
        name = str(item.get("Name") or "").strip()
        if not name:
            errors.append("Each tax component must have a Name.")
        try:
            rate = parse_decimal(item.get("Rate"))
        except (InvalidOperation, ValueError):
            rate = None
        if rate is None or rate < 0 or rate > _HUNDRED:
            errors.append(
                f"The tax component rate '{item.get('Rate')}' must be a number between 0 and 100."
            )
            rate = Decimal(0)
        elif rate != rate.quantize(_FOUR_DP):
            errors.append("Tax component rates may have at most 4 decimal places.")
        parts.append(
            {
                "Name": name,
                "Rate": rate.quantize(_FOUR_DP),
                "IsCompound": bool(item.get("IsCompound")),
                "IsNonRecoverable": bool(item.get("IsNonRecoverable")),
            }
        )
    return parts


def _applies_to(report_type: str) -> dict[str, bool]:
    purchase = "INPUT" in report_type or report_type in ("EXEMPTEXPENSES", "ECACQUISITIONS")
    sales = "OUTPUT" in report_type or report_type == "MOSSSALES"
    return {
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToLiabilities": True,
        "CanApplyToExpenses": not sales,
        "CanApplyToRevenue": not purchase,
    }


def _finish(record: dict[str, Any]) -> dict[str, Any]:
    effective = tax_effective_rate(
        components=[
            TaxComponentSpec(rate=c["Rate"], is_compound=c["IsCompound"])
            for c in record["TaxComponents"]
        ]
    ).quantize(_FOUR_DP)
    record["DisplayTaxRate"] = effective
    record["EffectiveRate"] = effective
    record.update(_applies_to(record["ReportTaxType"]))
    return record


def _report_type(
    state: XeroState, raw: dict[str, Any], current: str | None, errors: list[str]
) -> str:
    value = raw.get("ReportTaxType")
    if value in (None, ""):
        if current:
            return current
        if state.organisation.get("CountryCode", "US") == "US":
            return "USSALESTAX"
        errors.append("ReportTaxType is required for this organisation.")
        return "NONE"
    value = str(value).strip().upper()
    if value not in REPORT_TAX_TYPES:
        errors.append(f"ReportTaxType '{value}' is not valid.")
        return current or "NONE"
    return value


def tax_rate_prepare_create(state: XeroState, raw: Any, *, names: set[str]) -> PreparedRate:
    """`names` collects the names created earlier in the same request (they must differ too)."""
    raw = raw if isinstance(raw, dict) else {}
    errors: list[str] = []
    name = str(raw.get("Name") or "").strip()
    if not name:
        errors.append("The tax rate Name is required.")
    elif _holder(state, name) is not None or _name_key(name) in names:
        errors.append(f"A tax rate named '{name}' already exists. Tax rate names must be unique.")
    status = str(raw.get("Status") or "ACTIVE").upper()
    if status != "ACTIVE":
        errors.append("A new tax rate must be ACTIVE.")
    record = {
        "Name": name,
        "TaxType": None,
        "TaxComponents": _components(raw.get("TaxComponents"), errors),
        "Status": "ACTIVE",
        "ReportTaxType": _report_type(state, raw, None, errors),
    }
    if name and not errors:
        names.add(_name_key(name))
    return PreparedRate(_finish(record), None, errors)


def _is_system(rate: dict[str, Any]) -> bool:
    tax_type = rate["TaxType"]
    return not (tax_type.startswith("TAX") and tax_type[3:].isdigit())


def tax_rate_prepare_update(state: XeroState, raw: Any) -> PreparedRate:
    raw = raw if isinstance(raw, dict) else {}
    errors: list[str] = []
    name = str(raw.get("Name") or "").strip()
    tax_type = str(raw.get("TaxType") or "").strip().upper()
    existing = (
        state.tax_rates.get(tax_type) if tax_type else (_holder(state, name) if name else None)
    )
    if existing is None:
        wanted = tax_type or name
        errors.append(
            f"The tax rate '{wanted}' could not be found."
            if wanted
            else "The tax rate Name is required."
        )
        return PreparedRate(
            {"Name": name, **({"TaxType": tax_type} if tax_type else {})}, None, errors
        )
    record = dict(existing)
    record.pop("_effective", None)
    if _is_system(existing):
        errors.append(f"The tax rate '{existing['Name']}' is system defined and cannot be updated.")
        return PreparedRate(record, existing, errors)
    if name and _name_key(name) != _name_key(existing["Name"]):
        other = _holder(state, name)
        if other is not None and other is not existing:
            errors.append(
                f"A tax rate named '{name}' already exists. Tax rate names must be unique."
            )
        record["Name"] = name
    if "TaxComponents" in raw:
        record["TaxComponents"] = _components(raw["TaxComponents"], errors)
    if raw.get("Status"):
        status = str(raw["Status"]).upper()
        if status not in _STATUSES:
            errors.append(f"Tax rate status '{status}' is not valid.")
        else:
            record["Status"] = status
    record["ReportTaxType"] = _report_type(state, raw, existing.get("ReportTaxType"), errors)
    return PreparedRate(_finish(record), existing, errors)


def tax_rate_commit(state: XeroState, prepared: PreparedRate) -> dict[str, Any]:
    record = prepared.record
    if prepared.existing is None:
        number = max(
            (int(t[3:]) for t in state.tax_rates if t.startswith("TAX") and t[3:].isdigit()),
            default=0,
        )
        record["TaxType"] = f"TAX{number + 1:03d}"
    # A fresh dict: the effective-rate cache of the old one (lines.rate_percent) must not survive.
    state.tax_rates[record["TaxType"]] = record
    return record

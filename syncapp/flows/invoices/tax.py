"""Which Xero tax rate a Harvest line gets (no I/O).

Harvest keeps one or two tax percentages on the invoice (`tax`, `tax2`) and flags each line
`taxed` / `taxed2`. Harvest adds the two taxes side by side (tax2 is not charged on tax), so a
line carrying both needs a Xero rate whose effective percentage is their sum: a rate with two
simple components (Xero calls such rates compound when a component is compound; Harvest's are
not).

Precedence: the integration's TaxMapping for (applies, tax %, tax2 %); then, for untaxed lines,
the integration's default tax type; then the one active revenue rate in Xero's cached list whose
effective rate is exactly the percentage needed (by components first). Anything else is an
error that names the mapping to add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from syncapp.flows.invoices.money import ZERO

NONE, TAX, TAX2, BOTH = "none", "tax", "tax2", "both"


@dataclass(frozen=True)
class TaxRule:
    applies: str
    tax_percent: Decimal
    tax2_percent: Decimal
    xero_tax_type: str


@dataclass(frozen=True)
class XeroRate:
    tax_type: str
    name: str
    effective_rate: Decimal
    components: tuple[tuple[Decimal, bool], ...]  # (rate, is_compound)
    active: bool
    revenue: bool

    @classmethod
    def from_cache(cls, data: dict) -> XeroRate:
        return cls(
            tax_type=data.get("TaxType", ""),
            name=data.get("Name", ""),
            effective_rate=Decimal(str(data.get("EffectiveRate") or "0")),
            components=tuple(
                (Decimal(str(c.get("Rate") or "0")), bool(c.get("IsCompound")))
                for c in data.get("TaxComponents") or ()
            ),
            active=data.get("Status", "ACTIVE") == "ACTIVE",
            revenue=bool(data.get("CanApplyToRevenue", True)),
        )


@dataclass(frozen=True)
class TaxChoice:
    tax_type: str
    rate: Decimal  # effective percent Xero will charge
    rule: str  # which rule chose it, for finance


class TaxUnmapped(ValueError):
    """No single Xero tax rate fits; the message says which mapping to add. `missing` is the
    Harvest combination (applies, tax %, tax2 %) when no mapping names a rate and Xero has no
    single rate at that percentage: the invoice waits for finance to create or map one."""

    def __init__(self, message: str, *, missing: tuple | None = None) -> None:
        super().__init__(message)
        self.missing = missing


def tax_applies(*, taxed: bool, taxed2: bool, tax: Decimal | None, tax2: Decimal | None) -> str:
    first = bool(taxed and tax)
    second = bool(taxed2 and tax2)
    if first and second:
        return BOTH
    if first:
        return TAX
    if second:
        return TAX2
    return NONE


def _needed(applies: str, tax: Decimal | None, tax2: Decimal | None) -> tuple[Decimal, ...]:
    return {
        NONE: (),
        TAX: (tax or ZERO,),
        TAX2: (tax2 or ZERO,),
        BOTH: (tax or ZERO, tax2 or ZERO),
    }[applies]


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f} %"


def tax_choose(
    *,
    applies: str,
    tax: Decimal | None,
    tax2: Decimal | None,
    rules: Sequence[TaxRule],
    rates: dict[str, XeroRate],
    default_tax_type: str = "",
) -> TaxChoice:
    parts = _needed(applies, tax, tax2)
    wanted = sum(parts, ZERO)
    for rule in rules:
        if rule.applies != applies:
            continue
        if applies in (TAX, BOTH) and rule.tax_percent != (tax or ZERO):
            continue
        if applies in (TAX2, BOTH) and rule.tax2_percent != (tax2 or ZERO):
            continue
        rate = rates.get(rule.xero_tax_type)
        effective = rate.effective_rate if rate else wanted
        if effective != wanted:
            raise TaxUnmapped(
                f"The tax mapping for {applies} points to {rule.xero_tax_type} at "
                f"{_pct(effective)} but Harvest charges {_pct(wanted)}: Xero's totals would not "
                "match. Map these lines to a Xero rate with the same percentage."
            )
        return TaxChoice(
            rule.xero_tax_type, effective, f"tax mapping ({applies}) -> {rule.xero_tax_type}"
        )
    if applies == NONE and default_tax_type:
        rate = rates.get(default_tax_type)
        return TaxChoice(
            default_tax_type,
            rate.effective_rate if rate else ZERO,
            f"integration default tax type {default_tax_type}",
        )
    usable = [r for r in rates.values() if r.active and r.revenue and r.effective_rate == wanted]
    if applies == NONE:
        exempt = [r for r in usable if r.tax_type == "NONE"]
        usable = exempt or usable
    elif len(usable) > 1:
        by_parts = [
            r
            for r in usable
            if not any(compound for _, compound in r.components)
            and sorted(rate for rate, _ in r.components) == sorted(parts)
        ]
        usable = by_parts or usable
    if len(usable) == 1:
        rate = usable[0]
        return TaxChoice(
            rate.tax_type, rate.effective_rate, f"Xero rate at {_pct(wanted)} ({rate.name})"
        )
    described = {
        NONE: "untaxed lines",
        TAX: f"lines with tax {_pct(wanted)}",
        TAX2: f"lines with tax2 {_pct(wanted)}",
        BOTH: f"lines with both taxes ({' + '.join(_pct(p) for p in parts)})",
    }[applies]
    found = ", ".join(sorted(r.tax_type for r in usable))
    why = (
        f"several Xero tax rates fit ({found})" if usable else "no active Xero sales tax rate fits"
    )
    raise TaxUnmapped(
        f"No tax mapping for {described}: {why}. Create the rate in Xero or map it to an "
        "existing one on the invoice preflight page (or add a tax mapping, applies "
        f"'{applies}'); the invoice waits until then.",
        missing=(
            applies,
            (tax or ZERO) if applies in (TAX, BOTH) else ZERO,
            (tax2 or ZERO) if applies in (TAX2, BOTH) else ZERO,
        ),
    )

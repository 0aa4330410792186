"""Line and document arithmetic as Xero does it.

- LineAmount = Quantity x UnitAmount, less DiscountRate % (or DiscountAmount), rounded to 2 dp
  (https://developer.xero.com/documentation/api/accounting/invoices#line-items).
- Tax is computed and rounded per line (Xero's default line-level rounding): Exclusive lines add
  `LineAmount x rate`, Inclusive lines contain `LineAmount x rate / (100 + rate)`, NoTax none.
- A rate with several components adds the simple ones; a compound component applies on top of the
  amount plus the simple components (https://developer.xero.com/documentation/api/accounting/taxrates).
- Rounding is half away from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")


def money_round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dp_round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxComponentSpec:
    rate: Decimal
    is_compound: bool = False


def tax_effective_rate(
    *, components: tuple[TaxComponentSpec, ...] | list[TaxComponentSpec]
) -> Decimal:
    """Combined percentage of a tax rate's components (compound ones apply on top of the others)."""
    simple = sum((c.rate for c in components if not c.is_compound), Decimal(0))
    compound = sum((c.rate for c in components if c.is_compound), Decimal(0))
    return simple + compound * (HUNDRED + simple) / HUNDRED


class LineError(ValueError):
    """A line Xero would refuse; the message is Xero's."""


@dataclass(frozen=True)
class LineResult:
    quantity: Decimal
    unit_amount: Decimal
    line_amount: Decimal
    tax_amount: Decimal
    discount: Decimal


def line_compute(
    *,
    quantity: Decimal | None,
    unit_amount: Decimal | None,
    line_amount: Decimal | None,
    discount_rate: Decimal | None,
    discount_amount: Decimal | None,
    tax_rate: Decimal,
    line_amount_types: str,
    tax_amount: Decimal | None = None,
    unitdp: int = 2,
) -> LineResult:
    """Compute one line. `tax_rate` is the effective percentage of the line's TaxType."""
    if quantity is None and unit_amount is None and line_amount is not None:
        # "If you wish to omit either the Quantity or UnitAmount you can provide a LineAmount and
        # Xero will calculate the missing amount for you" (LineItem.LineAmount in the spec).
        quantity = Decimal(1)
        unit_amount = line_amount
    if quantity is None:
        quantity = Decimal(1) if unit_amount is not None or line_amount is not None else Decimal(0)
    if unit_amount is None:
        if line_amount is not None and quantity:
            unit_amount = line_amount / quantity
        else:
            unit_amount = Decimal(0)
    quantity = dp_round(quantity, 4)
    unit_amount = dp_round(unit_amount, 4 if unitdp == 4 else 2)
    gross = quantity * unit_amount
    if discount_rate:
        computed = money_round(gross * (HUNDRED - discount_rate) / HUNDRED)
    elif discount_amount:
        computed = money_round(gross - discount_amount)
    else:
        computed = money_round(gross)
    if line_amount is not None and money_round(line_amount) != computed:
        raise LineError(
            f"The line total {money_round(line_amount)} does not match the expected line total "
            f"{computed}"
        )
    discount = money_round(gross) - computed
    if tax_amount is not None:
        tax = money_round(tax_amount)
    else:
        tax = tax_on_amount(amount=computed, rate=tax_rate, line_amount_types=line_amount_types)
    return LineResult(
        quantity=quantity,
        unit_amount=unit_amount,
        line_amount=computed,
        tax_amount=tax,
        discount=discount,
    )


def tax_on_amount(*, amount: Decimal, rate: Decimal, line_amount_types: str) -> Decimal:
    if line_amount_types == "NoTax" or not rate:
        return ZERO
    if line_amount_types == "Inclusive":
        return money_round(amount * rate / (HUNDRED + rate))
    return money_round(amount * rate / HUNDRED)


@dataclass(frozen=True)
class DocumentTotals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal
    total_discount: Decimal


def document_totals(*, lines: list[LineResult], line_amount_types: str) -> DocumentTotals:
    amounts = sum((line.line_amount for line in lines), ZERO)
    taxes = sum((line.tax_amount for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    if line_amount_types == "Inclusive":
        return DocumentTotals(
            sub_total=amounts - taxes, total_tax=taxes, total=amounts, total_discount=discount
        )
    return DocumentTotals(
        sub_total=amounts, total_tax=taxes, total=amounts + taxes, total_discount=discount
    )

"""Invoice arithmetic, Harvest's and Xero's, in Decimal (no I/O).

Harvest (https://help.getharvest.com/api-v2/invoices-api/invoices/invoices/, worked example:
subtotal 300.00, discount 10 % -> 30.00, tax 5 % of the discounted taxed amount -> 13.50, tax2 2 %
-> 5.40, amount 288.90) discounts and taxes the *invoice*: each figure is rounded once.
Xero (https://developer.xero.com/documentation/api/accounting/invoices#line-items) discounts and
taxes each *line* and rounds each line, then adds them up. The two disagree by a cent or two on
some invoices; `cents_allocate` spreads Harvest's exact figure over the lines so that the lines
Xero adds up give Harvest's totals.
Both round half away from zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class HarvestTotals:
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tax2_amount: Decimal
    amount: Decimal

    @property
    def net(self) -> Decimal:
        """What Xero calls SubTotal: the lines after the discount, before tax."""
        return self.subtotal - self.discount_amount

    @property
    def total_tax(self) -> Decimal:
        return self.tax_amount + self.tax2_amount


def harvest_totals(
    *,
    lines: Sequence[tuple[Decimal, bool, bool]],
    tax: Decimal | None,
    tax2: Decimal | None,
    discount: Decimal | None,
) -> HarvestTotals:
    """Harvest's own totals from (amount, taxed, taxed2) lines and the invoice percentages."""
    subtotal = sum((amount for amount, _, _ in lines), ZERO)
    taxed_base = sum((amount for amount, taxed, _ in lines if taxed), ZERO)
    taxed2_base = sum((amount for amount, _, taxed2 in lines if taxed2), ZERO)
    keep = (HUNDRED - discount) / HUNDRED if discount else Decimal(1)
    discount_amount = money(subtotal * discount / HUNDRED) if discount else ZERO
    tax_amount = money(taxed_base * keep * tax / HUNDRED) if tax else ZERO
    tax2_amount = money(taxed2_base * keep * tax2 / HUNDRED) if tax2 else ZERO
    subtotal = money(subtotal)
    return HarvestTotals(
        subtotal=subtotal,
        discount_amount=discount_amount,
        tax_amount=tax_amount,
        tax2_amount=tax2_amount,
        amount=subtotal - discount_amount + tax_amount + tax2_amount,
    )


def xero_line_net(*, gross: Decimal, discount_rate: Decimal | None) -> Decimal:
    """Xero's LineAmount for a line with a DiscountRate."""
    if not discount_rate:
        return money(gross)
    return money(gross * (HUNDRED - discount_rate) / HUNDRED)


def xero_line_tax(*, net: Decimal, rate: Decimal) -> Decimal:
    """Xero's tax on an Exclusive line at an effective rate (percent)."""
    return money(net * rate / HUNDRED) if rate else ZERO


def cents_allocate(
    *, target: Decimal, amounts: Sequence[Decimal], weights: Sequence[Decimal] | None = None
) -> list[Decimal]:
    """Adjust `amounts` (each already to the cent) by whole cents so they add up to `target`.

    The difference goes a cent at a time to the lines with the largest weight (ties: the first
    line), so the correction stays where it is proportionally smallest. Lines with weight zero
    are never touched unless every weight is zero.
    """
    amounts = [money(a) for a in amounts]
    difference = money(target) - sum(amounts, ZERO)
    if not difference or not amounts:
        return amounts
    weights = [abs(w) for w in (weights if weights is not None else amounts)]
    order = sorted(range(len(amounts)), key=lambda i: (-weights[i], i))
    eligible = [i for i in order if weights[i]] or order
    step = CENT if difference > 0 else -CENT
    cents = int(abs(difference) / CENT)
    for n in range(cents):
        amounts[eligible[n % len(eligible)]] += step
    return amounts

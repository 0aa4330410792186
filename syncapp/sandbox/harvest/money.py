"""Invoice arithmetic as Harvest does it, in Decimal, rounded to cents.

Harvest's worked example (https://help.getharvest.com/api-v2/invoices-api/invoices/invoices/):
two taxed lines totalling 300.00, discount 10 % -> 30.00, tax 5 % on the discounted taxed amount
(270.00) -> 13.50, tax2 2 % -> 5.40, amount 288.90. Taxes apply only to lines marked `taxed` /
`taxed2`, after the discount; each amount is rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(*, quantity: Decimal, unit_price: Decimal) -> Decimal:
    return money(quantity * unit_price)


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tax2_amount: Decimal
    amount: Decimal


def invoice_totals(
    *,
    lines: Iterable[tuple[Decimal, bool, bool]],
    tax: Decimal | None,
    tax2: Decimal | None,
    discount: Decimal | None,
) -> InvoiceTotals:
    """`lines` are (amount, taxed, taxed2)."""
    subtotal = taxed_base = taxed2_base = ZERO
    for amount, taxed, taxed2 in lines:
        subtotal += amount
        if taxed:
            taxed_base += amount
        if taxed2:
            taxed2_base += amount
    keep = (HUNDRED - discount) / HUNDRED if discount else Decimal(1)
    discount_amount = money(subtotal * discount / HUNDRED) if discount else ZERO
    tax_amount = money(taxed_base * keep * tax / HUNDRED) if tax else ZERO
    tax2_amount = money(taxed2_base * keep * tax2 / HUNDRED) if tax2 else ZERO
    return InvoiceTotals(
        subtotal=money(subtotal),
        discount_amount=discount_amount,
        tax_amount=tax_amount,
        tax2_amount=tax2_amount,
        amount=money(subtotal) - discount_amount + tax_amount + tax2_amount,
    )

"""Xero's line arithmetic: per-line tax rounding, Inclusive/Exclusive/NoTax, discounts, compound rates."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncapp.sandbox.xero.money import (
    LineError,
    TaxComponentSpec,
    document_totals,
    line_compute,
    tax_effective_rate,
)

CENT = Decimal("0.01")
amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2)
quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=4)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("30"), places=3)


def _line(**kw):
    defaults = dict(quantity=None, unit_amount=None, line_amount=None, discount_rate=None,
                    discount_amount=None, tax_rate=Decimal(0), line_amount_types="Exclusive")
    defaults.update(kw)
    return line_compute(**defaults)


def test_exclusive_line_tax_is_rounded_per_line_half_up():
    line = _line(quantity=Decimal(1), unit_amount=Decimal("10.10"), tax_rate=Decimal("8.875"))
    # 10.10 * 8.875% = 0.8963750 -> 0.90
    assert line.line_amount == Decimal("10.10")
    assert line.tax_amount == Decimal("0.90")


def test_half_cent_rounds_away_from_zero():
    line = _line(quantity=Decimal(1), unit_amount=Decimal("0.50"), tax_rate=Decimal("5"))
    assert line.tax_amount == Decimal("0.03")  # 0.025 -> 0.03, not banker's 0.02


def test_inclusive_line_contains_its_tax():
    line = _line(quantity=Decimal(1), unit_amount=Decimal("115.00"), tax_rate=Decimal("15"),
                 line_amount_types="Inclusive")
    assert line.tax_amount == Decimal("15.00")
    totals = document_totals(lines=[line], line_amount_types="Inclusive")
    assert (totals.sub_total, totals.total_tax, totals.total) == (
        Decimal("100.00"), Decimal("15.00"), Decimal("115.00"))


def test_notax_ignores_the_rate():
    line = _line(quantity=Decimal(3), unit_amount=Decimal("9.99"), tax_rate=Decimal("20"),
                 line_amount_types="NoTax")
    assert line.tax_amount == Decimal("0.00")
    assert line.line_amount == Decimal("29.97")


def test_harvest_worked_example_with_two_component_rate():
    # Harvest: subtotal 300, discount 10 %, tax 5 % and tax2 2 % -> 288.90 (issue 7).
    rate = tax_effective_rate(components=[TaxComponentSpec(Decimal(5)), TaxComponentSpec(Decimal(2))])
    line = _line(quantity=Decimal(1), unit_amount=Decimal(300), discount_rate=Decimal(10), tax_rate=rate)
    totals = document_totals(lines=[line], line_amount_types="Exclusive")
    assert line.line_amount == Decimal("270.00")
    assert totals.total_tax == Decimal("18.90")
    assert totals.total == Decimal("288.90")
    assert totals.total_discount == Decimal("30.00")


def test_compound_component_applies_on_top_of_simple_ones():
    rate = tax_effective_rate(components=[TaxComponentSpec(Decimal(5)),
                                          TaxComponentSpec(Decimal("9.975"), is_compound=True)])
    assert rate == Decimal("15.47375")
    line = _line(quantity=Decimal(1), unit_amount=Decimal(100), tax_rate=rate)
    assert line.tax_amount == Decimal("15.47")


def test_discount_amount_and_line_amount_check():
    line = _line(quantity=Decimal(2), unit_amount=Decimal(50), discount_amount=Decimal("12.50"))
    assert line.line_amount == Decimal("87.50")
    with pytest.raises(LineError, match="does not match the expected line total 87.50"):
        _line(quantity=Decimal(2), unit_amount=Decimal(50), discount_amount=Decimal("12.50"),
              line_amount=Decimal("90"))


def test_line_amount_alone_sets_quantity_one():
    line = _line(line_amount=Decimal("42.42"))
    assert (line.quantity, line.unit_amount, line.line_amount) == (Decimal(1), Decimal("42.42"), Decimal("42.42"))


def test_unit_amount_rounds_to_two_places_unless_unitdp_4():
    assert _line(quantity=Decimal(1), unit_amount=Decimal("1.23456")).unit_amount == Decimal("1.23")
    four = _line(quantity=Decimal(1000), unit_amount=Decimal("1.23456"), unitdp=4)
    assert four.unit_amount == Decimal("1.2346")
    assert four.line_amount == Decimal("1234.60")


def test_explicit_tax_amount_overrides_the_computed_one():
    line = _line(quantity=Decimal(1), unit_amount=Decimal(100), tax_rate=Decimal(10), tax_amount=Decimal("9.99"))
    assert line.tax_amount == Decimal("9.99")


@given(quantity=quantities, unit=amounts, rate=rates, discount=st.sampled_from([None, Decimal(5), Decimal("12.5")]))
def test_exclusive_totals_add_up(quantity, unit, rate, discount):
    line = _line(quantity=quantity, unit_amount=unit, tax_rate=rate, discount_rate=discount)
    exact = quantity * unit * (100 - (discount or 0)) / 100
    assert line.line_amount == exact.quantize(CENT, rounding=ROUND_HALF_UP)
    assert line.tax_amount == (line.line_amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    totals = document_totals(lines=[line, line], line_amount_types="Exclusive")
    assert totals.total == totals.sub_total + totals.total_tax
    assert totals.total_tax == 2 * line.tax_amount
    for value in (line.line_amount, line.tax_amount, totals.total):
        assert value == value.quantize(CENT)


@given(units=st.lists(amounts, min_size=1, max_size=8), rate=rates)
def test_inclusive_net_plus_tax_equals_gross(units, rate):
    lines = [_line(quantity=Decimal(1), unit_amount=u, tax_rate=rate, line_amount_types="Inclusive") for u in units]
    totals = document_totals(lines=lines, line_amount_types="Inclusive")
    assert totals.total == sum(units, Decimal(0))
    assert totals.sub_total + totals.total_tax == totals.total
    for line in lines:
        # The tax inside a gross amount is never more than the gross amount's rate share allows.
        assert abs(line.tax_amount - line.line_amount * rate / (100 + rate)) <= Decimal("0.005")


@given(a=st.decimals(min_value=Decimal(0), max_value=Decimal(25), places=3),
       b=st.decimals(min_value=Decimal(0), max_value=Decimal(25), places=3))
def test_compound_rate_is_at_least_the_simple_sum(a, b):
    simple = tax_effective_rate(components=[TaxComponentSpec(a), TaxComponentSpec(b)])
    compound = tax_effective_rate(components=[TaxComponentSpec(a), TaxComponentSpec(b, is_compound=True)])
    assert simple == a + b
    assert compound == a + b + a * b / 100
    assert compound >= simple

"""Harvest's totals reproduced to the cent by the Xero payload (pure, no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncapp.flows.invoices.mapping import CREDIT_NOTE, INVOICE, invoice_map
from syncapp.flows.invoices.money import cents_allocate, harvest_totals
from syncapp.flows.invoices.tax import XeroRate

from .helpers import context, harvest_invoice, xero_totals

D = Decimal


def test_harvest_worked_example_288_90():
    # Harvest's documented example: two taxed lines totalling 300.00, discount 10 %, tax 5 %,
    # tax2 2 % -> 288.90.
    totals = harvest_totals(
        lines=[(D("100.00"), True, True), (D("200.00"), True, True)],
        tax=D("5"),
        tax2=D("2"),
        discount=D("10"),
    )
    assert (totals.subtotal, totals.discount_amount) == (D("300.00"), D("30.00"))
    assert (totals.tax_amount, totals.tax2_amount, totals.amount) == (
        D("13.50"),
        D("5.40"),
        D("288.90"),
    )
    rates = {
        "T5": XeroRate("T5", "5 %", D("5"), ((D("5"), False),), True, True),
        "T2": XeroRate("T2", "2 %", D("2"), ((D("2"), False),), True, True),
        "T7": XeroRate("T7", "5+2", D("7"), ((D("5"), False), (D("2"), False)), True, True),
        "NONE": XeroRate("NONE", "Exempt", D("0"), ((D("0"), False),), True, True),
    }
    invoice = harvest_invoice(
        lines=[(1, "100.00", True, True), (2, "100.00", True, True)],
        tax="5",
        tax2="2",
        discount="10",
    )
    assert invoice.amount == D("288.90")
    mapped = invoice_map(invoice=invoice, contact_id="c1", ctx=context(tax_rates=rates))
    assert mapped.errors == []
    assert mapped.kind == INVOICE
    lines = mapped.payload["LineItems"]
    assert [line["TaxType"] for line in lines] == ["T7", "T7"]
    assert [line["DiscountRate"] for line in lines] == [D("10"), D("10")]
    assert all("TaxAmount" not in line for line in lines)
    totals = xero_totals(mapped.payload, rates)
    assert (totals.sub_total, totals.total_tax, totals.total) == (
        D("270.00"),
        D("18.90"),
        D("288.90"),
    )
    assert mapped.expected.total == D("288.90")


@pytest.mark.parametrize(
    ("taxed", "taxed2", "tax", "tax2", "expected_type"),
    [
        (False, False, "8.875", "2", "NONE"),
        (True, False, "8.875", "2", "TAX001"),
        (False, True, "8.875", "2", "TAX006"),
        (True, True, "8.875", "2", "TAX002"),
        (True, True, "8.875", None, "TAX001"),  # tax2 not set: only the first tax applies
        (True, True, None, None, "NONE"),
        (True, False, "19", None, "TAX003"),
        (True, False, "20", None, "TAX004"),
    ],
)
def test_every_tax_combination(taxed, taxed2, tax, tax2, expected_type):
    invoice = harvest_invoice(lines=[(3, "33.33", taxed, taxed2)], tax=tax, tax2=tax2)
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context())
    assert mapped.errors == []
    assert mapped.payload["LineItems"][0]["TaxType"] == expected_type
    totals = xero_totals(mapped.payload)
    assert totals.total == invoice.amount
    assert totals.total_tax == invoice.tax_amount + invoice.tax2_amount


def test_unmapped_tax_is_a_missing_rate_to_wait_for_not_an_error():
    invoice = harvest_invoice(lines=[(1, "10.00", True, False)], tax="7.5")
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context())
    assert mapped.errors == []
    assert mapped.tax_missing == [("tax", Decimal("7.5"), Decimal(0))]


@pytest.mark.parametrize(
    ("currency", "tax", "expected_type"),
    [("USD", "8.875", "TAX001"), ("EUR", "19", "TAX003"), ("GBP", "20", "TAX004")],
)
def test_three_currencies(currency, tax, expected_type):
    invoice = harvest_invoice(
        lines=[(7.5, "140.00", True, False), (1, "89.99", False, False)],
        tax=tax,
        currency=currency,
        discount="12.5",
    )
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context(currencies={"GBP": "GBP"}))
    assert mapped.payload["CurrencyCode"] == currency
    assert mapped.payload["LineItems"][0]["TaxType"] == expected_type
    totals = xero_totals(mapped.payload)
    assert (totals.sub_total, totals.total_tax, totals.total) == (
        mapped.expected.sub_total,
        mapped.expected.total_tax,
        mapped.expected.total,
    )
    assert totals.total == invoice.amount


def test_discount_rounding_falls_back_to_discount_amounts():
    # Three lines of 0.05 with 10 % off: Harvest discounts 0.015 -> 0.02 once (net 0.13);
    # Xero's per-line rate would round each line to 0.05 (net 0.15).
    invoice = harvest_invoice(lines=[(1, "0.05", False, False)] * 3, discount="10")
    assert invoice.amount == D("0.13")
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context())
    lines = mapped.payload["LineItems"]
    assert all("DiscountRate" not in line for line in lines)
    assert sum(line["DiscountAmount"] for line in lines) == D("0.02")
    assert xero_totals(mapped.payload).total == D("0.13")


def test_tax_rounding_overrides_only_the_lines_needed():
    # Harvest taxes the sum once: (0.05 + 0.05 + 0.05) * 10 % = 0.015 -> 0.02;
    # Xero per line: 0.01 each (0.005 rounds up) = 0.03. One line carries the correction.
    rates = {"T10": XeroRate("T10", "10", D("10"), ((D("10"), False),), True, True)}
    invoice = harvest_invoice(lines=[(1, "0.05", True, False)] * 3, tax="10")
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context(tax_rates=rates))
    overridden = [line for line in mapped.payload["LineItems"] if "TaxAmount" in line]
    assert len(overridden) == 1
    assert xero_totals(mapped.payload, rates).total_tax == D("0.02")


def test_negative_invoice_becomes_credit_note_with_positive_lines():
    invoice = harvest_invoice(
        lines=[(-2, "150.00", True, False), (1, "-0.10", True, False)],
        tax="20",
        discount="5",
        currency="GBP",
    )
    assert invoice.amount < 0
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context())
    assert mapped.kind == CREDIT_NOTE
    assert mapped.payload["Type"] == "ACCRECCREDIT"
    assert mapped.payload["CreditNoteNumber"] == "1001"
    assert "InvoiceNumber" not in mapped.payload and "DueDate" not in mapped.payload
    assert all("Discount" not in key for line in mapped.payload["LineItems"] for key in line)
    totals = xero_totals(mapped.payload)
    assert totals.total == -invoice.amount
    assert totals.total_tax == -(invoice.tax_amount + invoice.tax2_amount)


def test_numbering_policy_and_header():
    invoice = harvest_invoice(
        lines=[(1, "10.00", False, False)],
        purchase_order="PO-9",
        sent_at="2026-03-02T10:00:00Z",
    )
    keep = invoice_map(
        invoice=invoice,
        contact_id="c",
        ctx=context(
            number_prefix="H-", xero_status="AUTHORISED", harvest_url="https://x.harvestapp.com"
        ),
    )
    assert keep.payload["InvoiceNumber"] == "H-1001"
    assert keep.payload["Reference"] == "PO-9"
    assert keep.payload["SentToContact"] is True
    assert keep.payload["LineAmountTypes"] == "Exclusive"
    assert keep.payload["Url"] == "https://x.harvestapp.com/invoices/1"
    assert (keep.payload["Date"], keep.payload["DueDate"]) == ("2026-03-01", "2026-03-31")
    xero = invoice_map(invoice=invoice, contact_id="c", ctx=context(numbering="xero"))
    assert "InvoiceNumber" not in xero.payload
    assert xero.payload["Reference"] == "Harvest #1001 / PO-9"
    assert "SentToContact" not in xero.payload  # drafts are never "sent"


def test_cents_allocate_keeps_the_sum_and_touches_the_largest_first():
    assert cents_allocate(target=D("1.00"), amounts=[D("0.33")] * 3) == [
        D("0.34"),
        D("0.33"),
        D("0.33"),
    ]
    assert cents_allocate(
        target=D("0.98"), amounts=[D("0.50"), D("0.50")], weights=[D(1), D(3)]
    ) == [D("0.49"), D("0.49")]


quantities = st.decimals(min_value=D("-5"), max_value=D("120"), places=3).filter(bool)
prices = st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2)
percent = st.sampled_from([None, D("5"), D("8.875"), D("19"), D("20"), D("2")])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.tuples(quantities, prices, st.booleans(), st.booleans()), min_size=1, max_size=8
    ),
    tax=st.sampled_from([None, D("8.875"), D("19"), D("20")]),
    tax2=st.sampled_from([None, D("2")]),
    discount=st.sampled_from([None, D("5"), D("10"), D("12.5"), D("33.333")]),
)
def test_any_invoice_totals_equal_to_the_cent(lines, tax, tax2, discount):
    if tax is None and tax2 is not None:
        tax2 = None
    rates = context().tax_rates
    if tax in (D("19"), D("20")) and tax2:
        tax2 = None  # the seeded organisation has no 19+2 or 20+2 rate
    invoice = harvest_invoice(
        lines=[(q, p, t1, t2) for q, p, t1, t2 in lines], tax=tax, tax2=tax2, discount=discount
    )
    mapped = invoice_map(invoice=invoice, contact_id="c", ctx=context())
    assert mapped.errors == []
    totals = xero_totals(mapped.payload, rates)
    sign = -1 if mapped.kind == CREDIT_NOTE else 1
    assert totals.total == sign * invoice.amount
    assert totals.total_tax == sign * (invoice.tax_amount + invoice.tax2_amount)
    assert totals.sub_total == mapped.expected.sub_total


def test_tracking_project_wins_over_client_and_item_code_from_the_rule():
    from syncapp.flows.invoices.accounts import AccountRule, account_rules_index

    invoice = harvest_invoice(lines=[(1, "10.00", False, False, 5)], client_id=7)
    ctx = context(
        tracking={
            ("client", "7"): (("Region", "Europe"), ("Department", "Strategy")),
            ("project", "5"): (("Department", "Design"),),
        },
        accounts=account_rules_index(
            rules=[AccountRule("project", "220", project_id="5", item_code="DESIGN")],
            currency_accounts={},
            default_code="200",
        ),
    )
    line = invoice_map(invoice=invoice, contact_id="c", ctx=ctx).payload["LineItems"][0]
    assert line["Tracking"] == [
        {"Name": "Department", "Option": "Design"},
        {"Name": "Region", "Option": "Europe"},
    ]
    assert (line["AccountCode"], line["ItemCode"]) == ("220", "DESIGN")

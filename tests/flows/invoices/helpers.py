"""Builders for pure invoice-mapping tests: Harvest invoices as the API returns them, the
sandbox's Xero tax rates, and an oracle that totals a payload the way Xero does."""

from __future__ import annotations

from decimal import Decimal

from syncapp.flows.invoices.accounts import account_rules_index
from syncapp.flows.invoices.mapping import MappingContext
from syncapp.flows.invoices.tax import XeroRate
from syncapp.providers.harvest.invoice_types import HarvestInvoice
from syncapp.sandbox.harvest.money import invoice_totals, line_amount
from syncapp.sandbox.xero.money import document_totals, line_compute
from syncapp.sandbox.xero.seed import TAX_RATES

D = Decimal


def sandbox_rates() -> dict[str, XeroRate]:
    rates = {}
    for tax_type, name, components, revenue, _exp, _liab, _report in TAX_RATES:
        simple = sum((D(r) for _, r, c in components if not c), D(0))
        effective = simple + sum((D(r) * (100 + simple) / 100 for _, r, c in components if c), D(0))
        rates[tax_type] = XeroRate.from_cache(
            {
                "TaxType": tax_type,
                "Name": name,
                "EffectiveRate": str(effective.quantize(D("0.0001"))),
                "TaxComponents": [{"Rate": r, "IsCompound": c} for _, r, c in components],
                "Status": "ACTIVE",
                "CanApplyToRevenue": revenue,
            }
        )
    return rates


def context(**overrides) -> MappingContext:
    options = {
        "accounts": account_rules_index(rules=(), currency_accounts={}, default_code="200"),
        "tax_rates": sandbox_rates(),
        **overrides,
    }
    return MappingContext(**options)


def harvest_invoice(
    *,
    lines,
    tax=None,
    tax2=None,
    discount=None,
    currency="USD",
    invoice_id=1,
    number="1001",
    client_id=7,
    **extra,
) -> HarvestInvoice:
    """`lines`: (quantity, unit_price, taxed, taxed2[, project_id[, kind]]) tuples."""
    items = []
    for index, line in enumerate(lines):
        quantity, unit, taxed, taxed2 = (D(str(v)) if i < 2 else v for i, v in enumerate(line[:4]))
        project = line[4] if len(line) > 4 else None
        kind = line[5] if len(line) > 5 else "Service"
        items.append(
            {
                "id": index + 1,
                "kind": kind,
                "description": f"Line {index + 1}",
                "quantity": str(quantity),
                "unit_price": str(unit),
                "amount": str(line_amount(quantity=quantity, unit_price=unit)),
                "taxed": taxed,
                "taxed2": taxed2,
                "project": {"id": project, "name": "P"} if project else None,
            }
        )
    totals = invoice_totals(
        lines=[(D(i["amount"]), i["taxed"], i["taxed2"]) for i in items],
        tax=D(str(tax)) if tax is not None else None,
        tax2=D(str(tax2)) if tax2 is not None else None,
        discount=D(str(discount)) if discount is not None else None,
    )
    data = {
        "id": invoice_id,
        "client": {"id": client_id, "name": "Client"},
        "number": number,
        "purchase_order": extra.pop("purchase_order", ""),
        "state": extra.pop("state", "open"),
        "currency": currency,
        "line_items": items,
        "amount": str(totals.amount),
        "due_amount": str(totals.amount),
        "tax": str(tax) if tax is not None else None,
        "tax_amount": str(totals.tax_amount),
        "tax2": str(tax2) if tax2 is not None else None,
        "tax2_amount": str(totals.tax2_amount),
        "discount": str(discount) if discount is not None else None,
        "discount_amount": str(totals.discount_amount),
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        **extra,
    }
    return HarvestInvoice.from_api(data)


def xero_totals(payload: dict, rates: dict[str, XeroRate] | None = None):
    """Totals of a payload as the Xero simulator's arithmetic computes them."""
    rates = rates or sandbox_rates()
    results = []
    for item in payload["LineItems"]:
        rate = rates[item["TaxType"]].effective_rate if item.get("TaxType") else D(0)
        results.append(
            line_compute(
                quantity=item.get("Quantity"),
                unit_amount=item.get("UnitAmount"),
                line_amount=None,
                discount_rate=item.get("DiscountRate"),
                discount_amount=item.get("DiscountAmount"),
                tax_rate=rate,
                line_amount_types="Exclusive",
                tax_amount=item.get("TaxAmount"),
            )
        )
    return document_totals(lines=results, line_amount_types="Exclusive")

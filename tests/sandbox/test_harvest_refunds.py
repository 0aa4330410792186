"""Harvest's sandbox takes a refund on a negative invoice (a credit) as a negative payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.flows.conftest import sandbox_build

pytestmark = pytest.mark.django_db


def credit_invoice(sandbox) -> dict:
    invoice = next(i for i in sandbox.state.harvest.invoices.values() if i["state"] == "open")
    for line in invoice["_line_items"]:
        line["unit_price"] = -abs(line["unit_price"])
        line["amount"] = -abs(line["amount"])
    from syncapp.sandbox.harvest.invoices import invoice_recompute

    invoice["_payments"] = []
    invoice_recompute(invoice)
    assert invoice["due_amount"] < 0
    return invoice


def post_payment(sandbox, invoice, amount: str):
    import httpx

    token = sandbox.credentials["harvest"]["personal_access_token"]
    account = sandbox.credentials["harvest"]["account_id"]
    with httpx.Client(transport=sandbox.transport, base_url="http://sandbox") as http:
        return http.post(
            f"/api.harvestapp.com/v2/invoices/{invoice['id']}/payments",
            json={"amount": float(amount), "paid_date": "2026-12-01"},
            headers={"Authorization": f"Bearer {token}", "Harvest-Account-Id": str(account)},
        )


def test_a_partial_then_full_refund_settles_the_credit():
    sandbox = sandbox_build(invoices=6)
    invoice = credit_invoice(sandbox)
    due = invoice["due_amount"]
    part = (due / 2).quantize(Decimal("0.01"))

    first = post_payment(sandbox, invoice, str(part))
    assert first.status_code == 201, first.text
    assert invoice["state"] == "open" and invoice["due_amount"] == due - part

    rest = post_payment(sandbox, invoice, str(due - part))
    assert rest.status_code == 201, rest.text
    assert invoice["state"] == "paid" and invoice["due_amount"] == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [("10.00", "less than 0"), ("-999999.00", "greater than the amount due"), ("0", "less than 0")],
)
def test_a_refund_of_the_wrong_sign_or_size_is_refused(amount, message):
    sandbox = sandbox_build(invoices=6)
    invoice = credit_invoice(sandbox)
    answer = post_payment(sandbox, invoice, amount)
    assert answer.status_code == 422
    assert message in answer.text
    assert invoice["_payments"] == []

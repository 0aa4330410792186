"""The demo page lists payable Xero invoices beside their Harvest twins and pays them."""

import re

from syncapp.sandbox import build_sandbox_app, sandbox_client


def payable(app):
    return next(
        inv
        for inv in app.state.xero.invoices.values()
        if inv["Type"] == "ACCREC" and inv["Status"] == "AUTHORISED" and inv["AmountPaid"] == 0
    )


def test_page_lists_invoices_with_pay_buttons(seeded_state, clock):
    app = build_sandbox_app(seeded_state, clock=clock)
    with sandbox_client(app) as client:
        page = client.get("/_sandbox/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Sales invoices in Xero" in page.text
    invoice = payable(app)
    assert f"value='{invoice['InvoiceID']}'" in page.text


def test_pay_in_part_then_in_full(seeded_state, clock):
    app = build_sandbox_app(seeded_state, clock=clock)
    invoice = payable(app)
    total = invoice["AmountDue"]
    with sandbox_client(app) as client:
        part = client.post(
            "/_sandbox/pay",
            data={
                "invoice_id": invoice["InvoiceID"],
                "number": invoice["InvoiceNumber"],
                "amount": "10.00",
            },
        )
        assert part.status_code == 303
        assert "message=Paid+10.00" in part.headers["location"]
        assert invoice["AmountDue"] == total - 10
        full = client.post("/_sandbox/pay", data={"invoice_id": invoice["InvoiceID"]})
        assert full.status_code == 303
    assert invoice["AmountDue"] == 0 and invoice["Status"] == "PAID"


def test_a_refused_payment_is_shown_not_lost(seeded_state, clock):
    app = build_sandbox_app(seeded_state, clock=clock)
    invoice = payable(app)
    with sandbox_client(app) as client:
        answer = client.post(
            "/_sandbox/pay", data={"invoice_id": invoice["InvoiceID"], "amount": "lots"}
        )
        assert "error=" in answer.headers["location"]
        page = client.get(answer.headers["location"])
    assert re.search(r"class='err'>.*lots", page.text)
    assert invoice["AmountPaid"] == 0

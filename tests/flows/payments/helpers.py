"""Sandbox set-ups for the payments tests: Xero invoices linked to seeded Harvest invoices.

The invoice flow (issue 7) normally creates these; here the payments tests build the link
themselves so they do not depend on it: one Xero sales invoice per Harvest invoice, same number,
currency and total, AUTHORISED, and an invoice row in the ledger.
"""

from __future__ import annotations

from decimal import Decimal

from syncapp.models import SyncKind, SyncLink
from syncapp.sandbox.xero.control import xero_invoice_pay
from syncapp.sandbox.xero.documents import INVOICE, BatchContext, doc_commit, doc_prepare
from syncapp.sandbox.xero.payments import payment_delete
from syncapp.sandbox.xero.webhooks import webhook_flush


def open_harvest_invoices(sandbox, *, currency: str | None = None) -> list[dict]:
    """Seeded Harvest invoices that are open with nothing paid yet, oldest id first."""
    rows = [
        inv
        for inv in sandbox.state.harvest.invoices.values()
        if inv["state"] == "open"
        and not inv["_payments"]
        and inv["amount"] > 0
        and (currency is None or inv["currency"] == currency)
    ]
    return sorted(rows, key=lambda inv: inv["id"])


def xero_customer_id(sandbox) -> str:
    xero = sandbox.state.xero
    for contact in xero.contacts.values():
        if contact.get("ContactStatus") == "ACTIVE":
            return contact["ContactID"]
    raise AssertionError("the seeded Xero organisation has no active contact")


def xero_invoice_for(sandbox, harvest_invoice: dict, *, total: Decimal | None = None) -> dict:
    """An AUTHORISED Xero invoice matching a Harvest invoice (one untaxed line)."""
    xero = sandbox.state.xero
    ctx = BatchContext(now=sandbox.clock.now())
    amount = total if total is not None else Decimal(str(harvest_invoice["amount"]))
    raw = {
        "Type": "ACCREC",
        "Contact": {"ContactID": xero_customer_id(sandbox)},
        "Date": sandbox.clock.now().date().isoformat(),
        "DueDate": sandbox.clock.now().date().isoformat(),
        "InvoiceNumber": f"H-{harvest_invoice['number']}",
        "CurrencyCode": harvest_invoice["currency"],
        "Status": "AUTHORISED",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": f"Harvest invoice {harvest_invoice['number']}",
                "Quantity": Decimal("1"),
                "UnitAmount": amount,
                "AccountCode": "200",
                "TaxType": "NONE",
            }
        ],
    }
    with xero.lock:
        prepared = doc_prepare(xero, INVOICE, raw, ctx=ctx)
        assert not prepared.errors, prepared.errors
        invoice = doc_commit(xero, prepared, ctx=ctx)
        xero.webhook_outbox.clear()
    return invoice


def linked_invoice(sandbox, integration, *, currency: str | None = "USD", index: int = 0, **kw):
    """(harvest invoice, xero invoice) linked in the ledger as the invoice flow would."""
    harvest_invoice = open_harvest_invoices(sandbox, currency=currency)[index]
    xero_invoice = xero_invoice_for(sandbox, harvest_invoice, **kw)
    SyncLink.objects.create(
        integration=integration,
        kind=SyncKind.INVOICE,
        harvest_id=str(harvest_invoice["id"]),
        xero_id=xero_invoice["InvoiceID"],
        label=harvest_invoice["number"],
        state=SyncLink.State.SYNCED,
    )
    return harvest_invoice, xero_invoice


def xero_pay(sandbox, xero_invoice: dict, amount: Decimal | None = None) -> dict:
    """Pay in the sandbox's Xero as finance would (queues the invoice's webhook event)."""
    xero = sandbox.state.xero
    with xero.lock:
        payment = xero_invoice_pay(
            xero, invoice_ref=xero_invoice["InvoiceID"], now=sandbox.clock.now(), amount=amount
        )
        webhook_flush(xero)
    return payment


def xero_payment_delete(sandbox, payment_id: str) -> None:
    xero = sandbox.state.xero
    with xero.lock:
        errors = payment_delete(
            xero, payment=xero.payments[payment_id], ctx=BatchContext(now=sandbox.clock.now())
        )
        webhook_flush(xero)
    assert not errors, errors


def harvest_payments(sandbox, harvest_invoice: dict) -> list[dict]:
    return list(sandbox.state.harvest.invoices[harvest_invoice["id"]]["_payments"])


def xero_credit_note_allocate(sandbox, xero_invoice: dict, amount: Decimal) -> dict:
    """An AUTHORISED credit note for the invoice's contact, allocated to it."""
    from syncapp.sandbox.xero.documents import CREDIT_NOTE
    from syncapp.sandbox.xero.payments import allocation_apply

    xero = sandbox.state.xero
    ctx = BatchContext(now=sandbox.clock.now())
    raw = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": xero_invoice["ContactID"]},
        "Date": sandbox.clock.now().date().isoformat(),
        "CurrencyCode": xero_invoice["CurrencyCode"],
        "Status": "AUTHORISED",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": "Goodwill credit",
                "Quantity": Decimal("1"),
                "UnitAmount": amount,
                "AccountCode": "200",
                "TaxType": "NONE",
            }
        ],
    }
    with xero.lock:
        prepared = doc_prepare(xero, CREDIT_NOTE, raw, ctx=ctx)
        assert not prepared.errors, prepared.errors
        note = doc_commit(xero, prepared, ctx=ctx)
        allocation, errors = allocation_apply(
            xero,
            credit_note=note,
            raw={"Invoice": {"InvoiceID": xero_invoice["InvoiceID"]}, "Amount": str(amount)},
            ctx=ctx,
        )
        webhook_flush(xero)
    assert not errors, errors
    return note


class WebhookPipe:
    """Receives the sandbox's signed deliveries in-process and posts them to /webhooks/xero/."""

    def __init__(self, sandbox):
        from syncapp.sandbox.xero.webhooks import webhook_add_hook

        self.sandbox = sandbox
        self.deliveries: list[tuple[bytes, dict]] = []
        webhook_add_hook(sandbox.state.xero, lambda body, headers: self.deliveries.append((body, headers)))

    @property
    def key(self) -> str:
        return self.sandbox.state.xero.webhook["key"]

    def take(self) -> list[tuple[bytes, dict]]:
        taken, self.deliveries = self.deliveries, []
        return taken

    @staticmethod
    def post(client, body: bytes, headers: dict):
        return client.post(
            "/webhooks/xero/",
            data=body,
            content_type="application/json",
            headers={"x-xero-signature": headers["x-xero-signature"]},
        )

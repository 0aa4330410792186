"""Sandbox set-ups for the payments tests: Xero invoices linked to seeded Harvest invoices.

The invoice flow (issue 7) normally creates these; here the payments tests build the link
themselves so they do not depend on it: one Xero sales invoice per Harvest invoice, same currency
and total, AUTHORISED, and an invoice row in the ledger. Everything in Xero goes through its API
(or the sandbox's documented `/_sandbox/xero/...` controls), so signed webhooks go out as they
would for a change finance made.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from decimal import Decimal

import httpx

from syncapp.models import Connection, SyncKind, SyncLink
from syncapp.providers.xero.factory import xero_client_for_connection
from tests.flows.conftest import SANDBOX_URL

_keys = iter(range(1, 10**9))


def _key(name: str) -> str:
    return f"test-{name}-{next(_keys)}"


@contextmanager
def xero_api(sandbox, integration):
    connection = integration.connections.get(provider=Connection.Provider.XERO)
    with xero_client_for_connection(connection=connection, transport=sandbox.transport) as client:
        yield client


def sandbox_control(sandbox, method: str, path: str, body: dict | None = None) -> dict:
    with httpx.Client(transport=sandbox.transport, base_url=SANDBOX_URL) as http:
        response = http.request(method, path, content=json.dumps(body or {}))
    assert response.status_code < 300, response.text
    return response.json()


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
    for contact in sandbox.state.xero.contacts.values():
        if contact.get("ContactStatus") == "ACTIVE":
            return contact["ContactID"]
    raise AssertionError("the seeded Xero organisation has no active contact")


def xero_invoice_for(
    sandbox, integration, harvest_invoice: dict, *, total=None, number=None, reference=None
) -> dict:
    """An AUTHORISED Xero invoice for a Harvest invoice (one untaxed line); returns its JSON."""
    amount = Decimal(str(total if total is not None else harvest_invoice["amount"]))
    today = sandbox.clock.now().date().isoformat()
    element = {
        "Type": "ACCREC",
        "Contact": {"ContactID": xero_customer_id(sandbox)},
        "Date": today,
        "DueDate": today,
        "InvoiceNumber": number or f"H-{harvest_invoice['number']}",
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
    if reference:
        element["Reference"] = reference
    with xero_api(sandbox, integration) as xero:
        result = xero.create_invoices(invoices=[element], idempotency_key=_key("invoice"))
        (record,) = result.results
        assert record.ok, record.error_text
        return xero.get_invoice(invoice_id=record.xero_id).raw


def linked_invoice(sandbox, integration, *, currency: str | None = "USD", index: int = 0, **kw):
    """(harvest invoice, xero invoice) linked in the ledger as the invoice flow would."""
    harvest_invoice = open_harvest_invoices(sandbox, currency=currency)[index]
    xero_invoice = xero_invoice_for(sandbox, integration, harvest_invoice, **kw)
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
    """Pay in the sandbox's Xero through its control route (the demo's "Pay" button)."""
    body = {"amount": str(amount)} if amount is not None else {}
    answer = sandbox_control(
        sandbox, "POST", f"/_sandbox/xero/invoices/{xero_invoice['InvoiceID']}/pay", body
    )
    return {**answer, "Date": sandbox.clock.now().date()}


def xero_payment_delete(sandbox, integration, payment_id: str) -> None:
    with xero_api(sandbox, integration) as xero:
        xero.delete_payment(payment_id=payment_id, idempotency_key=_key("delete"))


def xero_credit_note_allocate(sandbox, integration, xero_invoice: dict, amount: Decimal) -> dict:
    """An AUTHORISED credit note for the invoice's contact, allocated to it."""
    element = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": xero_invoice["Contact"]["ContactID"]},
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
    with xero_api(sandbox, integration) as xero:
        (record,) = xero.create_credit_notes(
            credit_notes=[element], idempotency_key=_key("credit")
        ).results
        assert record.ok, record.error_text
        xero.allocate_credit_note(
            credit_note_id=record.xero_id,
            allocations=[
                {
                    "Invoice": {"InvoiceID": xero_invoice["InvoiceID"]},
                    "Amount": amount,
                    "Date": sandbox.clock.now().date().isoformat(),
                }
            ],
            idempotency_key=_key("allocate"),
        )
        return record.element


def harvest_payments(sandbox, harvest_invoice: dict) -> list[dict]:
    return list(sandbox.state.harvest.invoices[harvest_invoice["id"]]["_payments"])


class WebhookPipe:
    """Receives the sandbox's signed deliveries in-process and posts them to /webhooks/xero/."""

    def __init__(self, sandbox):
        from syncapp.sandbox.xero.webhooks import webhook_add_hook

        self.sandbox = sandbox
        self.deliveries: list[tuple[bytes, dict]] = []
        webhook_add_hook(
            sandbox.state.xero, lambda body, headers: self.deliveries.append((body, headers))
        )

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


def xero_overpayment_allocate(
    sandbox, integration, xero_invoice: dict, *, received: Decimal, applied: Decimal
) -> str:
    """The customer sends `received` (more than any invoice asks): Xero keeps it as an
    overpayment, and finance applies `applied` of it to the invoice. Returns the OverpaymentID."""
    contact_id = xero_invoice["Contact"]["ContactID"]
    element = {
        "Type": "RECEIVE-OVERPAYMENT",
        "Contact": {"ContactID": contact_id},
        "BankAccount": {"Code": "090"},
        "Date": sandbox.clock.now().date().isoformat(),
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {"Description": "Overpayment", "Quantity": Decimal("1"), "UnitAmount": received}
        ],
    }
    with xero_api(sandbox, integration) as xero:
        (record,) = xero.create_bank_transactions(
            transactions=[element], idempotency_key=_key("overpayment")
        ).results
        assert record.ok, record.error_text
        overpayment_id = record.element["OverpaymentID"]
    connection = integration.connections.get(provider=Connection.Provider.XERO)
    with httpx.Client(transport=sandbox.transport, base_url=SANDBOX_URL) as http:
        response = http.put(
            f"/api.xero.com/api.xro/2.0/Overpayments/{overpayment_id}/Allocations",
            headers={
                "Authorization": f"Bearer {connection.access_token}",
                "xero-tenant-id": connection.account_id,
                "Idempotency-Key": _key("allocate-overpayment"),
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            content=json.dumps(
                {
                    "Allocations": [
                        {
                            "Invoice": {"InvoiceID": xero_invoice["InvoiceID"]},
                            "Amount": float(applied),
                            "Date": sandbox.clock.now().date().isoformat(),
                        }
                    ]
                }
            ),
        )
    assert response.status_code == 200, response.text
    return overpayment_id

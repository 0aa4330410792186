"""Sandbox-only controls of the Xero side (never part of the real API).

    GET  /_sandbox/xero/state                      summary (read-only)
    GET  /_sandbox/xero/invoices[?status=AUTHORISED]  compact invoice rows (demo state page)
    POST /_sandbox/xero/invoices/{id or number}/pay   {"amount"?, "date"?, "account_code"?}
    POST /_sandbox/xero/webhooks                   {"url"?, "key"?} subscribe (+ intent to receive)
    POST /_sandbox/xero/webhooks/replay            {"index"?} deliver an earlier payload again
    POST /_sandbox/xero/token                      {"client_id"?, "lifetime"?} ready credentials

`xero_invoice_pay` is also called directly by the demo command and by tests: it records a payment
as if finance had paid the invoice in Xero, and queues the invoice's UPDATE webhook.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.xero.documents import BatchContext
from syncapp.sandbox.xero.formats import parse_decimal
from syncapp.sandbox.xero.identity import token_mint
from syncapp.sandbox.xero.payments import payment_commit, payment_prepare
from syncapp.sandbox.xero.state import XeroState
from syncapp.sandbox.xero.webhooks import (
    webhook_configure,
    webhook_intent_to_receive,
    webhook_replay,
)

DEFAULT_CLIENT_ID = "4C6E5A3B2D1F40E89A7B6C5D4E3F2A10"


class XeroSandboxError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def xero_invoice_pay(
    state: XeroState, *, invoice_ref: str, now: datetime, amount: Decimal | None = None,
    paid_on: date | None = None, account_code: str | None = None, reference: str | None = None,
) -> dict[str, Any]:
    """Pay an invoice (in full by default) into the first bank account, as finance would."""
    invoice = state.invoices.get(invoice_ref.lower())
    if invoice is None:
        key = state.invoice_by_number.get(invoice_ref.strip().lower())
        invoice = state.invoices.get(key) if key else None
    if invoice is None:
        raise XeroSandboxError([f"No invoice {invoice_ref}"])
    if account_code is None:
        bank = next((a for a in state.accounts.values() if a["Type"] == "BANK" and a["Status"] == "ACTIVE"), None)
        if bank is None:
            raise XeroSandboxError(["The organisation has no active bank account"])
        account_code = bank["Code"]
    raw = {
        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
        "Account": {"Code": account_code},
        "Amount": amount if amount is not None else invoice.get("AmountDue"),
        "Date": (paid_on or now.date()).isoformat(),
        "Reference": reference or "Paid in the Xero sandbox",
    }
    ctx = BatchContext(now=now)
    prepared = payment_prepare(state, raw, ctx=ctx)
    if prepared.errors:
        raise XeroSandboxError(prepared.errors)
    return payment_commit(state, prepared, ctx=ctx)


def xero_invoices_overview(state: XeroState, *, status: str | None = None) -> list[dict[str, Any]]:
    """Compact rows for the demo's state page (what can be paid, and how much is due)."""
    rows = []
    for invoice in state.invoices.values():
        if status and invoice["Status"] != status.upper():
            continue
        contact = state.contacts.get(invoice["ContactID"], {})
        rows.append({
            "InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice.get("InvoiceNumber"),
            "Type": invoice["Type"], "Contact": contact.get("Name"), "Status": invoice["Status"],
            "Date": invoice["Date"].isoformat(), "CurrencyCode": invoice["CurrencyCode"],
            "Total": str(invoice["Total"]), "AmountDue": str(invoice.get("AmountDue")),
        })
    return rows


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")


def _bank_transaction_reconcile(state: XeroState, tx_id: str, *, reconciled: bool, now: datetime) -> Response:
    """What finance does in Xero's web app (matching a statement line), which the API cannot undo."""
    tx = state.bank_transactions.get(tx_id.lower())
    if tx is None or tx["Status"] != "AUTHORISED":
        return _json({"errors": ["No authorised bank transaction with that id."]}, 404)
    tx.update(IsReconciled=reconciled, UpdatedDateUTC=now)
    return _json({"BankTransactionID": tx["BankTransactionID"], "IsReconciled": reconciled})


def control_dispatch(request: Request, state: XeroState, now: datetime, simulator: Any) -> Response:
    parts = [p for p in request.path[len("/_sandbox/xero"):].split("/") if p]
    try:
        body = json.loads(request.get_data() or b"{}", parse_float=Decimal)
    except ValueError:
        return _json({"error": "invalid JSON"}, 400)
    if parts == ["state"] and request.method == "GET":
        return _json(simulator.summary())
    if parts == ["invoices"] and request.method == "GET":
        return _json(xero_invoices_overview(state, status=request.args.get("status")))
    if len(parts) == 3 and parts[0] == "invoices" and parts[2] == "pay" and request.method == "POST":
        try:
            payment = xero_invoice_pay(
                state, invoice_ref=parts[1], now=now,
                amount=parse_decimal(body.get("amount")),
                paid_on=date.fromisoformat(body["date"]) if body.get("date") else None,
                account_code=body.get("account_code"), reference=body.get("reference"),
            )
        except XeroSandboxError as exc:
            return _json({"errors": exc.messages}, 400)
        return _json({"PaymentID": payment["PaymentID"], "Amount": str(payment["Amount"]),
                      "InvoiceID": payment["InvoiceID"]})
    if (len(parts) == 3 and parts[0] == "bank-transactions" and parts[2] in ("reconcile", "unreconcile")
            and request.method == "POST"):
        return _bank_transaction_reconcile(state, parts[1], reconciled=parts[2] == "reconcile", now=now)
    if parts == ["webhooks"] and request.method == "POST":
        subscription = webhook_configure(state, url=body.get("url"), key=body.get("key"))
        if subscription.get("url"):
            webhook_intent_to_receive(state)
        return _json({k: v for k, v in state.webhook.items()})
    if parts == ["webhooks", "replay"] and request.method == "POST":
        if not state.webhook_sent:
            return _json({"error": "nothing delivered yet"}, 404)
        body = webhook_replay(state, index=int(body.get("index", -1)))
        return _json({"replayed": json.loads(body)})
    if parts == ["token"] and request.method == "POST":
        tokens = token_mint(state, client_id=body.get("client_id") or DEFAULT_CLIENT_ID, now=now,
                            lifetime=int(body.get("lifetime") or 1800))
        return _json({**tokens, "tenant_id": state.tenant_id})
    return _json({"error": "not_found"}, 404)

"""The demo's human page at /_sandbox/: what both simulators hold, a "Pay" button per invoice, and
an "Approve" button per Harvest expense (demo_expenses.py).

Paying goes through the same control route tests use (/_sandbox/xero/invoices/<id>/pay), so
Xero's payment rules and its webhook apply exactly as they do for any other payment.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from syncapp.sandbox.core.demo_expenses import expenses_section

ROWS_SHOWN = 100


def demo_page_respond(app: Any, request: Request) -> Response:
    if request.method == "POST" and request.path.rstrip("/") == "/_sandbox/pay":
        return _pay(app, request)
    if request.method != "GET":
        return Response("Method not allowed", status=405)
    return Response(_render(app, request), mimetype="text/html")


def _pay(app: Any, request: Request) -> Response:
    invoice_id = request.form.get("invoice_id", "")
    amount = request.form.get("amount", "").strip()
    body: dict[str, str] = {}
    if amount:
        try:
            body["amount"] = str(Decimal(amount))
        except InvalidOperation:
            return _back(request, error=f"'{amount}' is not an amount")
    environ = EnvironBuilder(
        path=f"/_sandbox/xero/invoices/{invoice_id}/pay", method="POST", json=body
    ).get_environ()
    with app.lock:
        answer = app._call(app.xero, Request(environ), environ)
    if app.store is not None:
        app.store.schedule_save(app.state, lock=app.lock)
    data = json.loads(answer.get_data() or b"{}")
    if answer.status_code != 200:
        return _back(request, error="; ".join(data.get("errors", [])) or "Xero refused it")
    number = request.form.get("number", "")
    return _back(request, message=f"Paid {data['Amount']} on invoice {number} in Xero.")


def _back(request: Request, **params: str) -> Response:
    query = {k: v for k, v in {"q": request.form.get("q", ""), **params}.items() if v}
    return Response(status=303, headers={"Location": "/_sandbox/?" + urlencode(query)})


def _render(app: Any, request: Request) -> str:
    query = request.args.get("q", "").strip().lower()
    with app.lock:
        summary = app.summary()
        harvest_by_number = {
            str(inv.get("number")): inv for inv in app.state.harvest.invoices.values()
        }
        xero = app.state.xero
        rows = [
            inv
            for inv in (xero.invoices.values() if xero is not None else [])
            if inv["Type"] == "ACCREC"
            and inv["Status"] in ("AUTHORISED", "PAID")
            and (not query or query in str(inv.get("InvoiceNumber", "")).lower())
        ]
        rows.sort(key=lambda inv: (inv["Status"] != "AUTHORISED", str(inv.get("InvoiceNumber"))))
        contacts = {cid: c.get("Name", "") for cid, c in (xero.contacts.items() if xero else [])}
        table = "".join(_row(inv, contacts, harvest_by_number, query) for inv in rows[:ROWS_SHOWN])
        expenses = expenses_section(app)
    esc = html.escape
    message = request.args.get("message", "")
    error = request.args.get("error", "")
    harvest, xero_summary = summary["harvest"], summary.get("xero", {})
    notes = (
        f"<p class='ok'>{esc(message)} Harvest shows it within a minute.</p>" if message else ""
    ) + (f"<p class='err'>{esc(error)}</p>" if error else "")
    more = (
        f"<p>Showing {ROWS_SHOWN} of {len(rows)}; search by number.</p>"
        if len(rows) > ROWS_SHOWN
        else ""
    )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>hxsync sandbox</title><style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.35em .6em;text-align:left}} .num{{text-align:right}}
.ok{{color:#1b5e20;font-weight:bold}} .err{{color:#b71c1c;font-weight:bold}} form{{display:inline}}
</style></head><body>
<h1>hxsync sandbox: simulated Harvest and Xero</h1>
<p>Nothing here is real. Harvest account <b>{esc(str(harvest.get("account_name")))}</b>
({harvest.get("invoices", 0)} invoices); Xero organisation
<b>{esc(str(xero_summary.get("organisation")))}</b>. <a href="/_sandbox/state">Raw state (JSON)</a></p>
{notes}
<h2>Sales invoices in Xero</h2>
<p>Pay one here as a customer would; hxsync records the payment on the Harvest invoice.</p>
<form method="get" action="/_sandbox/"><input name="q" value="{esc(query)}" placeholder="Invoice number">
<button>Search</button></form>{more}
<table><tr><th>Number</th><th>Contact</th><th>Xero status</th><th class="num">Total</th>
<th class="num">Due in Xero</th><th>Harvest</th><th>Pay</th></tr>{table}</table>
{expenses}
</body></html>"""


def _row(inv: dict, contacts: dict, harvest_by_number: dict, query: str) -> str:
    esc = html.escape
    number = str(inv.get("InvoiceNumber", ""))
    harvest = harvest_by_number.get(number)
    harvest_text = f"{esc(harvest['state'])}, due {harvest.get('due_amount')}" if harvest else "—"
    pay = ""
    if inv["Status"] == "AUTHORISED" and Decimal(str(inv.get("AmountDue") or 0)) > 0:
        hidden = (
            f"<input type='hidden' name='invoice_id' value='{esc(inv['InvoiceID'])}'>"
            f"<input type='hidden' name='number' value='{esc(number)}'>"
            f"<input type='hidden' name='q' value='{esc(query)}'>"
        )
        pay = (
            f"<form method='post' action='/_sandbox/pay'>{hidden}<button>Pay in full</button></form> "
            f"<form method='post' action='/_sandbox/pay'>{hidden}"
            "<input name='amount' size='7' placeholder='amount'><button>Pay part</button></form>"
        )
    return (
        f"<tr><td>{esc(number)}</td><td>{esc(contacts.get(inv['ContactID'], ''))}</td>"
        f"<td>{esc(inv['Status'])}</td><td class='num'>{esc(inv['CurrencyCode'])} {inv['Total']}</td>"
        f"<td class='num'>{inv.get('AmountDue')}</td><td>{harvest_text}</td><td>{pay}</td></tr>"
    )

"""Invoice messages (which are also how an invoice changes state) and payments.

https://help.getharvest.com/api-v2/invoices-api/invoices/invoice-messages/: a message without
`event_type` sends the invoice (draft -> open); `event_type` "send" marks a draft as sent,
"close" closes an open invoice, "re-open" re-opens a closed one, "draft" returns an open invoice
to draft. https://help.getharvest.com/api-v2/invoices-api/invoices/invoice-payments/: a payment
lowers `due_amount`; the invoice becomes paid when nothing is due, and open again when a payment
is deleted; `send_thank_you` (default true) sends a thank-you only if the payment pays it off.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.core.http import iso_z, json_response, parse_iso_datetime
from syncapp.sandbox.harvest.common import (
    Ctx,
    body_dict,
    get_or_404,
    query_bool,
    query_updated_since,
    text,
    to_bool,
    to_date,
    to_decimal,
    to_int,
    unprocessable,
)
from syncapp.sandbox.harvest.crud import person_name, public
from syncapp.sandbox.harvest.invoices import invoice_recompute
from syncapp.sandbox.harvest.money import ZERO, money
from syncapp.sandbox.harvest.pagination import paginate
from syncapp.sandbox.harvest.state import Record

# event_type -> (states it may be applied to, resulting state)
EVENTS = {
    "send": (frozenset({"draft"}), "open"),
    "close": (frozenset({"open"}), "closed"),
    "re-open": (frozenset({"closed"}), "open"),
    "draft": (frozenset({"open"}), "draft"),
}


def _sender(ctx: Ctx) -> tuple[str | None, str | None]:
    user = ctx.user
    return person_name(user), (user or {}).get("email")


def _list_children(ctx: Ctx, invoice: Record, key: str, name: str) -> Response:
    since = query_updated_since(ctx)
    records = invoice[key]
    if since is not None:
        records = [r for r in records if r["updated_at"] >= since]
    return json_response(paginate(ctx, name=name, records=records, render=public))


def messages_list(ctx: Ctx, *, invoice_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    return _list_children(ctx, invoice, "_messages", "invoice_messages")


def _message_record(ctx: Ctx, invoice: Record, **fields: Any) -> Record:
    name, email = _sender(ctx)
    now = ctx.now
    message: Record = {
        "id": ctx.new_id("messages"),
        "sent_by": name,
        "sent_by_email": email,
        "sent_from": name,
        "sent_from_email": email,
        "recipients": [],
        "subject": None,
        "body": None,
        "include_link_to_client_invoice": False,
        "attach_pdf": False,
        "send_me_a_copy": False,
        "thank_you": False,
        "reminder": False,
        "send_reminder_on": None,
        "event_type": None,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    invoice["_messages"].append(message)
    return message


def _recipients(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise unprocessable("Recipients can't be blank")
    out = []
    for recipient in value:
        if not isinstance(recipient, dict) or not recipient.get("email"):
            raise unprocessable("Recipients email can't be blank")
        out.append({"name": recipient.get("name"), "email": str(recipient["email"])})
    return out


def message_post(ctx: Ctx, *, invoice_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    body = body_dict(ctx)
    event_type = body.get("event_type")
    now = ctx.now
    if event_type is not None:
        if event_type not in EVENTS:
            raise unprocessable("Event type is not included in the list")
        allowed, target = EVENTS[event_type]
        if invoice["state"] not in allowed:
            raise unprocessable(
                f"Invoice can't be marked as {target} from {invoice['state']}"
                if event_type != "re-open"
                else "Only closed invoices can be re-opened"
            )
        _transition(invoice, target, now)
        message = _message_record(ctx, invoice, event_type=event_type)
    else:
        if invoice["state"] in ("paid", "closed"):
            raise unprocessable(f"A {invoice['state']} invoice can't be sent")
        message = _message_record(
            ctx,
            invoice,
            recipients=_recipients(body.get("recipients")),
            subject=text(body.get("subject"), field="subject") or _default_subject(ctx, invoice),
            body=text(body.get("body"), field="body") or "",
            include_link_to_client_invoice=to_bool(
                body.get("include_link_to_client_invoice", False),
                field="include_link_to_client_invoice",
            ),
            attach_pdf=to_bool(body.get("attach_pdf", False), field="attach_pdf"),
            send_me_a_copy=to_bool(body.get("send_me_a_copy", False), field="send_me_a_copy"),
            thank_you=to_bool(body.get("thank_you", False), field="thank_you"),
            reminder=invoice["state"] == "open",
        )
        if invoice["state"] == "draft":
            _transition(invoice, "open", now)
    invoice["updated_at"] = now
    return json_response(public(message), status=201)


def _transition(invoice: Record, target: str, now: str) -> None:
    if target == "open":
        if invoice["state"] == "draft" and not invoice["sent_at"]:
            invoice["sent_at"] = now
        invoice["closed_at"] = None
        if invoice["due_amount"] <= 0 and invoice["_payments"]:
            target = "paid"
    elif target == "closed":
        invoice["closed_at"] = now
    elif target == "draft":
        invoice["sent_at"] = None
    invoice["state"] = target


def _default_subject(ctx: Ctx, invoice: Record) -> str:
    company = ctx.hs.company.get("name") or "us"
    return f"Invoice #{invoice['number']} from {company}"


def message_new(ctx: Ctx, *, invoice_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    thank_you = bool(query_bool(ctx, "thank_you"))
    reminder = bool(query_bool(ctx, "reminder"))
    subject = _default_subject(ctx, invoice)
    if thank_you:
        subject = f"Thank you for your payment: {subject}"
    elif reminder:
        subject = f"Past due invoice reminder: {subject}"
    body = (
        f"Invoice ID: {invoice['number']}\r\nIssue Date: {invoice['issue_date']}\r\n"
        f"Amount: {invoice['amount']}\r\nDue: {invoice['due_date']}\r\n\r\n%invoice_url%"
    )
    return json_response(
        {
            "invoice_id": invoice["id"],
            "subject": subject,
            "body": body,
            "reminder": reminder,
            "thank_you": thank_you,
        }
    )


def message_delete(ctx: Ctx, *, invoice_id: int, message_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    for message in invoice["_messages"]:
        if message["id"] == int(message_id):
            invoice["_messages"].remove(message)
            return Response(b"", status=200, mimetype="application/json")
    get_or_404({}, message_id)
    raise AssertionError("unreachable")


# -- payments ------------------------------------------------------------------------------


def payments_list(ctx: Ctx, *, invoice_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    return _list_children(ctx, invoice, "_payments", "invoice_payments")


def payment_apply(
    ctx: Ctx,
    invoice: Record,
    *,
    amount: Any,
    paid_at: Any = None,
    paid_date: Any = None,
    notes: Any = None,
    send_thank_you: bool = True,
) -> Record:
    """Record a payment on `invoice` (used by the API handler, the seed and /_sandbox)."""
    value = to_decimal(amount, field="amount", allow_none=False)
    # A negative invoice (a credit for the client) is settled by a refund, recorded as a
    # negative payment of at most what the credit is; every other invoice takes positive ones.
    refund = invoice["due_amount"] < 0
    if value == 0 or (value < 0) != refund:
        raise unprocessable(
            "Amount must be less than 0 (a refund of this credit)"
            if refund
            else "Amount must be greater than 0"
        )
    if invoice["state"] not in ("open", "draft"):
        raise unprocessable(f"Payments can't be recorded on a {invoice['state']} invoice")
    value = money(value)
    if abs(value) > abs(invoice["due_amount"]):
        raise unprocessable("Amount can't be greater than the amount due")
    now = ctx.now
    if paid_at:
        try:
            paid_at_text = iso_z(parse_iso_datetime(str(paid_at)))
        except ValueError:
            raise unprocessable("Paid at is not a valid date and time") from None
    else:
        day = to_date(paid_date, field="paid_date") if paid_date else ctx.clock.today().isoformat()
        paid_at_text = f"{day}T00:00:00Z"
    name, email = _sender(ctx)
    payment: Record = {
        "id": ctx.new_id("payments"),
        "amount": value,
        "paid_at": paid_at_text,
        "paid_date": paid_at_text[:10],
        "recorded_by": name,
        "recorded_by_email": email,
        "notes": text(notes, field="notes"),
        "transaction_id": None,
        "payment_gateway": {"id": None, "name": None},
        "created_at": now,
        "updated_at": now,
    }
    invoice["_payments"].append(payment)
    invoice_recompute(invoice)
    settled = invoice["due_amount"] >= ZERO if refund else invoice["due_amount"] <= ZERO
    if settled:
        if invoice["state"] == "draft":
            invoice["sent_at"] = invoice["sent_at"] or now
        invoice["state"] = "paid"
        invoice["paid_at"] = payment["paid_at"]
        invoice["paid_date"] = payment["paid_date"]
        if send_thank_you:
            _message_record(
                ctx,
                invoice,
                thank_you=True,
                subject=f"Thank you for your payment: {_default_subject(ctx, invoice)}",
                body="",
            )
    elif invoice["state"] == "draft":
        # Recording a payment on a draft marks it as sent.
        invoice["state"] = "open"
        invoice["sent_at"] = invoice["sent_at"] or now
    invoice["updated_at"] = now
    return payment


def payment_post(ctx: Ctx, *, invoice_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    body = body_dict(ctx)
    if body.get("amount") is None:
        raise unprocessable("Amount can't be blank")
    payment = payment_apply(
        ctx,
        invoice,
        amount=body["amount"],
        paid_at=body.get("paid_at"),
        paid_date=body.get("paid_date"),
        notes=body.get("notes"),
        send_thank_you=to_bool(body.get("send_thank_you", True), field="send_thank_you"),
    )
    return json_response(public(payment), status=201)


def payment_delete(ctx: Ctx, *, invoice_id: int, payment_id: int, **_: Any) -> Response:
    invoice = get_or_404(ctx.hs.invoices, invoice_id)
    target = to_int(payment_id, field="payment_id")
    for payment in invoice["_payments"]:
        if payment["id"] == target:
            invoice["_payments"].remove(payment)
            invoice_recompute(invoice)
            if invoice["state"] == "paid" and invoice["due_amount"] > ZERO:
                invoice.update(state="open", paid_at=None, paid_date=None)
            invoice["updated_at"] = ctx.now
            return Response(b"", status=200, mimetype="application/json")
    get_or_404({}, payment_id)
    raise AssertionError("unreachable")

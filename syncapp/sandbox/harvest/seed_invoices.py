"""Seeded invoices: from each project's billable time and expenses per month, then free-form
ones up to the number asked for; every state (draft, open, partly paid, paid, closed), with tax,
tax2 and discounts, messages and payments."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from syncapp.sandbox.harvest import seed_data as data
from syncapp.sandbox.harvest.imports import EXPENSE_LOCK, TIME_LOCK
from syncapp.sandbox.harvest.invoices import invoice_recompute
from syncapp.sandbox.harvest.money import ZERO, line_amount, money
from syncapp.sandbox.harvest.state import Record

if TYPE_CHECKING:
    from syncapp.sandbox.harvest.seed import _Seeder

_STATES_RECENT = (("open", 55), ("draft", 25), ("partial", 12), ("paid", 8))
_STATES_OLDER = (("paid", 72), ("open", 10), ("partial", 9), ("closed", 9))
REQUIRED_STATES = ("draft", "open", "partial", "paid", "closed")


def _at(day: date, hour: int = 9, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def _pick(rng: Any, weighted: tuple[tuple[str, int], ...]) -> str:
    roll = rng.randrange(sum(w for _, w in weighted))
    for name, weight in weighted:
        if roll < weight:
            return name
        roll -= weight
    raise AssertionError("unreachable")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class _InvoiceBuilder:
    def __init__(self, s: _Seeder) -> None:
        self.s = s
        self.hs = s.hs
        self.rng = s.rng
        self.number = 1000
        self.kind_service = "Service"
        self.kind_expense = "Expense"
        self.contact_by_client: dict[int, Record] = {}
        for contact in self.hs.contacts.values():
            self.contact_by_client.setdefault(contact["_client_id"], contact)
        self.sender = self.hs.users[self.hs.identity_user_id]

    def new_invoice(self, *, client: Record, issue: date, index: int) -> Record:
        rng = self.rng
        self.number += 1
        invoice_id = self.s.id("invoices")
        self.hs.invoice_number_claim(str(self.number), invoice_id)
        tax, tax2 = data.TAXES[client["currency"]]
        with_tax2 = client["currency"] == "USD" and index % 4 == 0
        discount = Decimal(rng.choice(("5", "10", "12.5"))) if index % 6 == 0 else None
        term = rng.choice(("net 30", "net 30", "net 15", "upon receipt", "net 45"))
        days = {"upon receipt": 0, "net 15": 15, "net 30": 30, "net 45": 45}[term]
        return {
            "id": invoice_id,
            "_client_id": client["id"],
            "_creator_id": self.sender["id"],
            "_estimate_id": None,
            "_retainer_id": None,
            "_line_items": [],
            "_messages": [],
            "_payments": [],
            "client_key": hashlib.sha1(
                f"invoice:{invoice_id}".encode(), usedforsecurity=False
            ).hexdigest(),
            "number": str(self.number),
            "purchase_order": f"PO-{4000 + index}" if index % 5 == 0 else "",
            "amount": ZERO,
            "due_amount": ZERO,
            "tax": Decimal(tax) if tax else None,
            "tax_amount": ZERO,
            "tax2": Decimal("2") if with_tax2 else (Decimal(tax2) if tax2 else None),
            "tax2_amount": ZERO,
            "discount": discount,
            "discount_amount": ZERO,
            "subject": None,
            "notes": "Thank you for your business.",
            "currency": client["currency"],
            "state": "draft",
            "period_start": None,
            "period_end": None,
            "issue_date": issue.isoformat(),
            "due_date": (issue + timedelta(days=days)).isoformat(),
            "payment_term": term,
            "payment_options": ["credit_card"] if index % 3 else [],
            "sent_at": None,
            "paid_at": None,
            "paid_date": None,
            "closed_at": None,
            "recurring_invoice_id": None,
            "created_at": _at(issue, 9),
            "updated_at": _at(issue, 9),
        }

    def line(self, invoice: Record, **fields: Any) -> Record:
        item = {
            "id": self.s.id("line_items"),
            "_project_id": None,
            "_imported": (),
            "taxed": True,
            "taxed2": invoice["tax2"] is not None,
            **fields,
        }
        item["amount"] = line_amount(quantity=item["quantity"], unit_price=item["unit_price"])
        invoice["_line_items"].append(item)
        return item

    def finish(self, invoice: Record, *, state: str) -> None:
        """Play the invoice's history: send, pay (in part), close, as Harvest would record it."""
        invoice_recompute(invoice)
        hs, rng = self.hs, self.rng
        today = self.s.today
        issue = date.fromisoformat(invoice["issue_date"])
        if state == "draft" or invoice["amount"] <= 0:
            self.hs.invoices[invoice["id"]] = invoice
            return
        sent = min(issue, today - timedelta(days=1))
        contact = self.contact_by_client.get(invoice["_client_id"])
        stamp = _at(sent, 10)
        invoice.update(state="open", sent_at=stamp, updated_at=stamp)
        self._message(invoice, stamp, recipients=[contact] if contact else [])
        latest = sent
        if state in ("paid", "partial"):
            pay_day = min(sent + timedelta(days=rng.randrange(3, 40)), today - timedelta(days=1))
            amount = (
                invoice["due_amount"]
                if state == "paid"
                else money(invoice["amount"] * Decimal(rng.choice(("0.25", "0.4", "0.5"))))
            )
            self._payment(invoice, pay_day, amount)
            latest = max(latest, pay_day)
        elif state == "closed":
            close_day = min(sent + timedelta(days=rng.randrange(45, 90)), today - timedelta(days=1))
            stamp = _at(close_day, 15)
            invoice.update(state="closed", closed_at=stamp)
            self._message(invoice, stamp, event_type="close")
            latest = max(latest, close_day)
        invoice["updated_at"] = max(invoice["updated_at"], _at(latest, 16))
        hs.invoices[invoice["id"]] = invoice

    def _message(
        self,
        invoice: Record,
        stamp: str,
        *,
        recipients: list[Record] = (),
        event_type: str | None = None,
        thank_you: bool = False,
    ) -> None:
        name = f"{self.sender['first_name']} {self.sender['last_name']}"
        invoice["_messages"].append(
            {
                "id": self.s.id("messages"),
                "sent_by": name,
                "sent_by_email": self.sender["email"],
                "sent_from": name,
                "sent_from_email": self.sender["email"],
                "recipients": [
                    {"name": f"{c['first_name']} {c['last_name']}", "email": c["email"]}
                    for c in recipients
                ],
                "subject": None
                if event_type
                else f"Invoice #{invoice['number']} from {data.ACCOUNT_NAME}",
                "body": None if event_type else "Please find the invoice attached.",
                "include_link_to_client_invoice": event_type is None,
                "attach_pdf": event_type is None,
                "send_me_a_copy": False,
                "thank_you": thank_you,
                "reminder": False,
                "send_reminder_on": None,
                "event_type": event_type,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )

    def _payment(self, invoice: Record, day: date, amount: Decimal) -> None:
        stamp = _at(day, 12)
        invoice["_payments"].append(
            {
                "id": self.s.id("payments"),
                "amount": amount,
                "paid_at": stamp,
                "paid_date": day.isoformat(),
                "recorded_by": f"{self.sender['first_name']} {self.sender['last_name']}",
                "recorded_by_email": self.sender["email"],
                "notes": "Bank transfer",
                "transaction_id": None,
                "payment_gateway": {"id": None, "name": None},
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        invoice_recompute(invoice)
        if invoice["due_amount"] <= 0:
            invoice.update(state="paid", paid_at=stamp, paid_date=day.isoformat())
            self._message(invoice, stamp, thank_you=True)


def seed_invoices(s: _Seeder, *, count: int | None) -> None:
    hs, rng = s.hs, s.rng
    builder = _InvoiceBuilder(s)
    current_month = _month_start(s.today)
    groups: dict[tuple[date, int], dict[str, list[Record]]] = defaultdict(
        lambda: {"time": [], "expenses": []}
    )
    for entry in hs.time_entries.values():
        month = _month_start(date.fromisoformat(entry["spent_date"]))
        if entry["billable"] and entry["billable_rate"] is not None and month < current_month:
            groups[(month, entry["_project_id"])]["time"].append(entry)
    for expense in hs.expenses.values():
        month = _month_start(date.fromisoformat(expense["spent_date"]))
        if expense["billable"] and month < current_month:
            groups[(month, expense["_project_id"])]["expenses"].append(expense)
    keys = sorted(groups)
    if count is not None:
        keys = keys[:count]
    newest_month = max((k[0] for k in keys), default=None)
    plan: list[str] = []
    for key in keys:
        weights = _STATES_RECENT if key[0] == newest_month else _STATES_OLDER
        plan.append(_pick(rng, weights))
    _ensure_every_state(plan)
    for index, (key, state) in enumerate(zip(keys, plan, strict=True)):
        month, project_id = key
        project = hs.projects[project_id]
        client = hs.clients[project["_client_id"]]
        issue = _next_month(month)
        issue = min(issue + timedelta(days=rng.randrange(0, 5)), s.today - timedelta(days=1))
        invoice = builder.new_invoice(client=client, issue=issue, index=index)
        invoice["subject"] = f"{project['name']} - {month.strftime('%B %Y')}"
        invoice["period_start"] = month.isoformat()
        invoice["period_end"] = (_next_month(month) - timedelta(days=1)).isoformat()
        _time_lines(builder, invoice, project, groups[key]["time"])
        _expense_lines(builder, invoice, project, groups[key]["expenses"])
        builder.finish(invoice, state=state)
    extra = (count or 0) - len(keys)
    if extra > 0:
        _free_form(s, builder, extra)


def _ensure_every_state(plan: list[str]) -> None:
    missing = [state for state in REQUIRED_STATES if state not in plan]
    for offset, state in enumerate(missing):
        if offset < len(plan):
            plan[-1 - offset] = state


def _time_lines(
    builder: _InvoiceBuilder, invoice: Record, project: Record, entries: list[Record]
) -> None:
    hs = builder.hs
    by_task: dict[tuple[int, Decimal], list[Record]] = defaultdict(list)
    for entry in entries:
        by_task[(entry["_task_id"], entry["billable_rate"])].append(entry)
    for (task_id, rate), group in sorted(by_task.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        builder.line(
            invoice,
            _project_id=project["id"],
            _imported=tuple(("time_entries", e["id"]) for e in group),
            kind=builder.kind_service,
            description=f"{project['name']}: {hs.tasks[task_id]['name']}",
            quantity=sum((e["hours"] for e in group), Decimal("0")),
            unit_price=rate,
        )
        for entry in group:
            entry.update(
                is_billed=True, is_locked=True, locked_reason=TIME_LOCK, _invoice_id=invoice["id"]
            )


def _expense_lines(
    builder: _InvoiceBuilder, invoice: Record, project: Record, expenses: list[Record]
) -> None:
    for expense in sorted(expenses, key=lambda e: e["id"]):
        category = builder.hs.expense_categories[expense["_expense_category_id"]]
        builder.line(
            invoice,
            _project_id=project["id"],
            _imported=(("expenses", expense["id"]),),
            kind=builder.kind_expense,
            description=f"{expense['spent_date']} {category['name']}: {expense['notes']}",
            quantity=Decimal("1.0"),
            unit_price=expense["total_cost"],
            taxed=False,
            taxed2=False,
        )
        expense.update(
            is_billed=True, is_locked=True, locked_reason=EXPENSE_LOCK, _invoice_id=invoice["id"]
        )


def _free_form(s: _Seeder, builder: _InvoiceBuilder, count: int) -> None:
    hs, rng = s.hs, s.rng
    projects = [p for p in hs.projects.values() if p["is_billable"]]
    span = (s.today - s.start).days - 1
    for index in range(count):
        project = projects[index % len(projects)]
        client = hs.clients[project["_client_id"]]
        issue = s.start + timedelta(days=rng.randrange(max(span, 1)))
        recent = (s.today - issue).days < 35
        state = _pick(rng, _STATES_RECENT if recent else _STATES_OLDER)
        invoice = builder.new_invoice(client=client, issue=issue, index=index)
        invoice["subject"] = f"{project['name']} ({project['code']})"
        for _ in range(rng.randrange(1, 4)):
            builder.line(
                invoice,
                _project_id=project["id"],
                kind=builder.kind_service,
                description=rng.choice(data.NOTES),
                quantity=Decimal(rng.randrange(1, 80)) / 2,
                unit_price=Decimal(rng.choice(("110.00", "140.00", "160.00", "185.50"))),
            )
        builder.finish(invoice, state=state)

"""Tracked time, expenses with receipts, and invoices in every state for the seeded agency."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from syncapp.sandbox.harvest import seed_data as data
from syncapp.sandbox.harvest.money import money
from syncapp.sandbox.harvest.state import Record
from syncapp.sandbox.harvest.timesheets import billable_rate

if TYPE_CHECKING:
    from syncapp.sandbox.harvest.seed import _Seeder


def _at(day: date, hour: int = 9, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"


def _weekdays(start: date, end: date):
    day = start
    while day < end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


APPROVED_LOCK = "Item Approved and Locked for this Time Period"


def seed_time_entries(s: _Seeder) -> None:
    hs, rng = s.hs, s.rng
    # Timesheets older than two months were approved and are locked, as a finance team would
    # leave them (billable ones are then locked again by their invoice).
    approved_before = (s.today.replace(day=1) - timedelta(days=32)).replace(day=1).isoformat()
    by_user: dict[int, list[Record]] = defaultdict(list)
    for ua in hs.user_assignments.values():
        if hs.projects[ua["_project_id"]]["is_active"]:
            by_user[ua["_user_id"]].append(ua)
    tas_by_project: dict[int, list[Record]] = defaultdict(list)
    for ta in hs.task_assignments.values():
        tas_by_project[ta["_project_id"]].append(ta)
    for day in _weekdays(s.start, s.today):
        for user_id in sorted(by_user):
            user = hs.users[user_id]
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                ua = rng.choice(by_user[user_id])
                project = hs.projects[ua["_project_id"]]
                ta = rng.choice(tas_by_project[project["id"]])
                hours = Decimal(rng.randrange(2, 17)) / 4
                entry_id = s.id("time_entries")
                stamp = _at(day, 17, rng.randrange(60))
                approved = day.isoformat() < approved_before
                hs.time_entries[entry_id] = {
                    "id": entry_id,
                    "_user_id": user_id,
                    "_project_id": project["id"],
                    "_client_id": project["_client_id"],
                    "_task_id": ta["_task_id"],
                    "_user_assignment_id": ua["id"],
                    "_task_assignment_id": ta["id"],
                    "_invoice_id": None,
                    "spent_date": day.isoformat(),
                    "hours": hours,
                    "hours_without_timer": hours,
                    "rounded_hours": hours,
                    "notes": rng.choice(data.NOTES),
                    "is_locked": approved,
                    "locked_reason": APPROVED_LOCK if approved else None,
                    "is_closed": approved,
                    "is_billed": False,
                    "timer_started_at": None,
                    "started_time": None,
                    "ended_time": None,
                    "is_running": False,
                    "billable": bool(project["is_billable"] and ta["billable"]),
                    "budgeted": project["budget_by"] != "none",
                    "billable_rate": billable_rate(hs, project=project, ta=ta, ua=ua),
                    "cost_rate": user["cost_rate"],
                    "external_reference": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                }


def _receipt_bytes(expense_id: int) -> bytes:
    # A tiny valid PDF whose text names the expense: enough for a download and a checksum.
    text = f"Receipt for expense {expense_id}".encode()
    body = (
        b"%PDF-1.4\n1 0 obj<<>>endobj\n% "
        + text
        + b"\n"
        + hashlib.sha256(text).hexdigest().encode()
    )
    return body + b"\n%%EOF\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _receipt_png(expense_id: int) -> bytes:
    # A valid 8x8 grey PNG whose shade and text chunk come from the expense id.
    shade = 64 + expense_id % 128
    rows = b"".join(b"\x00" + bytes([shade]) * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + _png_chunk(b"tEXt", f"Comment\x00Receipt for expense {expense_id}".encode())
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def seed_expenses(s: _Seeder) -> None:
    hs, rng = s.hs, s.rng
    categories = list(hs.expense_categories.values())
    assignments = [
        ua for ua in hs.user_assignments.values() if hs.projects[ua["_project_id"]]["is_active"]
    ]
    days = list(_weekdays(s.start, s.today))
    for _ in range(180):
        ua = rng.choice(assignments)
        project = hs.projects[ua["_project_id"]]
        category = rng.choice(categories)
        day = rng.choice(days)
        expense_id = s.id("expenses")
        if category["unit_price"] is not None:
            # Quarter units (12.25 miles) so totals are rounded to the cent as Harvest does; the
            # fraction comes from the id, not the generator, so the rest of the seed is unchanged.
            units = Decimal(rng.randrange(10, 240)) + Decimal(expense_id % 4) / 4
            total = money(units * category["unit_price"])
        else:
            units = None
            total = money(Decimal(rng.randrange(1500, 90000)) / 100)
        stamp = _at(day, 18, rng.randrange(60))
        hs.expenses[expense_id] = {
            "id": expense_id,
            "_user_id": ua["_user_id"],
            "_project_id": project["id"],
            "_client_id": project["_client_id"],
            "_expense_category_id": category["id"],
            "_user_assignment_id": ua["id"],
            "_invoice_id": None,
            "notes": f"{category['name']} for {project['name']}",
            "units": units,
            "total_cost": total,
            "billable": project["is_billable"] and rng.random() < 0.8,
            "is_closed": False,
            "is_locked": False,
            "is_billed": False,
            "locked_reason": None,
            "spent_date": day.isoformat(),
            "created_at": stamp,
            "updated_at": stamp,
        }
        if rng.random() < 0.65:
            hs.receipts[expense_id] = (
                (f"receipt-{expense_id}.png", "image/png", _receipt_png(expense_id))
                if expense_id % 3 == 0
                else (f"receipt-{expense_id}.pdf", "application/pdf", _receipt_bytes(expense_id))
            )
        _approve(hs.expenses[expense_id], day=day, today=s.today)


def _approve(expense: Record, *, day: date, today: date) -> None:
    # A manager approves most expenses a few days after they are spent; the last week's and every
    # fifth older one still wait. Both states exist in every seed.
    approved_on = day + timedelta(days=3)
    if approved_on <= today and expense["id"] % 5 != 0:
        expense.update(
            is_closed=True,
            is_locked=True,
            locked_reason=APPROVED_LOCK,
        )
        expense["updated_at"] = _at(approved_on, 10, 0)

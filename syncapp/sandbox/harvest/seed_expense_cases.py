"""Expenses seeded for the cases the random ones may miss: one person's busy month with more
receipts than Xero takes on one record (10), a mileage claim in half units, and a receipt scan
larger than Xero's per-file limit.

Seeded after the invoices and without the seed's random generator, so everything else the seed
makes stays as it was. All are approved, non-billable claims (they never go on a client invoice),
by the first person who spends money, whom the Xero seed already knows as a supplier.

Harvest documents no size limit for receipts (its help lists the file types only: png, gif, pdf,
jpg, jpeg), so the sandbox takes the large scan as Harvest would.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from syncapp.sandbox.harvest.money import money
from syncapp.sandbox.harvest.seed_activity import (
    APPROVED_LOCK,
    _at,
    _receipt_bytes,
    _receipt_png,
    _weekdays,
)
from syncapp.sandbox.harvest.state import Record

if TYPE_CHECKING:
    from syncapp.sandbox.harvest.seed import _Seeder

BUSY_MONTH_RECEIPTS = 13
# Xero's per-file limit through the API is 10 MB (syncapp/sandbox/xero/attachments.py).
LARGE_SCAN_BYTES = 10 * 1024 * 1024 + 256 * 1024
HALF_UNITS = Decimal("12.5")


def seed_expense_cases(s: _Seeder) -> None:
    hs = s.hs
    spenders = sorted({e["_user_id"] for e in hs.expenses.values()})
    if not spenders:
        return
    user_id = spenders[0]
    assignment = _active_assignment(s, user_id)
    if assignment is None:
        return
    first_of_month = s.today.replace(day=1)
    busy_start = (first_of_month - timedelta(days=1)).replace(day=1)
    days = list(_weekdays(busy_start, first_of_month))
    by_amount = [c for c in hs.expense_categories.values() if c["unit_price"] is None]
    by_unit = [c for c in hs.expense_categories.values() if c["unit_price"] is not None]
    case_ids = []
    for n in range(BUSY_MONTH_RECEIPTS):
        day = days[(n * len(days)) // BUSY_MONTH_RECEIPTS]
        if n == 0 and by_unit:
            expense = _claim(s, assignment, by_unit[0], day, units=HALF_UNITS)
        else:
            category = by_amount[n % len(by_amount)]
            expense = _claim(s, assignment, category, day, amount=Decimal(1875 + 311 * n) / 100)
        name, kind, content = (
            (f"receipt-{expense['id']}.png", "image/png", _receipt_png(expense["id"]))
            if n % 3 == 1
            else (f"receipt-{expense['id']}.pdf", "application/pdf", _receipt_bytes(expense["id"]))
        )
        hs.receipts[expense["id"]] = (name, kind, content)
        case_ids.append(expense["id"])
    scan_day = next(_weekdays((busy_start - timedelta(days=1)).replace(day=1), busy_start))
    hotel = next((c for c in by_amount if c["name"] == "Hotel"), by_amount[0])
    large = _claim(s, assignment, hotel, scan_day, amount=Decimal("412.80"))
    hs.receipts[large["id"]] = (
        f"hotel-scan-{large['id']}.pdf",
        "application/pdf",
        _large_scan(large["id"]),
    )
    hs.seed_info["expense_cases"] = {
        "harvest_user_id": user_id,
        "busy_month": busy_start.isoformat()[:7],
        "busy_month_expense_ids": case_ids,
        "large_receipt_expense_id": large["id"],
    }


def _active_assignment(s: _Seeder, user_id: int) -> Record | None:
    hs = s.hs
    return next(
        (
            ua
            for ua in sorted(hs.user_assignments.values(), key=lambda a: a["id"])
            if ua["_user_id"] == user_id and hs.projects[ua["_project_id"]]["is_active"]
        ),
        None,
    )


def _claim(
    s: _Seeder,
    assignment: Record,
    category: Record,
    day: date,
    *,
    units: Decimal | None = None,
    amount: Decimal | None = None,
) -> Record:
    hs = s.hs
    project = hs.projects[assignment["_project_id"]]
    expense_id = s.id("expenses")
    total = money(units * category["unit_price"]) if units is not None else money(amount)
    spent = _at(day, 18, expense_id % 60)
    approved = _at(day + timedelta(days=3), 10, 0)
    record = approved_expense(
        expense_id=expense_id,
        assignment=assignment,
        project=project,
        category=category,
        day=day,
        units=units,
        total=total,
        billable=False,
        created_at=spent,
        updated_at=min(approved, _at(s.today, 9, 0)),
    )
    hs.expenses[expense_id] = record
    return record


def approved_expense(
    *,
    expense_id: int,
    assignment: Record,
    project: Record,
    category: Record,
    day: date,
    units: Decimal | None,
    total: Decimal,
    billable: bool,
    created_at: str,
    updated_at: str,
) -> Record:
    """An expense a manager has approved (closed and locked), as Harvest stores it."""
    return {
        "id": expense_id,
        "_user_id": assignment["_user_id"],
        "_project_id": project["id"],
        "_client_id": project["_client_id"],
        "_expense_category_id": category["id"],
        "_user_assignment_id": assignment["id"],
        "_invoice_id": None,
        "notes": f"{category['name']} for {project['name']}",
        "units": units,
        "total_cost": total,
        "billable": billable,
        "is_closed": True,
        "is_locked": True,
        "is_billed": False,
        "locked_reason": APPROVED_LOCK,
        "spent_date": day.isoformat(),
        "created_at": created_at,
        "updated_at": updated_at,
    }


def _large_scan(expense_id: int) -> bytes:
    # A valid PDF padded with a comment block up to the size of an uncompressed phone scan.
    head = _receipt_bytes(expense_id).removesuffix(b"%%EOF\n")
    filler = LARGE_SCAN_BYTES - len(head) - len(b"%%EOF\n")
    return head + b"%" + b"0" * (filler - 2) + b"\n" + b"%%EOF\n"

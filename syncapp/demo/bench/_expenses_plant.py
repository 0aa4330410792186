"""`bench expenses`: N Harvest expenses planted in a seeded sandbox, and the integration's
expense policies and category mappings that send them to Xero in every mode.

The seed's own expenses are replaced by exactly N, written into the simulator's store (planting
costs no calls): every person with an active project spends, in every category (mileage priced
by the unit, in quarter units), billable and not, all approved, most with a PDF or PNG receipt
(names that repeat and names that need sanitising), a few without, and one scan larger than
Xero takes. They are spent after Xero's lock date, so none is held for it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from mappings.models import ExpenseCategoryMapping
from syncapp.models import Integration
from syncapp.providers.xero.writes import ATTACHMENT_MAX_BYTES
from syncapp.sandbox.harvest.common import new_id
from syncapp.sandbox.harvest.money import money
from syncapp.sandbox.harvest.seed_activity import _receipt_bytes, _receipt_png
from syncapp.sandbox.harvest.seed_expense_cases import _large_scan, approved_expense

CARD_ACCOUNT = "095"
# Harvest category name -> (Xero account code from the sandbox's chart, mode).
CATEGORY_RULES = {
    "Travel": ("493", Integration.ExpenseMode.BILL),
    "Meals": ("429", Integration.ExpenseMode.BILL),
    "Hotel": ("493", Integration.ExpenseMode.BILL),
    "Software": ("453", Integration.ExpenseMode.SPEND_MONEY),
    "Mileage": ("493", Integration.ExpenseMode.BILL),
}
RECEIPT_SHARE = 0.88
# Receipt names as phones and scanners give them: repeated, with spaces and brackets.
RECEIPT_NAMES = ("receipt.pdf", "Scan 2026 (1).pdf", "IMG_4711.png", "taxi receipt.png", "")


@dataclass(frozen=True)
class Planted:
    expense_ids: tuple[int, ...]
    receipts: int
    large_receipt_id: int | None
    first_day: date
    last_day: date


def expenses_plant(*, state: Any, count: int, seed: int, today: date) -> Planted:
    """Replace the seed's expenses with `count` approved ones (ids in creation order)."""
    hs = state.harvest
    rng = random.Random(f"bench-expenses-{seed}")
    hs.expenses.clear()
    hs.receipts.clear()
    lock = date.fromisoformat(state.xero.seed_info["lock_date"])
    first = max(lock + timedelta(days=1), today - timedelta(days=95))
    last = today - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assignments = sorted(
        (ua for ua in hs.user_assignments.values() if hs.projects[ua["_project_id"]]["is_active"]),
        key=lambda ua: ua["id"],
    )
    categories = sorted(hs.expense_categories.values(), key=lambda c: c["id"])
    ids = []
    for n in range(count):
        expense = _expense(state, rng, assignments[n % len(assignments)], categories, days)
        ids.append(expense["id"])
        if rng.random() < RECEIPT_SHARE:
            hs.receipts[expense["id"]] = _receipt(rng, expense["id"])
    large = None
    if count >= 20:
        large = ids[len(ids) // 2]
        hs.receipts[large] = (f"hotel scan {large}.pdf", "application/pdf", _large_scan(large))
    return Planted(tuple(ids), len(hs.receipts), large, first, last)


def _expense(
    state: Any, rng: random.Random, assignment: dict, categories: list[dict], days: list[date]
) -> dict:
    hs = state.harvest
    project = hs.projects[assignment["_project_id"]]
    category = rng.choice(categories)
    expense_id = new_id(state, "expenses")
    if category["unit_price"] is not None:
        units = Decimal(rng.randrange(4, 240)) + Decimal(rng.randrange(4)) / 4
        total = money(units * category["unit_price"])
    else:
        units = None
        total = money(Decimal(rng.randrange(350, 90000)) / 100)
    day = rng.choice(days)
    stamp = f"{(day + timedelta(days=2)).isoformat()}T10:{expense_id % 60:02d}:00Z"
    record = approved_expense(
        expense_id=expense_id,
        assignment=assignment,
        project=project,
        category=category,
        day=day,
        units=units,
        total=total,
        billable=bool(project["is_billable"]) and rng.random() < 0.5,
        created_at=stamp,
        updated_at=stamp,
    )
    hs.expenses[expense_id] = record
    return record


def _receipt(rng: random.Random, expense_id: int) -> tuple[str, str, bytes]:
    name = rng.choice(RECEIPT_NAMES) or f"receipt-{expense_id}.pdf"
    if name.endswith(".png"):
        return name, "image/png", _receipt_png(expense_id)
    return name, "application/pdf", _receipt_bytes(expense_id)


def expense_policies_set(*, integration: Integration, state: Any) -> dict[str, str]:
    """Card spending from the sandbox's card account, bills per person and month, and every
    Harvest category mapped to an expense account with its mode. Returns category id -> mode."""
    integration.expense_card_account_code = CARD_ACCOUNT
    integration.expense_grouping = Integration.ExpenseGrouping.MONTH
    integration.expense_approval = Integration.ExpenseApproval.APPROVED
    integration.expense_mode = Integration.ExpenseMode.BILL
    integration.save()
    modes = {}
    for category in state.harvest.expense_categories.values():
        account, mode = CATEGORY_RULES.get(category["name"], ("429", "bill"))
        ExpenseCategoryMapping.objects.update_or_create(
            integration=integration,
            harvest_expense_category_id=str(category["id"]),
            defaults={
                "name": category["name"],
                "unit_name": category.get("unit_name") or "",
                "unit_price": category.get("unit_price"),
                "account_code": account,
                "mode": mode,
            },
        )
        modes[str(category["id"])] = str(mode)
    return modes


def uploadable(receipt: tuple[str, str, bytes] | None) -> bool:
    """A receipt Xero takes (the large scan is refused by its size)."""
    return receipt is not None and 0 < len(receipt[2]) <= ATTACHMENT_MAX_BYTES

"""Typed Harvest time entries, expenses (with their receipts) and expense categories.

https://help.getharvest.com/api-v2/timesheets-api/ and /expenses-api/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncapp.providers.harvest.types import Ref, _b, _d, _date, _dt, _s


@dataclass(frozen=True)
class HarvestTimeEntry:
    id: int
    spent_date: date | None
    user: Ref | None
    client: Ref | None
    project: Ref | None
    task: Ref | None
    invoice: Ref | None
    hours: Decimal | None
    rounded_hours: Decimal | None
    notes: str
    billable: bool
    is_billed: bool
    is_locked: bool
    is_running: bool
    billable_rate: Decimal | None
    cost_rate: Decimal | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestTimeEntry:
        return cls(
            id=int(data["id"]),
            spent_date=_date(data, "spent_date"),
            user=Ref.parse(data.get("user")),
            client=Ref.parse(data.get("client")),
            project=Ref.parse(data.get("project")),
            task=Ref.parse(data.get("task")),
            invoice=Ref.parse(data.get("invoice")),
            hours=_d(data, "hours"),
            rounded_hours=_d(data, "rounded_hours"),
            notes=_s(data, "notes"),
            billable=_b(data, "billable"),
            is_billed=_b(data, "is_billed"),
            is_locked=_b(data, "is_locked"),
            is_running=_b(data, "is_running"),
            billable_rate=_d(data, "billable_rate"),
            cost_rate=_d(data, "cost_rate"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestReceipt:
    url: str
    file_name: str
    file_size: int | None
    content_type: str


@dataclass(frozen=True)
class HarvestReceiptFile:
    content: bytes = field(repr=False)
    content_type: str
    file_name: str


@dataclass(frozen=True)
class HarvestExpense:
    id: int
    client: Ref | None
    project: Ref | None
    expense_category: Ref | None
    user: Ref | None
    receipt: HarvestReceipt | None
    invoice: Ref | None
    notes: str
    # Harvest's docs type `units` as an integer but real payloads carry decimals such as 1.0.
    units: Decimal | None
    total_cost: Decimal
    billable: bool
    is_billed: bool
    is_locked: bool
    spent_date: date | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)
    # "Whether the expense has been approved or not" (Harvest v2, Expense.is_closed).
    is_closed: bool = False

    @classmethod
    def from_api(cls, data: dict) -> HarvestExpense:
        receipt = data.get("receipt")
        return cls(
            id=int(data["id"]),
            client=Ref.parse(data.get("client")),
            project=Ref.parse(data.get("project")),
            expense_category=Ref.parse(data.get("expense_category")),
            user=Ref.parse(data.get("user")),
            receipt=HarvestReceipt(
                url=_s(receipt, "url"),
                file_name=_s(receipt, "file_name"),
                file_size=receipt.get("file_size"),
                content_type=_s(receipt, "content_type"),
            )
            if isinstance(receipt, dict) and receipt.get("url")
            else None,
            invoice=Ref.parse(data.get("invoice")),
            notes=_s(data, "notes"),
            units=_d(data, "units"),
            total_cost=_d(data, "total_cost") or Decimal("0"),
            billable=_b(data, "billable"),
            is_billed=_b(data, "is_billed"),
            is_locked=_b(data, "is_locked"),
            spent_date=_date(data, "spent_date"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
            is_closed=_b(data, "is_closed"),
        )


@dataclass(frozen=True)
class HarvestExpenseCategory:
    id: int
    name: str
    unit_name: str
    unit_price: Decimal | None
    is_active: bool
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestExpenseCategory:
        return cls(
            id=int(data["id"]),
            name=_s(data, "name"),
            unit_name=_s(data, "unit_name"),
            unit_price=_d(data, "unit_price"),
            is_active=_b(data, "is_active"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )

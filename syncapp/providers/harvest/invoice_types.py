"""Typed Harvest invoices, their line items, messages and payments (Decimal money).

https://help.getharvest.com/api-v2/invoices-api/invoices/invoices/ and the pages beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncapp.providers.harvest.types import Ref, _b, _d, _date, _dt, _s

ZERO = Decimal("0")


@dataclass(frozen=True)
class HarvestInvoiceLineItem:
    id: int | None
    project: Ref | None
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxed: bool
    taxed2: bool

    @classmethod
    def from_api(cls, data: dict) -> HarvestInvoiceLineItem:
        return cls(
            id=int(data["id"]) if data.get("id") is not None else None,
            project=Ref.parse(data.get("project")),
            kind=_s(data, "kind"),
            description=_s(data, "description"),
            quantity=_d(data, "quantity") or ZERO,
            unit_price=_d(data, "unit_price") or ZERO,
            amount=_d(data, "amount") or ZERO,
            taxed=_b(data, "taxed"),
            taxed2=_b(data, "taxed2"),
        )


@dataclass(frozen=True)
class HarvestInvoice:
    id: int
    client: Ref | None
    number: str
    purchase_order: str
    state: str
    currency: str
    line_items: tuple[HarvestInvoiceLineItem, ...]
    amount: Decimal
    due_amount: Decimal
    # Percentages as Harvest shows them (10.0 means 10 %); None when not set.
    tax: Decimal | None
    tax_amount: Decimal
    tax2: Decimal | None
    tax2_amount: Decimal
    discount: Decimal | None
    discount_amount: Decimal
    subject: str
    notes: str
    issue_date: date | None
    due_date: date | None
    payment_term: str
    period_start: date | None
    period_end: date | None
    sent_at: datetime | None
    paid_at: datetime | None
    paid_date: date | None
    closed_at: datetime | None
    estimate: Ref | None
    retainer: Ref | None
    client_key: str
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestInvoice:
        return cls(
            id=int(data["id"]),
            client=Ref.parse(data.get("client")),
            number=_s(data, "number"),
            purchase_order=_s(data, "purchase_order"),
            state=_s(data, "state"),
            currency=_s(data, "currency"),
            line_items=tuple(
                HarvestInvoiceLineItem.from_api(item) for item in data.get("line_items") or ()
            ),
            amount=_d(data, "amount") or ZERO,
            due_amount=_d(data, "due_amount") or ZERO,
            tax=_d(data, "tax"),
            tax_amount=_d(data, "tax_amount") or ZERO,
            tax2=_d(data, "tax2"),
            tax2_amount=_d(data, "tax2_amount") or ZERO,
            discount=_d(data, "discount"),
            discount_amount=_d(data, "discount_amount") or ZERO,
            subject=_s(data, "subject"),
            notes=_s(data, "notes"),
            issue_date=_date(data, "issue_date"),
            due_date=_date(data, "due_date"),
            payment_term=_s(data, "payment_term"),
            period_start=_date(data, "period_start"),
            period_end=_date(data, "period_end"),
            sent_at=_dt(data, "sent_at"),
            paid_at=_dt(data, "paid_at"),
            paid_date=_date(data, "paid_date"),
            closed_at=_dt(data, "closed_at"),
            estimate=Ref.parse(data.get("estimate")),
            retainer=Ref.parse(data.get("retainer")),
            client_key=_s(data, "client_key"),
            created_at=_dt(data, "created_at"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestInvoiceMessage:
    id: int
    event_type: str
    sent_by: str
    sent_by_email: str
    recipients: tuple[dict, ...]
    subject: str
    thank_you: bool
    reminder: bool
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestInvoiceMessage:
        return cls(
            id=int(data["id"]),
            event_type=_s(data, "event_type"),
            sent_by=_s(data, "sent_by"),
            sent_by_email=_s(data, "sent_by_email"),
            recipients=tuple(data.get("recipients") or ()),
            subject=_s(data, "subject"),
            thank_you=_b(data, "thank_you"),
            reminder=_b(data, "reminder"),
            created_at=_dt(data, "created_at"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestInvoicePayment:
    id: int
    amount: Decimal
    paid_at: datetime | None
    paid_date: date | None
    recorded_by: str
    recorded_by_email: str
    notes: str
    transaction_id: str
    payment_gateway: dict | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestInvoicePayment:
        gateway = data.get("payment_gateway")
        return cls(
            id=int(data["id"]),
            amount=_d(data, "amount") or ZERO,
            paid_at=_dt(data, "paid_at"),
            paid_date=_date(data, "paid_date"),
            recorded_by=_s(data, "recorded_by"),
            recorded_by_email=_s(data, "recorded_by_email"),
            notes=_s(data, "notes"),
            transaction_id=_s(data, "transaction_id"),
            payment_gateway=gateway if isinstance(gateway, dict) else None,
            created_at=_dt(data, "created_at"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )

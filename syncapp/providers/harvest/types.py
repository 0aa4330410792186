"""Typed Harvest v2 records. Money and quantities are Decimal; every record keeps the raw JSON
(parsed with Decimal numbers) in `raw` for fields the sync does not read yet.

Shapes: https://help.getharvest.com/api-v2/ (one page per object); nested references such as
`client`, `project`, `task` arrive as `{"id": ..., "name": ...}` and become `Ref`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from syncapp.providers.base import parse_iso_date, parse_iso_datetime, to_decimal


@dataclass(frozen=True)
class Ref:
    """A nested reference (`client`, `project`, `task`, `user`, `invoice`...)."""

    id: int
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, data: Any) -> Ref | None:
        if not isinstance(data, dict) or data.get("id") is None:
            return None
        name = data.get("name") or data.get("number") or ""
        extra = {k: v for k, v in data.items() if k not in ("id", "name")}
        return cls(id=int(data["id"]), name=str(name), extra=extra)


def _d(data: dict, key: str) -> Decimal | None:
    return to_decimal(data.get(key))


def _date(data: dict, key: str) -> date | None:
    return parse_iso_date(data.get(key))


def _dt(data: dict, key: str) -> datetime | None:
    return parse_iso_datetime(data.get(key))


def _s(data: dict, key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _b(data: dict, key: str) -> bool:
    return bool(data.get(key))


@dataclass(frozen=True)
class HarvestCompany:
    name: str
    full_domain: str
    base_uri: str
    is_active: bool
    invoice_feature: bool
    expense_feature: bool
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestCompany:
        return cls(
            name=_s(data, "name"),
            full_domain=_s(data, "full_domain"),
            base_uri=_s(data, "base_uri"),
            is_active=_b(data, "is_active"),
            invoice_feature=_b(data, "invoice_feature"),
            expense_feature=_b(data, "expense_feature"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestClientRecord:
    """A Harvest client (the customer), not to be confused with the API client class."""

    id: int
    name: str
    is_active: bool
    address: str
    currency: str
    statement_key: str
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestClientRecord:
        return cls(
            id=int(data["id"]),
            name=_s(data, "name"),
            is_active=_b(data, "is_active"),
            address=_s(data, "address"),
            currency=_s(data, "currency"),
            statement_key=_s(data, "statement_key"),
            created_at=_dt(data, "created_at"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestContact:
    id: int
    client: Ref | None
    title: str
    first_name: str
    last_name: str
    email: str
    phone_office: str
    phone_mobile: str
    fax: str
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestContact:
        return cls(
            id=int(data["id"]),
            client=Ref.parse(data.get("client")),
            title=_s(data, "title"),
            first_name=_s(data, "first_name"),
            last_name=_s(data, "last_name"),
            email=_s(data, "email"),
            phone_office=_s(data, "phone_office"),
            phone_mobile=_s(data, "phone_mobile"),
            fax=_s(data, "fax"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestProject:
    id: int
    client: Ref | None
    name: str
    code: str
    is_active: bool
    is_billable: bool
    is_fixed_fee: bool
    bill_by: str
    hourly_rate: Decimal | None
    budget: Decimal | None
    budget_by: str
    budget_is_monthly: bool
    fee: Decimal | None
    cost_budget: Decimal | None
    cost_budget_include_expenses: bool
    starts_on: date | None
    ends_on: date | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestProject:
        return cls(
            id=int(data["id"]),
            client=Ref.parse(data.get("client")),
            name=_s(data, "name"),
            code=_s(data, "code"),
            is_active=_b(data, "is_active"),
            is_billable=_b(data, "is_billable"),
            is_fixed_fee=_b(data, "is_fixed_fee"),
            bill_by=_s(data, "bill_by"),
            hourly_rate=_d(data, "hourly_rate"),
            budget=_d(data, "budget"),
            budget_by=_s(data, "budget_by"),
            budget_is_monthly=_b(data, "budget_is_monthly"),
            fee=_d(data, "fee"),
            cost_budget=_d(data, "cost_budget"),
            cost_budget_include_expenses=_b(data, "cost_budget_include_expenses"),
            starts_on=_date(data, "starts_on"),
            ends_on=_date(data, "ends_on"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestTask:
    id: int
    name: str
    billable_by_default: bool
    default_hourly_rate: Decimal | None
    is_default: bool
    is_active: bool
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestTask:
        return cls(
            id=int(data["id"]),
            name=_s(data, "name"),
            billable_by_default=_b(data, "billable_by_default"),
            default_hourly_rate=_d(data, "default_hourly_rate"),
            is_default=_b(data, "is_default"),
            is_active=_b(data, "is_active"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestTaskAssignment:
    id: int
    project: Ref | None
    task: Ref | None
    is_active: bool
    billable: bool
    hourly_rate: Decimal | None
    budget: Decimal | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestTaskAssignment:
        return cls(
            id=int(data["id"]),
            project=Ref.parse(data.get("project")),
            task=Ref.parse(data.get("task")),
            is_active=_b(data, "is_active"),
            billable=_b(data, "billable"),
            hourly_rate=_d(data, "hourly_rate"),
            budget=_d(data, "budget"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestUserAssignment:
    id: int
    project: Ref | None
    user: Ref | None
    is_active: bool
    is_project_manager: bool
    use_default_rates: bool
    hourly_rate: Decimal | None
    budget: Decimal | None
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestUserAssignment:
        return cls(
            id=int(data["id"]),
            project=Ref.parse(data.get("project")),
            user=Ref.parse(data.get("user")),
            is_active=_b(data, "is_active"),
            is_project_manager=_b(data, "is_project_manager"),
            use_default_rates=_b(data, "use_default_rates"),
            hourly_rate=_d(data, "hourly_rate"),
            budget=_d(data, "budget"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestUser:
    id: int
    first_name: str
    last_name: str
    email: str
    is_active: bool
    is_contractor: bool
    default_hourly_rate: Decimal | None
    cost_rate: Decimal | None
    roles: tuple[str, ...]
    access_roles: tuple[str, ...]
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def from_api(cls, data: dict) -> HarvestUser:
        return cls(
            id=int(data["id"]),
            first_name=_s(data, "first_name"),
            last_name=_s(data, "last_name"),
            email=_s(data, "email"),
            is_active=_b(data, "is_active"),
            is_contractor=_b(data, "is_contractor"),
            default_hourly_rate=_d(data, "default_hourly_rate"),
            cost_rate=_d(data, "cost_rate"),
            roles=tuple(data.get("roles") or ()),
            access_roles=tuple(data.get("access_roles") or ()),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )


@dataclass(frozen=True)
class HarvestInvoiceItemCategory:
    id: int
    name: str
    use_as_service: bool
    use_as_expense: bool
    updated_at: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> HarvestInvoiceItemCategory:
        return cls(
            id=int(data["id"]),
            name=_s(data, "name"),
            use_as_service=_b(data, "use_as_service"),
            use_as_expense=_b(data, "use_as_expense"),
            updated_at=_dt(data, "updated_at"),
            raw=data,
        )

"""Typed views of what Xero returns (money movements, journals, attachments and history notes
are in xero.transaction_types). Money is Decimal; dates go through xero.dates.

Each type keeps the element as Xero sent it in `raw` (the flows need fields this module does
not name), and names the fields the engine reads so that a renamed key fails here, not deep in
a flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from syncapp.providers.base import to_decimal
from syncapp.providers.xero.dates import xero_date_parse, xero_datetime_parse


def _money(value: Any) -> Decimal | None:
    # Bodies are parsed with parse_float=Decimal; to_decimal also copes with a stray float.
    return to_decimal(value)


@dataclass(frozen=True)
class XeroTenant:
    """One row of GET /connections: an organisation the user let this app reach."""

    connection_id: str
    tenant_id: str
    tenant_name: str
    tenant_type: str
    auth_event_id: str = ""
    created: datetime | None = None
    updated: datetime | None = None

    @classmethod
    def from_api(cls, data: dict) -> XeroTenant:
        return cls(
            connection_id=data.get("id", ""),
            tenant_id=data.get("tenantId", ""),
            tenant_name=data.get("tenantName") or "",
            tenant_type=data.get("tenantType") or "",
            auth_event_id=data.get("authEventId") or "",
            created=xero_datetime_parse(data.get("createdDateUtc")),
            updated=xero_datetime_parse(data.get("updatedDateUtc")),
        )


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint answered. Secrets are kept out of repr() so they never get logged."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime | None
    scopes: tuple[str, ...] = ()
    token_type: str = "Bearer"


@dataclass(frozen=True)
class Organisation:
    organisation_id: str
    name: str
    legal_name: str
    short_code: str
    base_currency: str
    country_code: str
    organisation_type: str
    is_demo_company: bool
    edition: str
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> Organisation:
        return cls(
            organisation_id=data.get("OrganisationID", ""),
            name=data.get("Name", ""),
            legal_name=data.get("LegalName", ""),
            short_code=data.get("ShortCode", ""),
            base_currency=data.get("BaseCurrency", ""),
            country_code=data.get("CountryCode", ""),
            organisation_type=data.get("OrganisationType", ""),
            is_demo_company=bool(data.get("IsDemoCompany", False)),
            edition=data.get("Edition", ""),
            raw=data,
        )


@dataclass(frozen=True)
class OrganisationAction:
    """GET /Organisation/Actions: whether this org allows e.g. CreateApprovedInvoice."""

    name: str
    status: str

    @property
    def allowed(self) -> bool:
        return self.status == "ALLOWED"


@dataclass(frozen=True)
class Account:
    account_id: str
    code: str
    name: str
    type: str
    status: str
    tax_type: str
    account_class: str
    enable_payments_to_account: bool
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> Account:
        return cls(
            account_id=data.get("AccountID", ""),
            code=data.get("Code", "") or "",
            name=data.get("Name", ""),
            type=data.get("Type", ""),
            status=data.get("Status", ""),
            tax_type=data.get("TaxType", "") or "",
            account_class=data.get("Class", "") or "",
            enable_payments_to_account=bool(data.get("EnablePaymentsToAccount", False)),
            raw=data,
        )


@dataclass(frozen=True)
class TaxRate:
    name: str
    tax_type: str
    status: str
    effective_rate: Decimal | None
    display_tax_rate: Decimal | None
    can_apply_to_revenue: bool
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> TaxRate:
        return cls(
            name=data.get("Name", ""),
            tax_type=data.get("TaxType", ""),
            status=data.get("Status", ""),
            effective_rate=_money(data.get("EffectiveRate")),
            display_tax_rate=_money(data.get("DisplayTaxRate")),
            can_apply_to_revenue=bool(data.get("CanApplyToRevenue", False)),
            raw=data,
        )


@dataclass(frozen=True)
class Currency:
    code: str
    description: str

    @classmethod
    def from_api(cls, data: dict) -> Currency:
        return cls(code=data.get("Code", ""), description=data.get("Description", "") or "")


@dataclass(frozen=True)
class TrackingOption:
    option_id: str
    name: str
    status: str


@dataclass(frozen=True)
class TrackingCategory:
    category_id: str
    name: str
    status: str
    options: tuple[TrackingOption, ...]

    @classmethod
    def from_api(cls, data: dict) -> TrackingCategory:
        options = tuple(
            TrackingOption(
                option_id=o.get("TrackingOptionID", ""),
                name=o.get("Name", ""),
                status=o.get("Status", ""),
            )
            for o in data.get("Options") or []
        )
        return cls(
            category_id=data.get("TrackingCategoryID", ""),
            name=data.get("Name", ""),
            status=data.get("Status", ""),
            options=options,
        )


@dataclass(frozen=True)
class Contact:
    contact_id: str
    name: str
    status: str
    contact_number: str
    account_number: str
    email: str
    first_name: str
    last_name: str
    default_currency: str
    is_customer: bool
    updated: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> Contact:
        return cls(
            contact_id=data.get("ContactID", ""),
            name=data.get("Name", "") or "",
            status=data.get("ContactStatus", "") or "",
            contact_number=data.get("ContactNumber", "") or "",
            account_number=data.get("AccountNumber", "") or "",
            email=data.get("EmailAddress", "") or "",
            first_name=data.get("FirstName", "") or "",
            last_name=data.get("LastName", "") or "",
            default_currency=data.get("DefaultCurrency", "") or "",
            is_customer=bool(data.get("IsCustomer", False)),
            updated=xero_datetime_parse(data.get("UpdatedDateUTC")),
            raw=data,
        )


@dataclass(frozen=True)
class Invoice:
    """An invoice or a bill. Totals are Xero's own, to compare with Harvest's to the cent."""

    invoice_id: str
    invoice_number: str
    type: str
    status: str
    contact_id: str
    reference: str
    currency_code: str
    date: date | None
    due_date: date | None
    sub_total: Decimal | None
    total_tax: Decimal | None
    total: Decimal | None
    amount_due: Decimal | None
    amount_paid: Decimal | None
    amount_credited: Decimal | None
    updated: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> Invoice:
        return cls(
            invoice_id=data.get("InvoiceID", ""),
            invoice_number=data.get("InvoiceNumber", "") or "",
            type=data.get("Type", ""),
            status=data.get("Status", ""),
            contact_id=(data.get("Contact") or {}).get("ContactID", ""),
            reference=data.get("Reference", "") or "",
            currency_code=data.get("CurrencyCode", "") or "",
            date=xero_date_parse(data.get("Date")),
            due_date=xero_date_parse(data.get("DueDate")),
            sub_total=_money(data.get("SubTotal")),
            total_tax=_money(data.get("TotalTax")),
            total=_money(data.get("Total")),
            amount_due=_money(data.get("AmountDue")),
            amount_paid=_money(data.get("AmountPaid")),
            amount_credited=_money(data.get("AmountCredited")),
            updated=xero_datetime_parse(data.get("UpdatedDateUTC")),
            raw=data,
        )

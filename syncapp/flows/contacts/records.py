"""The two sides of a contact as plain values, and how a field moves between them (pure).

A field has a Harvest form and a Xero form (the address is text in Harvest, structured in Xero);
each side is compared with its own last-synced form, so a lossy conversion never looks like a
change and never ping-pongs between the two systems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from syncapp.flows.contacts.address import (
    address_join,
    address_lines,
    address_of_xero,
    address_split,
)
from syncapp.flows.contacts.normalise import email_normalise
from syncapp.flows.xero_text import (
    ADDRESS_CITY_REGION,
    ADDRESS_CODE,
    ADDRESS_LINE,
    EMAIL,
    PERSON_NAME,
    xero_clip,
    xero_length,
)

FIELDS = ("name", "email", "first_name", "last_name", "address", "currency")
# Which ContactMatchRule column says who wins when a field changed differently on both sides.
FIELD_OWNER_ATTR = {
    "name": "owner_name",
    "email": "owner_email",
    "first_name": "owner_contact_person",
    "last_name": "owner_contact_person",
    "address": "owner_address",
    "currency": "owner_currency",
}
FIELD_LABELS = {
    "name": "Name",
    "email": "E-mail",
    "first_name": "First name",
    "last_name": "Last name",
    "address": "Address",
    "currency": "Currency",
}
# Harvest keeps the contact person (and so the e-mail) on its primary contact, the rest on the client.
HARVEST_CONTACT_FIELDS = ("email", "first_name", "last_name")


def contact_reference(*, harvest_client_id: str | int) -> str:
    """The ContactNumber that ties a Xero contact to its Harvest client (at most 50 characters)."""
    return f"HARVEST-{harvest_client_id}"


@dataclass(frozen=True)
class HarvestSide:
    client_id: str
    name: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    address: str = ""
    currency: str = ""
    is_active: bool = True
    contact_id: int | None = None  # the primary contact person, if any
    updated_at: str = ""
    # An inactive client still gets a contact when one of its invoices waits for it.
    invoices_waiting: bool = False

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.strip(),
            "email": self.email.strip(),
            "first_name": self.first_name.strip(),
            "last_name": self.last_name.strip(),
            "address": "\n".join(address_lines(self.address)),
            "currency": self.currency.strip().upper(),
        }

    def summary(self) -> dict[str, Any]:
        return {"id": self.client_id, **self.values(), "is_active": self.is_active}


@dataclass(frozen=True)
class XeroSide:
    contact_id: str
    name: str
    status: str = "ACTIVE"
    contact_number: str = ""
    account_number: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    currency: str = ""
    address: dict = field(default_factory=dict)
    addresses_raw: tuple = ()
    updated: str = ""
    merged_to: str = ""  # MergedToContactID: finance merged this contact into another in Xero

    @property
    def archived(self) -> bool:
        return self.status.upper() == "ARCHIVED"

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.strip(),
            "email": self.email.strip(),
            "first_name": self.first_name.strip(),
            "last_name": self.last_name.strip(),
            "address": address_of_xero([{"AddressType": "POBOX", **(self.address or {})}]),
            "currency": self.currency.strip().upper(),
        }

    def summary(self) -> dict[str, Any]:
        values = self.values()
        return {
            "contact_id": self.contact_id,
            **values,
            "address": address_join(values["address"]),
            "status": self.status,
            "contact_number": self.contact_number,
            "account_number": self.account_number,
        }


def xero_side_from_contact(contact: Any) -> XeroSide:
    """From a providers.xero.types.Contact (or anything with its attributes and `raw`)."""
    raw = getattr(contact, "raw", {}) or {}
    addresses = tuple(raw.get("Addresses") or ())
    return XeroSide(
        contact_id=contact.contact_id,
        name=contact.name,
        status=contact.status or "ACTIVE",
        contact_number=contact.contact_number,
        account_number=contact.account_number,
        email=contact.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
        currency=contact.default_currency,
        address=address_of_xero(list(addresses)),
        addresses_raw=addresses,
        updated=contact.updated.isoformat() if getattr(contact, "updated", None) else "",
        merged_to=str(raw.get("MergedToContactID") or "").replace(
            "00000000-0000-0000-0000-000000000000", ""
        ),
    )


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_acceptable(value: str) -> bool:
    """What Xero takes as EmailAddress ("Email address must be valid." otherwise): one ASCII
    address of at most 255 characters. Harvest accepts more (several addresses,
    internationalised ones)."""
    value = (value or "").strip()
    return not value or (
        value.isascii() and bool(_EMAIL.match(value)) and xero_length(value) <= EMAIL
    )


# Free-text parts of a contact Xero limits (Contact FirstName/LastName 255, Address lines 500,
# City/Region/AttentionTo 255, PostalCode/Country 50: xero_accounting.yaml maxLength). Nobody
# matches contacts on them, so an over-long one is shortened rather than refused; the snapshot
# keeps the shortened Xero form, so the cut never reads as a change on either side.
_CLIPPED = {"first_name": PERSON_NAME, "last_name": PERSON_NAME}
_ADDRESS_LIMITS = {"PostalCode": ADDRESS_CODE, "Country": ADDRESS_CODE}


def _address_to_xero(text: Any) -> dict[str, str]:
    parts = address_split(text)
    for key, part in parts.items():
        limit = _ADDRESS_LIMITS.get(
            key, ADDRESS_LINE if key.startswith("AddressLine") else ADDRESS_CITY_REGION
        )
        parts[key] = xero_clip(part, limit)
    return parts


def value_to_xero(name: str, value: Any) -> Any:
    if name == "address":
        return _address_to_xero(value)
    if name in _CLIPPED and isinstance(value, str):
        return xero_clip(value, _CLIPPED[name])
    return value


def value_to_harvest(name: str, value: Any) -> Any:
    return address_join(value) if name == "address" else value


def value_is_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return not any(str(v).strip() for v in value.values())
    return not str(value or "").strip()


def value_equal(name: str, a: Any, b: Any) -> bool:
    if name == "email":
        return email_normalise(a) == email_normalise(b)
    if name == "address":
        if isinstance(a, dict) or isinstance(b, dict):
            norm = lambda v: {k: " ".join(str(x).split()) for k, x in (v or {}).items() if x}  # noqa: E731
            return norm(a) == norm(b)
        return address_lines(a) == address_lines(b)
    if name == "currency":
        return str(a or "").strip().upper() == str(b or "").strip().upper()
    return str(a or "").strip() == str(b or "").strip()


def xero_payload_fields(
    values: dict[str, Any], *, existing_addresses: tuple = ()
) -> dict[str, Any]:
    """Xero-form values -> the elements of a Contacts request body (empty values left out).

    IsCustomer is not sent: Xero sets it itself once a sales invoice is raised for the contact
    and ignores it on PUT/POST (https://developer.xero.com/documentation/api/accounting/contacts,
    "IsCustomer ... Cannot be set via PUT or POST").
    """
    body: dict[str, Any] = {}
    mapping = {
        "name": "Name",
        "email": "EmailAddress",
        "first_name": "FirstName",
        "last_name": "LastName",
        "currency": "DefaultCurrency",
    }
    for key, xero_key in mapping.items():
        if key in values:
            body[xero_key] = values[key] or ""
    if "address" in values:
        pobox = {k: v for k, v in (values["address"] or {}).items() if v}
        others = [a for a in existing_addresses if str(a.get("AddressType", "")).upper() != "POBOX"]
        body["Addresses"] = [{"AddressType": "POBOX", **pobox}, *others]
    if "DefaultCurrency" in body and not body["DefaultCurrency"]:
        del body["DefaultCurrency"]  # Xero has no "no currency": leave it as it is
    return body

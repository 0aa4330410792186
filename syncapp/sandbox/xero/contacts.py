"""Contacts: create and update with Xero's uniqueness rules.

- Name must be unique across ACTIVE contacts (case-insensitive); archived contacts keep their
  names out of the way until restored.
- ContactNumber and AccountNumber are unique too.
- POST matches an existing contact by ContactID, then ContactNumber; otherwise it creates
  (https://developer.xero.com/documentation/api/accounting/contacts#post-contacts).
- IsCustomer/IsSupplier cannot be set through the API; Xero sets them when a sales or purchase
  document is raised for the contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncapp.sandbox.xero.documents import BatchContext
from syncapp.sandbox.xero.events import event_emit, history_add
from syncapp.sandbox.xero.limits import CONTACT, length_errors
from syncapp.sandbox.xero.lookups import currency_check
from syncapp.sandbox.xero.state import XeroState

_WRITABLE = (
    "Name", "FirstName", "LastName", "EmailAddress", "ContactNumber", "AccountNumber",
    "ContactStatus", "CompanyNumber", "TaxNumber", "AccountsReceivableTaxType",
    "AccountsPayableTaxType", "Addresses", "Phones", "ContactPersons", "DefaultCurrency",
    "BankAccountDetails", "SalesDefaultAccountCode", "PurchasesDefaultAccountCode", "PaymentTerms",
    "XeroNetworkKey", "SalesTrackingCategories", "PurchasesTrackingCategories", "Website",
)
_TEXT = {"Name", "FirstName", "LastName", "EmailAddress", "ContactNumber", "AccountNumber",
         "ContactStatus", "CompanyNumber", "TaxNumber", "DefaultCurrency", "BankAccountDetails"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class PreparedContact:
    raw: dict[str, Any]
    record: dict[str, Any]
    existing: dict[str, Any] | None
    errors: list[str]


def _key(value: Any) -> str:
    return str(value).strip().lower()


def contact_prepare(
    state: XeroState, raw: Any, *, ctx: BatchContext, allow_update: bool = True,
    path_id: str | None = None,
) -> PreparedContact:
    if not isinstance(raw, dict):
        return PreparedContact({}, {}, None, ["Contact must be an object."])
    errors: list[str] = length_errors(raw, CONTACT)
    existing = None
    contact_id = path_id or raw.get("ContactID")
    if contact_id:
        existing = state.contacts.get(str(contact_id).lower())
        if existing is None:
            errors.append(f"The contact with ContactID '{contact_id}' could not be found.")
            echo = {k: raw[k] for k in ("Name", "ContactNumber", "EmailAddress") if isinstance(raw.get(k), str)}
            return PreparedContact(raw, echo, None, errors)
    elif raw.get("ContactNumber") and allow_update:
        found = state.contact_by_number.get(_key(raw["ContactNumber"]))
        existing = state.contacts.get(found) if found else None
    record = dict(existing) if existing is not None else {}
    for name in _WRITABLE:
        if name in raw:
            value = raw[name]
            if name in _TEXT and value is not None and not isinstance(value, str):
                value = str(value)
            record[name] = value.strip() if isinstance(value, str) else value
    for name in ("EmailAddress", "ContactNumber", "AccountNumber", "FirstName", "LastName"):
        if record.get(name) == "":
            record.pop(name)
    status = str(record.get("ContactStatus") or "ACTIVE").upper()
    if status not in ("ACTIVE", "ARCHIVED"):
        errors.append(f"Contact status '{status}' is not valid.")
    record["ContactStatus"] = status
    name = record.get("Name")
    if not name:
        errors.append("The contact name must be specified.")
    own_id = existing["ContactID"] if existing is not None else None
    if name and status == "ACTIVE":
        holder = state.contact_by_name.get(_key(name))
        pending = ctx.new_contacts.get(_key(name))
        if (holder is not None and holder != own_id) or (pending is not None and existing is None):
            errors.append(
                f"The contact name {name} is already assigned to another contact. The contact name "
                "must be unique across all active contacts."
            )
    if record.get("ContactNumber"):
        holder = state.contact_by_number.get(_key(record["ContactNumber"]))
        if holder is not None and holder != own_id:
            errors.append("Another contact has this contact number. Please enter a different contact number.")
    if record.get("AccountNumber"):
        holder = state.contact_by_account_number.get(_key(record["AccountNumber"]))
        if holder is not None and holder != own_id:
            errors.append("The Account Number already exists. Please enter a different Account Number.")
    email = record.get("EmailAddress")
    if email and (not _EMAIL.match(email) or not email.isascii()):
        errors.append("Email address must be valid.")
    if record.get("DefaultCurrency"):
        currency_check(state, code=record["DefaultCurrency"], errors=errors)
    if not errors and name and existing is None and status == "ACTIVE":
        ctx.new_contacts[_key(name)] = "pending"
    return PreparedContact(raw, record, existing, errors)


def _index(state: XeroState, record: dict[str, Any], old: dict[str, Any] | None) -> None:
    contact_id = record["ContactID"]
    for field_name, index in (
        ("Name", state.contact_by_name),
        ("ContactNumber", state.contact_by_number),
        ("AccountNumber", state.contact_by_account_number),
    ):
        if old is not None and old.get(field_name) and index.get(_key(old[field_name])) == contact_id:
            del index[_key(old[field_name])]
        value = record.get(field_name)
        if not value:
            continue
        if field_name == "Name" and record["ContactStatus"] != "ACTIVE":
            continue
        index[_key(value)] = contact_id


def contact_commit(state: XeroState, prepared: PreparedContact, *, ctx: BatchContext) -> dict[str, Any]:
    record, existing = prepared.record, prepared.existing
    creating = existing is None
    if creating:
        record["ContactID"] = state.new_id("contact")
        record.setdefault("IsCustomer", False)
        record.setdefault("IsSupplier", False)
        record.setdefault("HasAttachments", False)
    record["UpdatedDateUTC"] = ctx.now
    state.contacts[record["ContactID"]] = record
    _index(state, record, existing)
    if creating:
        history_add(state, object_id=record["ContactID"], changes="Created",
                    details=f"Contact {record['Name']} created.", when=ctx.now)
    else:
        history_add(state, object_id=record["ContactID"], changes="Edited",
                    details=f"Contact {record['Name']} updated.", when=ctx.now)
    event_emit(state, category="CONTACT", event_type="CREATE" if creating else "UPDATE",
               resource_id=record["ContactID"], when=ctx.now)
    return record


def contact_create_named(state: XeroState, *, contact_id: str, name: str, now: datetime) -> dict[str, Any]:
    """The contact Xero makes when a document names a contact that does not exist yet."""
    record = {
        "ContactID": contact_id, "Name": name, "ContactStatus": "ACTIVE", "IsCustomer": False,
        "IsSupplier": False, "HasAttachments": False, "UpdatedDateUTC": now,
    }
    state.contacts[contact_id] = record
    _index(state, record, None)
    history_add(state, object_id=contact_id, changes="Created", details=f"Contact {name} created.", when=now)
    event_emit(state, category="CONTACT", event_type="CREATE", resource_id=contact_id, when=now)
    return record

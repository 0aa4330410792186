"""Rules a document write must pass besides its arithmetic: status changes, organisation
actions, the contact it names, and the history entries it leaves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncapp.sandbox.xero.doc_kinds import EDITABLE, FINAL, INVOICE, BatchContext, DocKind
from syncapp.sandbox.xero.events import history_add
from syncapp.sandbox.xero.money import ZERO
from syncapp.sandbox.xero.state import XeroState


def not_modifiable(kind: DocKind) -> str:
    return f"{'Invoice' if kind is INVOICE else 'Credit Note'} not of valid status for modification"


def action_needed(
    kind: DocKind, doc_type: str, status: str, creating: bool, existing: dict[str, Any] | None
) -> str | None:
    """The Organisation/Actions name a write needs (https://developer.xero.com/documentation/api/accounting/organisation#actions)."""
    approving = status == "AUTHORISED" and (creating or existing["Status"] in EDITABLE)
    if kind is INVOICE:
        purchase = doc_type == "ACCPAY"
        if approving:
            return "CreateApprovedPurchaseInvoice" if purchase else "CreateApprovedInvoice"
        if creating:
            return "CreateDraftPurchaseInvoice" if purchase else "CreateDraftInvoice"
        return None
    if doc_type == "ACCRECCREDIT" and (approving or creating):
        return "CreateApprovedSalesCreditNote" if approving else "CreateDraftSalesCreditNote"
    return None


def status_change_ok(
    kind: DocKind, existing: dict[str, Any], status: str, raw: dict[str, Any], errors: list[str]
) -> bool:
    current = existing["Status"]
    if current in FINAL:
        only_status = set(raw) <= {kind.id_field, kind.number_field, "Status"}
        if not (only_status and status == current):
            errors.append(not_modifiable(kind))
            return False
        return True
    if current == "AUTHORISED":
        if status == "VOIDED":
            if existing.get("AmountPaid", ZERO) or existing.get("AmountCredited", ZERO) or existing.get(
                "AppliedAmount", ZERO
            ):
                errors.append(
                    "This document cannot be edited as it has a payment or credit note allocated to it."
                )
                return False
            return True
        if status != "AUTHORISED":
            errors.append(not_modifiable(kind))
            return False
        return True
    if status in ("VOIDED", "PAID"):
        errors.append(not_modifiable(kind))
        return False
    return True


def contact_resolve(
    state: XeroState, raw: dict[str, Any], record: dict[str, Any], creating: bool,
    ctx: BatchContext, errors: list[str],
) -> str | None:
    contact_raw = raw.get("Contact")
    if contact_raw is None:
        if creating:
            errors.append("A Contact must be specified for this type of transaction")
        return None
    if not isinstance(contact_raw, dict):
        errors.append("A Contact must be specified for this type of transaction")
        return None
    contact = None
    if contact_raw.get("ContactID"):
        contact = state.contacts.get(str(contact_raw["ContactID"]).lower())
        if contact is None:
            errors.append(f"The contact with ContactID '{contact_raw['ContactID']}' could not be found.")
            return None
    elif contact_raw.get("ContactNumber"):
        found = state.contact_by_number.get(str(contact_raw["ContactNumber"]).strip().lower())
        contact = state.contacts.get(found) if found else None
    elif contact_raw.get("Name"):
        name = str(contact_raw["Name"]).strip()
        found = state.contact_by_name.get(name.lower())
        contact = state.contacts.get(found) if found else None
        if contact is None:
            # Xero creates a contact from the name when none matches (Invoices: "Contact").
            pending = ctx.new_contacts.get(name.lower())
            if pending is None:
                pending = state.new_id("contact")
                ctx.new_contacts[name.lower()] = pending
            record["ContactID"] = pending
            return name
    if contact is None:
        errors.append("A Contact must be specified for this type of transaction")
        return None
    if contact["ContactStatus"] != "ACTIVE" and record.get("ContactID") != contact["ContactID"]:
        errors.append(
            "The contact with the specified contact details has been archived. The contact must be "
            "un-archived before creating new invoices or credit notes."
        )
    record["ContactID"] = contact["ContactID"]
    return None


def history_for(
    state: XeroState, kind: DocKind, record: dict[str, Any], existing: dict[str, Any] | None, now: datetime
) -> None:
    number = record.get(kind.number_field) or ""
    contact = state.contacts.get(record["ContactID"], {})
    label = "Invoice" if kind is INVOICE else "Credit Note"
    if existing is None:
        details = f"{label} {number} to {contact.get('Name', '')} for {record['Total']}."
        history_add(state, object_id=record[kind.id_field], changes="Created", details=details, when=now)
        if record["Status"] == "AUTHORISED":
            history_add(state, object_id=record[kind.id_field], changes="Approved", details=details, when=now)
        return
    changes = {"AUTHORISED": "Approved", "VOIDED": "Voided", "DELETED": "Deleted"}.get(record["Status"])
    if record["Status"] == existing["Status"] or changes is None:
        changes = "Edited"
    history_add(
        state, object_id=record[kind.id_field], changes=changes,
        details=f"{label} {number} {changes.lower()}.", when=now,
    )

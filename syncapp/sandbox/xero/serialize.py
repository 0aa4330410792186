"""Xero JSON for stored records: envelopes, `/Date(...)/` dates, money as exact numbers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from syncapp.sandbox.xero.formats import (
    datestring,
    money_json,
    msdate,
    msdatetime,
    msdatetime_envelope,
)
from syncapp.sandbox.xero.money import dp_round
from syncapp.sandbox.xero.state import XeroState

PROVIDER_NAME = "hxsync sandbox"


def envelope(*, state: XeroState, now: datetime, key: str, items: list[Any], extra: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Id": state.new_id("response"),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": msdatetime_envelope(now),
    }
    if extra:
        body.update(extra)
    body[key] = items
    return body


def _m(value: Decimal | None) -> Any:
    return money_json(value) if value is not None else None


def _plain(value: Any) -> Any:
    """Generic conversion for passthrough fields (addresses, phones...)."""
    if isinstance(value, Decimal):
        return money_json(value)
    if isinstance(value, datetime):
        return msdatetime(value)
    if isinstance(value, date):
        return msdate(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def contact_ref(state: XeroState, contact_id: str) -> dict[str, Any]:
    contact = state.contacts.get(contact_id, {})
    ref = {"ContactID": contact_id, "ContactStatus": contact.get("ContactStatus", "ACTIVE"),
           "Name": contact.get("Name", ""), "HasValidationErrors": False}
    for name in ("ContactNumber", "EmailAddress", "FirstName", "LastName"):
        if contact.get(name):
            ref[name] = contact[name]
    return ref


def contact_json(state: XeroState, record: dict[str, Any], *, summary: bool = False) -> dict[str, Any]:
    data = {k: _plain(v) for k, v in record.items() if not k.startswith("_")}
    data.setdefault("Addresses", [])
    data.setdefault("Phones", [])
    data.setdefault("ContactPersons", [])
    data.setdefault("ContactGroups", [])
    data["HasValidationErrors"] = False
    if summary:
        for name in ("Addresses", "Phones", "ContactPersons", "ContactGroups"):
            data.pop(name, None)
    return data


def line_json(line: dict[str, Any], *, unitdp: int = 2) -> dict[str, Any]:
    """`unitdp=4` shows unit amounts to 4 places; otherwise Xero shows them rounded to 2."""
    unit = line["UnitAmount"] if unitdp == 4 else dp_round(line["UnitAmount"], 2)
    data = {
        "LineItemID": line["LineItemID"],
        "Description": line.get("Description", ""),
        "Quantity": money_json(line["Quantity"]),
        "UnitAmount": money_json(unit),
        "TaxType": line["TaxType"],
        "TaxAmount": money_json(line["TaxAmount"]),
        "LineAmount": money_json(line["LineAmount"]),
        "Tracking": [dict(t) for t in line.get("Tracking", [])],
    }
    for name in ("AccountCode", "AccountID", "ItemCode"):
        if line.get(name):
            data[name] = line[name]
    if line.get("Item"):
        data["Item"] = dict(line["Item"])
    for name in ("DiscountRate", "DiscountAmount"):
        if line.get(name) is not None:
            data[name] = money_json(line[name])
    return data


def payment_ref(payment: dict[str, Any]) -> dict[str, Any]:
    return {
        "PaymentID": payment["PaymentID"], "Date": msdate(payment["Date"]),
        "Amount": money_json(payment["Amount"]), "CurrencyRate": money_json(payment["CurrencyRate"]),
        "HasAccount": False, "HasValidationErrors": False,
        **({"Reference": payment["Reference"]} if payment.get("Reference") else {}),
    }


def document_json(
    state: XeroState, kind: Any, record: dict[str, Any], *, lines: bool = True, summary: bool = False,
    unitdp: int = 2,
) -> dict[str, Any]:
    data: dict[str, Any] = {"Type": record["Type"]} if record.get("Type") else {}
    doc_id = record.get(kind.id_field)
    data[kind.id_field] = doc_id or "00000000-0000-0000-0000-000000000000"
    if record.get(kind.number_field):
        data[kind.number_field] = record[kind.number_field]
    if record.get("Reference") is not None:
        data["Reference"] = record["Reference"]
    if record.get("ContactID"):
        data["Contact"] = contact_ref(state, record["ContactID"])
    if record.get("Date"):
        data["DateString"] = datestring(record["Date"])
        data["Date"] = msdate(record["Date"])
    if record.get("DueDate"):
        data["DueDateString"] = datestring(record["DueDate"])
        data["DueDate"] = msdate(record["DueDate"])
    for name in ("ExpectedPaymentDate", "PlannedPaymentDate", "FullyPaidOnDate"):
        if record.get(name):
            data[name] = msdate(record[name])
    data["Status"] = record.get("Status", "DRAFT")
    data["LineAmountTypes"] = record.get("LineAmountTypes", "Exclusive")
    if lines and not summary:
        data["LineItems"] = [line_json(line, unitdp=unitdp) for line in record.get("LineItems", [])]
    for name in ("SubTotal", "TotalTax", "Total", "TotalDiscount", "AmountDue", "AmountPaid",
                 "AmountCredited", "RemainingCredit", "AppliedAmount"):
        if name in record:
            data[name] = money_json(record[name])
    data["CurrencyCode"] = record.get("CurrencyCode", state.base_currency)
    data["CurrencyRate"] = money_json(record.get("CurrencyRate", Decimal("1.000000")))
    if record.get("UpdatedDateUTC"):
        data["UpdatedDateUTC"] = msdatetime(record["UpdatedDateUTC"])
    for name in ("Url", "BrandingThemeID"):
        if record.get(name):
            data[name] = record[name]
    if "SentToContact" in record:
        data["SentToContact"] = bool(record["SentToContact"])
    data["IsDiscounted"] = bool(record.get("TotalDiscount"))
    data["HasAttachments"] = bool(record.get("HasAttachments"))
    data["HasErrors"] = False
    if not summary:
        payments = [state.payments[p] for p in record.get("PaymentIDs", []) if p in state.payments]
        data["Payments"] = [payment_ref(p) for p in payments if p["Status"] != "DELETED"]
        allocations = record.get("Allocations", [])
        if kind.id_field == "InvoiceID":
            data["CreditNotes"] = [
                _credit_ref(state, a) for a in allocations if a.get("CreditNoteID") in state.credit_notes
            ]
            data["Prepayments"] = []
            data["Overpayments"] = [
                _overpayment_ref(state, a) for a in allocations if a.get("OverpaymentID") in state.overpayments
            ]
        else:
            data["Allocations"] = [allocation_json(state, a, nested=True) for a in allocations]
    return data


def _credit_ref(state: XeroState, allocation: dict[str, Any]) -> dict[str, Any]:
    note = state.credit_notes[allocation["CreditNoteID"]]
    return {
        "CreditNoteID": note["CreditNoteID"], "CreditNoteNumber": note.get("CreditNoteNumber", ""),
        "AppliedAmount": money_json(allocation["Amount"]), "Date": msdate(allocation["Date"]),
        "Total": money_json(note["Total"]), "HasErrors": False,
    }


def _overpayment_ref(state: XeroState, allocation: dict[str, Any]) -> dict[str, Any]:
    overpayment = state.overpayments[allocation["OverpaymentID"]]
    return {
        "OverpaymentID": overpayment["OverpaymentID"], "AppliedAmount": money_json(allocation["Amount"]),
        "Date": msdate(allocation["Date"]), "Total": money_json(overpayment["Total"]),
    }


def allocation_json(state: XeroState, allocation: dict[str, Any], *, nested: bool = False) -> dict[str, Any]:
    invoice = state.invoices.get(allocation["InvoiceID"], {})
    data = {
        "AllocationID": allocation["AllocationID"],
        "Amount": money_json(allocation["Amount"]),
        "Date": msdate(allocation["Date"]),
        "Invoice": {"InvoiceID": allocation["InvoiceID"], "InvoiceNumber": invoice.get("InvoiceNumber", "")},
    }
    if nested:
        return data
    if allocation.get("CreditNoteID"):
        note = state.credit_notes.get(allocation["CreditNoteID"], {})
        data["CreditNote"] = {"CreditNoteID": allocation["CreditNoteID"],
                              "CreditNoteNumber": note.get("CreditNoteNumber", "")}
    if allocation.get("OverpaymentID"):
        data["Overpayment"] = {"OverpaymentID": allocation["OverpaymentID"]}
    return data


def payment_json(state: XeroState, payment: dict[str, Any]) -> dict[str, Any]:
    data = {
        "PaymentID": payment["PaymentID"],
        "Date": msdate(payment["Date"]),
        "Amount": money_json(payment["Amount"]),
        "BankAmount": money_json(payment["BankAmount"]),
        "CurrencyRate": money_json(payment["CurrencyRate"]),
        "PaymentType": payment["PaymentType"],
        "Status": payment["Status"],
        "IsReconciled": payment["IsReconciled"],
        "UpdatedDateUTC": msdatetime(payment["UpdatedDateUTC"]),
        "HasAccount": bool(payment.get("AccountID")),
        "HasValidationErrors": False,
    }
    if payment.get("Reference"):
        data["Reference"] = payment["Reference"]
    account = state.accounts.get(payment.get("AccountID") or "")
    if account is not None:
        data["Account"] = {"AccountID": account["AccountID"], "Code": account.get("Code", "")}
    if payment.get("InvoiceID"):
        invoice = state.invoices.get(payment["InvoiceID"], {})
        data["Invoice"] = {
            "InvoiceID": payment["InvoiceID"], "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Type": invoice.get("Type", "ACCREC"),
            "Contact": contact_ref(state, invoice["ContactID"]) if invoice.get("ContactID") else None,
            "CurrencyCode": invoice.get("CurrencyCode", state.base_currency),
        }
        if data["Invoice"]["Contact"] is None:
            del data["Invoice"]["Contact"]
    if payment.get("CreditNoteID"):
        note = state.credit_notes.get(payment["CreditNoteID"], {})
        data["CreditNote"] = {"CreditNoteID": payment["CreditNoteID"],
                              "CreditNoteNumber": note.get("CreditNoteNumber", "")}
    return data


def settings_json(record: dict[str, Any]) -> dict[str, Any]:
    """Accounts, tax rates, currencies, tracking categories, organisation: plain conversion."""
    return _plain(record)


def generic_json(record: dict[str, Any]) -> dict[str, Any]:
    return _plain(record)

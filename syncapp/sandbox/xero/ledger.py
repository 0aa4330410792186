"""Manual journals and bank transactions (spend/receive money).

Manual journal lines carry signed LineAmounts (debits positive, credits negative) that must net to
zero (https://developer.xero.com/documentation/api/accounting/manualjournals). Bank transactions
are line documents against a BANK account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from syncapp.sandbox.xero.documents import BatchContext
from syncapp.sandbox.xero.events import history_add
from syncapp.sandbox.xero.formats import DateParseError, parse_date, parse_decimal
from syncapp.sandbox.xero.limits import BANK_TRANSACTION, MANUAL_JOURNAL, length_errors
from syncapp.sandbox.xero.lines import lines_build
from syncapp.sandbox.xero.lookups import (
    account_resolve,
    currency_check,
    lock_date_check,
    tax_resolve,
    tracking_resolve,
)
from syncapp.sandbox.xero.money import ZERO, money_round
from syncapp.sandbox.xero.state import XeroState

BANK_TYPES = ("RECEIVE", "SPEND", "RECEIVE-OVERPAYMENT", "SPEND-OVERPAYMENT")
OVERPAYMENT_TYPES = ("RECEIVE-OVERPAYMENT", "SPEND-OVERPAYMENT")
RECONCILED_MESSAGE = "This Bank Transaction cannot be edited as it has been reconciled with a Bank Statement."


def _overpayment_create(state: XeroState, tx: dict[str, Any], *, ctx: BatchContext) -> str:
    """Money received (or paid) beyond any invoice becomes an Overpayment holding the credit until
    it is allocated (https://developer.xero.com/documentation/api/accounting/overpayments)."""
    overpayment_id = state.new_id("overpayment")
    state.overpayments[overpayment_id] = {
        "OverpaymentID": overpayment_id, "Type": tx["Type"], "ContactID": tx.get("ContactID"),
        "Date": tx["Date"], "Status": "AUTHORISED", "LineAmountTypes": tx["LineAmountTypes"],
        "LineItems": tx.get("LineItems", []), "SubTotal": tx["SubTotal"], "TotalTax": tx["TotalTax"],
        "Total": tx["Total"], "CurrencyCode": tx["CurrencyCode"], "CurrencyRate": tx["CurrencyRate"],
        "RemainingCredit": tx["Total"], "AppliedAmount": ZERO, "Allocations": [],
        "BankTransactionID": tx["BankTransactionID"], "UpdatedDateUTC": ctx.now, "HasAttachments": False,
    }
    history_add(state, object_id=overpayment_id, changes="Created",
                details=f"Overpayment of {tx['Total']} received.", when=ctx.now)
    return overpayment_id


@dataclass
class PreparedRecord:
    raw: dict[str, Any]
    record: dict[str, Any]
    existing: dict[str, Any] | None
    errors: list[str]


def _date(raw: dict[str, Any], record: dict[str, Any], now, errors: list[str]) -> None:
    if raw.get("Date"):
        try:
            record["Date"] = parse_date(raw["Date"])
        except DateParseError:
            errors.append(f"The Date '{raw['Date']}' is not a valid date.")
    record.setdefault("Date", now.date())


def _journal_status_errors(existing: dict | None, status: str) -> list[str]:
    """Xero's manual journal status codes: DELETED is a deleted draft, VOIDED a voided posted
    journal, and a posted journal never goes back to draft."""
    if existing is None:
        return [] if status in ("DRAFT", "POSTED") else ["A new manual journal must be DRAFT or POSTED."]
    old = existing["Status"]
    if status == "DELETED" and old != "DRAFT":
        return ["Only a draft manual journal can be deleted; void a posted one."]
    if status == "VOIDED" and old != "POSTED":
        return ["Only a posted manual journal can be voided; delete a draft one."]
    if status == "DRAFT" and old == "POSTED":
        return ["A posted manual journal cannot be returned to draft."]
    return []


def journal_prepare(state: XeroState, raw: Any, *, ctx: BatchContext, path_id: str | None = None) -> PreparedRecord:
    if not isinstance(raw, dict):
        return PreparedRecord({}, {}, None, ["ManualJournal must be an object."])
    errors: list[str] = length_errors(raw, MANUAL_JOURNAL)
    journal_id = path_id or raw.get("ManualJournalID")
    existing = state.manual_journals.get(str(journal_id).lower()) if journal_id else None
    if journal_id and existing is None:
        return PreparedRecord(raw, {}, None, ["Manual Journal could not be found"])
    if existing is not None and existing["Status"] in ("VOIDED", "DELETED"):
        return PreparedRecord(raw, dict(existing), existing, ["Manual Journal not of valid status for modification"])
    record = dict(existing) if existing else {}
    for name in ("Narration", "Url", "ShowOnCashBasisReports"):
        if name in raw:
            record[name] = raw[name]
    record["Status"] = str(raw.get("Status") or record.get("Status") or "DRAFT").upper()
    errors += _journal_status_errors(existing, record["Status"])
    record["LineAmountTypes"] = raw.get("LineAmountTypes") or record.get("LineAmountTypes") or "NoTax"
    _date(raw, record, ctx.now, errors)
    if not record.get("Narration"):
        errors.append("Narration must be specified.")
    if "JournalLines" in raw or existing is None:
        lines = []
        for line_raw in raw.get("JournalLines") or []:
            if not isinstance(line_raw, dict):
                errors.append("Each journal line must be an object.")
                continue
            try:
                amount = parse_decimal(line_raw.get("LineAmount"))
            except (InvalidOperation, ValueError):
                amount = None
            if amount is None:
                errors.append("A journal line must have a LineAmount.")
                continue
            account = account_resolve(state, code=line_raw.get("AccountCode"),
                                      account_id=line_raw.get("AccountID"), errors=errors)
            if account is None:
                if line_raw.get("AccountCode") is None and line_raw.get("AccountID") is None:
                    errors.append("Account code or ID must be specified.")
                continue
            tax_type = line_raw.get("TaxType") or account.get("TaxType") or "NONE"
            if record["LineAmountTypes"] == "NoTax":
                tax_type = "NONE"
            tax_resolve(state, tax_type=tax_type, account=account, errors=errors)
            lines.append({
                "LineAmount": money_round(amount), "AccountCode": account.get("Code"),
                "AccountID": account["AccountID"], "Description": line_raw.get("Description", ""),
                "TaxType": tax_type, "TaxAmount": ZERO,
                "Tracking": tracking_resolve(state, raw=line_raw.get("Tracking"), errors=errors),
            })
        if len(lines) < 2 and not errors:
            errors.append("Journal must have at least two lines.")
        debits = sum((ln["LineAmount"] for ln in lines if ln["LineAmount"] > 0), ZERO)
        credits = -sum((ln["LineAmount"] for ln in lines if ln["LineAmount"] < 0), ZERO)
        if debits != credits:
            errors.append(f"The total debits ({debits}) must equal total credits ({credits})")
        record["JournalLines"] = lines
    if record["Status"] == "POSTED":
        lock_date_check(state, when=record["Date"], errors=errors)
    return PreparedRecord(raw, record, existing, list(dict.fromkeys(errors)))


def journal_commit(state: XeroState, prepared: PreparedRecord, *, ctx: BatchContext) -> dict[str, Any]:
    record = prepared.record
    if prepared.existing is None:
        record["ManualJournalID"] = state.new_id("manual_journal")
        record.setdefault("HasAttachments", False)
    record["UpdatedDateUTC"] = ctx.now
    state.manual_journals[record["ManualJournalID"]] = record
    history_add(state, object_id=record["ManualJournalID"],
                changes="Created" if prepared.existing is None else "Edited",
                details=f"Manual journal {record.get('Narration', '')}.", when=ctx.now)
    return record


def bank_transaction_prepare(
    state: XeroState, raw: Any, *, ctx: BatchContext, path_id: str | None = None
) -> PreparedRecord:
    if not isinstance(raw, dict):
        return PreparedRecord({}, {}, None, ["BankTransaction must be an object."])
    errors: list[str] = length_errors(raw, BANK_TRANSACTION)
    tx_id = path_id or raw.get("BankTransactionID")
    existing = state.bank_transactions.get(str(tx_id).lower()) if tx_id else None
    if tx_id and existing is None:
        return PreparedRecord(raw, {}, None, ["Bank Transaction could not be found"])
    if existing is not None and existing["Status"] in ("VOIDED", "DELETED"):
        return PreparedRecord(raw, dict(existing), existing, ["Bank Transaction not of valid status for modification"])
    if existing is not None and existing.get("IsReconciled"):
        # Reconciled money is frozen until someone unreconciles it in Xero's web app.
        return PreparedRecord(raw, dict(existing), existing, [RECONCILED_MESSAGE])
    record = dict(existing) if existing else {}
    tx_type = raw.get("Type") or record.get("Type")
    if tx_type not in BANK_TYPES:
        errors.append(f"Bank transaction Type must be one of {', '.join(BANK_TYPES)}.")
    if existing is not None and tx_type != existing["Type"]:
        errors.append("The Type of a bank transaction cannot be changed.")
    overpayment = tx_type in OVERPAYMENT_TYPES
    if overpayment and not raw.get("Contact") and existing is None:
        errors.append("A Contact must be specified for this type of transaction")
    record["Type"] = tx_type
    record["Status"] = str(raw.get("Status") or record.get("Status") or "AUTHORISED").upper()
    for name in ("Reference", "Url", "IsReconciled"):
        if name in raw:
            record[name] = raw[name]
    _date(raw, record, ctx.now, errors)
    contact_raw = raw.get("Contact") if isinstance(raw.get("Contact"), dict) else None
    if contact_raw and contact_raw.get("ContactID"):
        contact = state.contacts.get(str(contact_raw["ContactID"]).lower())
        if contact is None:
            errors.append(f"The contact with ContactID '{contact_raw['ContactID']}' could not be found.")
        else:
            record["ContactID"] = contact["ContactID"]
    elif contact_raw and contact_raw.get("Name"):
        key = state.contact_by_name.get(str(contact_raw["Name"]).strip().lower())
        if key is None:
            errors.append(f"The contact '{contact_raw['Name']}' could not be found.")
        else:
            record["ContactID"] = key
    bank_raw = raw.get("BankAccount") if isinstance(raw.get("BankAccount"), dict) else {}
    record["_bank_ref"] = {k: str(v) for k, v in bank_raw.items() if k in ("Code", "AccountID")}
    if bank_raw or existing is None:
        bank = account_resolve(state, code=bank_raw.get("Code"), account_id=bank_raw.get("AccountID"), errors=errors)
        if bank is None and not errors:
            errors.append("A bank account must be specified.")
        elif bank is not None and bank["Type"] != "BANK":
            errors.append(f"Account code '{bank.get('Code')}' is not a bank account.")
        elif bank is not None:
            record["BankAccountID"] = bank["AccountID"]
    record["CurrencyCode"] = raw.get("CurrencyCode") or record.get("CurrencyCode") or state.base_currency
    currency_check(state, code=record["CurrencyCode"], errors=errors)
    lat = raw.get("LineAmountTypes") or record.get("LineAmountTypes") or "Exclusive"
    record["LineAmountTypes"] = lat
    if "LineItems" in raw or existing is None:
        built = lines_build(
            state, raw_lines=raw.get("LineItems"), line_amount_types=lat, allow_discounts=False,
            discount_message="Discounts may not be applied to bank transactions.",
            # An overpayment's lines post to receivables/payables, not to an account of theirs.
            require_accounts=not overpayment, unitdp=ctx.unitdp, sales=tx_type == "RECEIVE",
        )
        errors.extend(built.errors)
        if built.totals is not None:
            record["LineItems"] = built.lines
            record["SubTotal"] = built.totals.sub_total
            record["TotalTax"] = built.totals.total_tax
            record["Total"] = built.totals.total
    if record["Status"] == "AUTHORISED":
        lock_date_check(state, when=record["Date"], errors=errors)
    return PreparedRecord(raw, record, existing, list(dict.fromkeys(errors)))


def bank_transaction_commit(state: XeroState, prepared: PreparedRecord, *, ctx: BatchContext) -> dict[str, Any]:
    record = prepared.record
    if prepared.existing is None:
        record["BankTransactionID"] = state.new_id("bank_transaction")
        record.setdefault("IsReconciled", False)
        record.setdefault("HasAttachments", False)
        record.setdefault("CurrencyRate", Decimal("1.000000"))
    record["UpdatedDateUTC"] = ctx.now
    state.bank_transactions[record["BankTransactionID"]] = record
    if prepared.existing is None and record["Type"] in OVERPAYMENT_TYPES:
        record["OverpaymentID"] = _overpayment_create(state, record, ctx=ctx)
    history_add(state, object_id=record["BankTransactionID"],
                changes="Created" if prepared.existing is None else "Edited",
                details=f"Bank transaction for {record.get('Total', ZERO)}.", when=ctx.now)
    return record

"""Typed views of Xero payments, credit notes, journals, bank transactions, attachments and
history notes. Money is Decimal; dates go through xero.dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from syncapp.providers.base import to_decimal as _money
from syncapp.providers.xero.dates import xero_date_parse, xero_datetime_parse


@dataclass(frozen=True)
class Payment:
    payment_id: str
    invoice_id: str
    invoice_number: str
    credit_note_id: str
    amount: Decimal | None
    date: date | None
    status: str
    payment_type: str
    reference: str
    currency_rate: Decimal | None
    updated: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> Payment:
        invoice = data.get("Invoice") or {}
        return cls(
            payment_id=data.get("PaymentID", ""),
            invoice_id=invoice.get("InvoiceID", ""),
            invoice_number=invoice.get("InvoiceNumber", "") or "",
            credit_note_id=(data.get("CreditNote") or {}).get("CreditNoteID", ""),
            amount=_money(data.get("Amount")),
            date=xero_date_parse(data.get("Date")),
            status=data.get("Status", ""),
            payment_type=data.get("PaymentType", ""),
            reference=data.get("Reference", "") or "",
            currency_rate=_money(data.get("CurrencyRate")),
            updated=xero_datetime_parse(data.get("UpdatedDateUTC")),
            raw=data,
        )


@dataclass(frozen=True)
class CreditNote:
    credit_note_id: str
    credit_note_number: str
    type: str
    status: str
    contact_id: str
    total: Decimal | None
    remaining_credit: Decimal | None
    updated: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> CreditNote:
        return cls(
            credit_note_id=data.get("CreditNoteID", ""),
            credit_note_number=data.get("CreditNoteNumber", "") or "",
            type=data.get("Type", ""),
            status=data.get("Status", ""),
            contact_id=(data.get("Contact") or {}).get("ContactID", ""),
            total=_money(data.get("Total")),
            remaining_credit=_money(data.get("RemainingCredit")),
            updated=xero_datetime_parse(data.get("UpdatedDateUTC")),
            raw=data,
        )


@dataclass(frozen=True)
class ManualJournal:
    manual_journal_id: str
    narration: str
    status: str
    date: date | None
    updated: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> ManualJournal:
        return cls(
            manual_journal_id=data.get("ManualJournalID", ""),
            narration=data.get("Narration", "") or "",
            status=data.get("Status", ""),
            date=xero_date_parse(data.get("Date")),
            updated=xero_datetime_parse(data.get("UpdatedDateUTC")),
            raw=data,
        )


@dataclass(frozen=True)
class BankTransaction:
    bank_transaction_id: str
    type: str
    status: str
    contact_id: str
    reference: str
    total: Decimal | None
    date: date | None
    updated: datetime | None
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: dict) -> BankTransaction:
        return cls(
            bank_transaction_id=data.get("BankTransactionID", ""),
            type=data.get("Type", ""),
            status=data.get("Status", ""),
            contact_id=(data.get("Contact") or {}).get("ContactID", ""),
            reference=data.get("Reference", "") or "",
            total=_money(data.get("Total")),
            date=xero_date_parse(data.get("Date")),
            updated=xero_datetime_parse(data.get("UpdatedDateUTC")),
            raw=data,
        )


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    file_name: str
    mime_type: str
    content_length: int | None
    url: str

    @classmethod
    def from_api(cls, data: dict) -> Attachment:
        length = data.get("ContentLength")
        return cls(
            attachment_id=data.get("AttachmentID", ""),
            file_name=data.get("FileName", ""),
            mime_type=data.get("MimeType", ""),
            content_length=int(length) if length is not None else None,
            url=data.get("Url", ""),
        )


@dataclass(frozen=True)
class HistoryRecord:
    details: str
    changes: str
    user: str
    date: datetime | None

    @classmethod
    def from_api(cls, data: dict) -> HistoryRecord:
        return cls(
            details=data.get("Details", "") or "",
            changes=data.get("Changes", "") or "",
            user=data.get("User", "") or "",
            date=xero_datetime_parse(data.get("DateUTC")),
        )

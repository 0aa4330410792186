"""Xero money movements, journals, attachments and history notes (part of XeroClient)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from syncapp.providers.base import json_loads
from syncapp.providers.xero.http import DEFAULT_PAGE_SIZE, _key_check
from syncapp.providers.xero.results import BatchResult
from syncapp.providers.xero.transaction_types import (
    Attachment,
    BankTransaction,
    CreditNote,
    HistoryRecord,
    ManualJournal,
    Payment,
)

# Endpoints that take attachments and history notes, by their path segment.
ATTACHABLE = frozenset(
    {"Invoices", "CreditNotes", "BankTransactions", "Contacts", "ManualJournals", "Accounts"}
)
HISTORY = frozenset(
    {"Invoices", "CreditNotes", "BankTransactions", "Contacts", "ManualJournals", "Payments"}
)


class TransactionsMixin:
    """Methods mixed into XeroClient; they rely on XeroHttp's _iter/_list/_write/_batch."""

    # --- payments and credit notes -------------------------------------------------------------

    def list_payments(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Payment]:
        for item in self._iter(
            "/Payments",
            "Payments",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield Payment.from_api(item)

    def get_payment(self, *, payment_id: str) -> Payment:
        return Payment.from_api(self._list(f"/Payments/{quote(payment_id)}", "Payments")[0])

    def create_payments(self, *, payments: Sequence[Mapping], idempotency_key: str) -> BatchResult:
        return self._batch(
            "PUT", "/Payments", "Payments", "PaymentID", payments, idempotency_key=idempotency_key
        )

    def delete_payment(self, *, payment_id: str, idempotency_key: str) -> Payment:
        """Xero deletes a payment by POSTing Status DELETED to it (there is no DELETE verb)."""
        path = f"/Payments/{quote(payment_id)}"
        body = self._write(
            "POST", path, body={"Status": "DELETED"}, idempotency_key=idempotency_key
        )
        return Payment.from_api(self._items_of(body, items_key="Payments", url=path)[0])

    def list_credit_notes(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[CreditNote]:
        for item in self._iter(
            "/CreditNotes",
            "CreditNotes",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield CreditNote.from_api(item)

    def create_credit_notes(
        self, *, credit_notes: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
        return self._batch(
            "PUT",
            "/CreditNotes",
            "CreditNotes",
            "CreditNoteID",
            credit_notes,
            idempotency_key=idempotency_key,
        )

    def update_credit_notes(
        self, *, credit_notes: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
        return self._batch(
            "POST",
            "/CreditNotes",
            "CreditNotes",
            "CreditNoteID",
            credit_notes,
            idempotency_key=idempotency_key,
        )

    def allocate_credit_note(
        self, *, credit_note_id: str, allocations: Sequence[Mapping], idempotency_key: str
    ) -> list[dict]:
        path = f"/CreditNotes/{quote(credit_note_id)}/Allocations"
        body = self._write(
            "PUT",
            path,
            body={"Allocations": list(allocations)},
            idempotency_key=idempotency_key,
            params={"summarizeErrors": "false"},
        )
        return self._items_of(body, items_key="Allocations", url=path)

    # --- journals and bank transactions --------------------------------------------------------

    def list_manual_journals(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[ManualJournal]:
        for item in self._iter(
            "/ManualJournals",
            "ManualJournals",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield ManualJournal.from_api(item)

    def create_manual_journals(
        self, *, journals: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
        return self._batch(
            "PUT",
            "/ManualJournals",
            "ManualJournals",
            "ManualJournalID",
            journals,
            idempotency_key=idempotency_key,
        )

    def list_bank_transactions(
        self,
        *,
        modified_since: datetime | None = None,
        where: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[BankTransaction]:
        for item in self._iter(
            "/BankTransactions",
            "BankTransactions",
            params={"where": where},
            modified_since=modified_since,
            page_size=page_size,
        ):
            yield BankTransaction.from_api(item)

    def create_bank_transactions(
        self, *, transactions: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
        return self._batch(
            "PUT",
            "/BankTransactions",
            "BankTransactions",
            "BankTransactionID",
            transactions,
            idempotency_key=idempotency_key,
        )

    # --- attachments and history ---------------------------------------------------------------

    def upload_attachment(
        self,
        *,
        entity: str,
        entity_id: str,
        file_name: str,
        content: bytes,
        idempotency_key: str,
        include_online: bool = False,
    ) -> Attachment:
        """PUT the raw bytes; Xero takes the file type from the file name's extension."""
        if entity not in ATTACHABLE:
            raise ValueError(f"Xero takes no attachments on {entity}")
        path = f"/{entity}/{quote(entity_id)}/Attachments/{quote(file_name)}"
        params = (
            {"IncludeOnline": "true"}
            if include_online and entity in ("Invoices", "CreditNotes")
            else None
        )
        response = self._request(
            "PUT",
            path,
            params=params,
            content=bytes(content),
            headers={
                "Content-Type": "application/octet-stream",
                "Idempotency-Key": _key_check(idempotency_key),
            },
        )
        items = self._items_of(json_loads(response.content), items_key="Attachments", url=path)
        return Attachment.from_api(items[0])

    def add_history(
        self, *, entity: str, entity_id: str, details: str, idempotency_key: str
    ) -> list[HistoryRecord]:
        """A note in the record's history (what finance sees in Xero's "History and notes")."""
        if entity not in HISTORY:
            raise ValueError(f"Xero keeps no history notes on {entity}")
        path = f"/{entity}/{quote(entity_id)}/History"
        body = self._write(
            "PUT",
            path,
            body={"HistoryRecords": [{"Details": details}]},
            idempotency_key=idempotency_key,
        )
        return [
            HistoryRecord.from_api(i)
            for i in self._items_of(body, items_key="HistoryRecords", url=path)
        ]

    def list_history(self, *, entity: str, entity_id: str) -> list[HistoryRecord]:
        if entity not in HISTORY:
            raise ValueError(f"Xero keeps no history notes on {entity}")
        path = f"/{entity}/{quote(entity_id)}/History"
        return [HistoryRecord.from_api(i) for i in self._list(path, "HistoryRecords")]

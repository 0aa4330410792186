"""The writes XeroClient makes: batches of up to 50 with `summarizeErrors=false`, each with the
`Idempotency-Key` the caller derived from the ledger (xero.http); single-record writes for
currencies, payment deletion, allocations, attachments and history notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from syncapp.providers.base import json_loads
from syncapp.providers.xero.http import _key_check
from syncapp.providers.xero.results import BatchResult
from syncapp.providers.xero.transaction_types import (
    Attachment,
    HistoryRecord,
    Payment,
)
from syncapp.providers.xero.types import Currency

# Endpoints that take attachments and history notes, by their path segment.
ATTACHABLE = frozenset(
    {"Invoices", "CreditNotes", "BankTransactions", "Contacts", "ManualJournals", "Accounts"}
)
HISTORY = frozenset(
    {"Invoices", "CreditNotes", "BankTransactions", "Contacts", "ManualJournals", "Payments"}
)


class XeroWritesMixin:
    """Mixed into XeroClient; relies on XeroHttp's _list/_write/_batch/_request."""

    # --- settings --------------------------------------------------------------------------------

    def create_currency(self, *, code: str, idempotency_key: str) -> Currency:
        """Enable a currency in the organisation (needs a plan with multi-currency)."""
        body = self._write(
            "PUT", "/Currencies", body={"Code": code}, idempotency_key=idempotency_key
        )
        items = self._items_of(body, items_key="Currencies", url="/Currencies")
        return Currency.from_api(items[0])

    def create_tax_rates(self, *, tax_rates: Sequence[Mapping], idempotency_key: str) -> BatchResult:
        """PUT /TaxRates: new rates (Name, TaxComponents, ReportTaxType); Xero assigns TaxType."""
        return self._batch(
            "PUT", "/TaxRates", "TaxRates", "TaxType", tax_rates, idempotency_key=idempotency_key
        )

    # --- contacts and invoices -------------------------------------------------------------------

    def create_contacts(self, *, contacts: Sequence[Mapping], idempotency_key: str) -> BatchResult:
        return self._batch(
            "PUT", "/Contacts", "Contacts", "ContactID", contacts, idempotency_key=idempotency_key
        )

    def update_contacts(self, *, contacts: Sequence[Mapping], idempotency_key: str) -> BatchResult:
        """POST: elements with a ContactID update that contact (send Name only if it changed)."""
        return self._batch(
            "POST", "/Contacts", "Contacts", "ContactID", contacts, idempotency_key=idempotency_key
        )

    def create_invoices(self, *, invoices: Sequence[Mapping], idempotency_key: str) -> BatchResult:
        return self._batch(
            "PUT", "/Invoices", "Invoices", "InvoiceID", invoices, idempotency_key=idempotency_key
        )

    def update_invoices(self, *, invoices: Sequence[Mapping], idempotency_key: str) -> BatchResult:
        """POST /Invoices: update (by InvoiceID) or create, up to 50 per call."""
        return self._batch(
            "POST", "/Invoices", "Invoices", "InvoiceID", invoices, idempotency_key=idempotency_key
        )

    # --- payments and credit notes ---------------------------------------------------------------

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

    # --- journals and bank transactions ----------------------------------------------------------

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

    # --- attachments and history -----------------------------------------------------------------

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

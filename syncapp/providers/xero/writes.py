"""The writes XeroClient makes: batches of up to 50 with `summarizeErrors=false`, each with the
`Idempotency-Key` the caller derived from the ledger (xero.http); single-record writes for
currencies, payment deletion, allocations, attachments and history notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from syncapp.providers.base import json_loads
from syncapp.providers.errors import ApiError, ValidationFailed
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
# Xero's attachment limits through the API: 10 files per record, 10 MB each (its gateway answers
# 413 "PayloadTooLarge" above that), and the file types it accepts, by extension (Xero's API
# attachments announcement, community.xero.com/developer/discussion/3095073, and Codat's 2026
# correction of the size, github.com/codatio/codat-docs/pull/1802). A file with the same name
# replaces the earlier one and does not count twice.
ATTACHMENTS_PER_RECORD = 10
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = frozenset(
    "7z bmp csv doc docx eml gif jpeg jpg keynote msg numbers odf ods odt pages pdf png ppt pptx "
    "rar rtf tif tiff txt xls xlsx zip".split()
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

    def create_tax_rates(
        self, *, tax_rates: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
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

    def update_manual_journals(
        self, *, journals: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
        """POST /ManualJournals: update (by ManualJournalID) or create. A DRAFT journal takes
        new lines; Status "DELETED" removes a draft, "VOIDED" a posted one."""
        return self._batch(
            "POST",
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

    def update_bank_transactions(
        self, *, transactions: Sequence[Mapping], idempotency_key: str
    ) -> BatchResult:
        """POST /BankTransactions: update (by BankTransactionID) or create, up to 50 per call.

        Xero deletes a bank transaction through this same update, with Status "DELETED" (there
        is no DELETE verb; the contract still requires Type, BankAccount and LineItems on the
        element). A reconciled transaction refuses both until it is unreconciled in Xero."""
        return self._batch(
            "POST",
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
        """PUT the raw bytes; Xero takes the file type from the file name's extension.

        A file Xero would refuse for its size or type is refused here, before any bytes go, and
        Xero's own 413 for a file too large comes back the same way: ValidationFailed."""
        if entity not in ATTACHABLE:
            raise ValueError(f"Xero takes no attachments on {entity}")
        attachment_check(file_name=file_name, size=len(content))
        path = f"/{entity}/{quote(entity_id)}/Attachments/{quote(file_name)}"
        params = (
            {"IncludeOnline": "true"}
            if include_online and entity in ("Invoices", "CreditNotes")
            else None
        )
        try:
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
        except ApiError as error:
            if error.status == 413:
                raise _too_large(file_name=file_name, size=len(content), error=error) from error
            raise
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


def attachment_check(*, file_name: str, size: int) -> None:
    """Refuse, as Xero would, a file it does not take (ValidationFailed with the reason)."""
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension not in ATTACHMENT_EXTENSIONS:
        message = (
            f"Xero does not take '{extension or file_name}' files as attachments "
            f"({file_name}). Save the receipt as PDF, PNG or JPG and attach it again."
        )
        raise ValidationFailed(message, provider="xero", messages=[message])
    if size > ATTACHMENT_MAX_BYTES:
        raise _too_large(file_name=file_name, size=size)
    if size <= 0:
        message = f"The file {file_name} is empty; Xero takes no empty attachments."
        raise ValidationFailed(message, provider="xero", messages=[message])


def _too_large(*, file_name: str, size: int, error: ApiError | None = None) -> ValidationFailed:
    message = (
        f"The file {file_name} is {size / 1024 / 1024:.1f} MB; Xero takes attachments up to "
        f"{ATTACHMENT_MAX_BYTES // 1024 // 1024} MB. Attach a smaller scan to the record in Xero."
    )
    if error is None:
        return ValidationFailed(message, provider="xero", messages=[message])
    return ValidationFailed(
        message,
        provider="xero",
        status=error.status,
        method=error.method,
        path=error.path,
        messages=[message],
        body=error.body,
    )

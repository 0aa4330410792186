"""Document kinds (invoices, credit notes) and the per-batch context shared by their writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

NIL_ID = "00000000-0000-0000-0000-000000000000"
EDITABLE = ("DRAFT", "SUBMITTED")
FINAL = ("PAID", "VOIDED", "DELETED")


@dataclass(frozen=True)
class DocKind:
    label: str
    id_field: str
    number_field: str
    collection: str
    index: str
    types: tuple[str, ...]
    unique_type: str
    number_prefix: str
    category: str
    discount_message: str


INVOICE = DocKind(
    label="Invoice", id_field="InvoiceID", number_field="InvoiceNumber", collection="invoices",
    index="invoice_by_number", types=("ACCREC", "ACCPAY"), unique_type="ACCREC",
    number_prefix="INV-", category="INVOICE",
    discount_message="Discounts may not be applied to ACCPAY invoices.",
)
CREDIT_NOTE = DocKind(
    label="Credit Note", id_field="CreditNoteID", number_field="CreditNoteNumber",
    collection="credit_notes", index="credit_note_by_number", types=("ACCRECCREDIT", "ACCPAYCREDIT"),
    unique_type="ACCRECCREDIT", number_prefix="CN-", category="CREDITNOTE",
    discount_message="Discounts may not be applied to credit notes.",
)


@dataclass
class BatchContext:
    now: datetime
    unitdp: int = 2
    client_id: str | None = None
    numbers: set[str] = field(default_factory=set)
    new_contacts: dict[str, str] = field(default_factory=dict)  # lower name -> pending ContactID



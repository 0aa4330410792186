"""Find in Xero the documents hxsync may already have created (ARCHITECTURE rule 1): by
invoice / credit-note number when Harvest's number is kept, by Reference ("Harvest #N") when Xero
numbers invoices. A document counts as ours only if it links back to the same Harvest invoice
(Url) or, for credit notes (which carry no Url), belongs to the same contact."""

from __future__ import annotations

from syncapp.flows.invoices.plan import Operation
from syncapp.flows.xero_text import xero_where_string

CHUNK = 25  # numbers per `where` filter, to keep the query string short
GONE = ("DELETED",)


def _ours(op: Operation, element: dict) -> bool:
    if element.get("Status") in GONE:
        return False
    payload = op.doc.payload if op.doc else {}
    url = payload.get("Url")
    if url:
        return element.get("Url") == url
    contact = (element.get("Contact") or {}).get("ContactID", "")
    return bool(contact) and contact == (payload.get("Contact") or {}).get("ContactID")


def documents_find(*, xero, operations: list[Operation], integration) -> dict[str, str]:
    """Harvest id -> Xero id of the document already in Xero for each operation, if any."""
    found: dict[str, str] = {}
    invoices = [op for op in operations if op.kind == "invoice" and op.doc]
    credits = [op for op in operations if op.kind == "credit_note" and op.doc]
    numbered = integration.numbering_policy != "xero"
    if invoices and numbered:
        by_number = {op.doc.payload["InvoiceNumber"].lower(): op for op in invoices}
        for invoice in xero.list_invoices(invoice_numbers=sorted(by_number)):
            op = by_number.get(invoice.invoice_number.lower())
            if op is not None and _ours(op, invoice.raw):
                found[op.harvest_id] = invoice.invoice_id
    elif invoices:
        by_reference = {op.doc.payload.get("Reference", "").lower(): op for op in invoices}
        refs = sorted(r for r in by_reference if r)
        for start in range(0, len(refs), CHUNK):
            where = " OR ".join(
                f"Reference=={xero_where_string(r)}" for r in refs[start : start + CHUNK]
            )
            for invoice in xero.list_invoices(where=where):
                op = by_reference.get(invoice.reference.lower())
                if op is not None and _ours(op, invoice.raw):
                    found[op.harvest_id] = invoice.invoice_id
    if credits:
        field = "CreditNoteNumber" if numbered else "Reference"
        by_key = {(op.doc.payload.get(field) or "").lower(): op for op in credits}
        keys = sorted(k for k in by_key if k)
        for start in range(0, len(keys), CHUNK):
            where = " OR ".join(
                f"{field}=={xero_where_string(k)}" for k in keys[start : start + CHUNK]
            )
            for note in xero.list_credit_notes(where=where):
                op = by_key.get((note.raw.get(field) or "").lower())
                if op is not None and _ours(op, note.raw):
                    found[op.harvest_id] = note.credit_note_id
    return found


def numbers_taken(*, xero, operations: list[Operation]) -> dict[str, tuple[bool, str]]:
    """For a dry run: Harvest id -> (ours, what holds the number) for invoices whose number Xero
    already uses (a real run learns it from Xero's refusal instead, at no extra call)."""
    by_number = {
        op.doc.payload["InvoiceNumber"].lower(): op
        for op in operations
        if op.kind == "invoice" and op.doc and op.doc.payload.get("InvoiceNumber")
    }
    taken: dict[str, tuple[bool, str]] = {}
    if not by_number:
        return taken
    for invoice in xero.list_invoices(invoice_numbers=sorted(by_number)):
        op = by_number.get(invoice.invoice_number.lower())
        if op is None or invoice.status in GONE:
            continue
        described = (
            f"a {invoice.status.lower()} invoice for {invoice.currency_code} {invoice.total}"
        )
        taken[op.harvest_id] = (_ours(op, invoice.raw), described)
    return taken

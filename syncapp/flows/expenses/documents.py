"""Write the changed bills and spend money to Xero, exactly once, 50 per call.

Bills have no unique number in Xero, so exactly once rests on the ledger: a document's row is
SENDING with its Idempotency-Key (committed) before the request, and a row still SENDING without
a Xero id at the next run is searched for by our reference (the bill's InvoiceNumber, the spend
money's Reference) before it is sent again with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from syncapp.flows.expenses.assign import Document
from syncapp.flows.expenses.ledger import DOC, rows_save
from syncapp.flows.expenses.plan import group_currency, group_reference
from syncapp.flows.xero_cache import json_plain
from syncapp.flows.xero_text import xero_where_string
from syncapp.models import Integration, SyncLink
from syncapp.providers.xero.idempotency import idempotency_key_derive, idempotency_key_for_batch
from syncapp.services.ledger import ledger_upsert, payload_hash

BATCH = 50
CHUNK = 25
BILL_GONE = ("DELETED", "VOIDED")


@dataclass(frozen=True)
class Header:
    """What a document needs besides its lines."""

    contact_id: str
    bill_status: str
    card_account: str


def is_spend(document: Document) -> bool:
    return document.group.startswith("spend:")


def _lines(document: Document) -> list[dict]:
    lines = []
    for eid in sorted(document.members, key=int):
        line = dict(document.members[eid])
        line["Quantity"] = Decimal(str(line["Quantity"]))
        line["UnitAmount"] = Decimal(str(line["UnitAmount"]))
        lines.append(line)
    return lines


def document_payload(document: Document, header: Header) -> dict:
    reference = group_reference(document.group, document.part)
    day = max(document.dates.values()) if document.dates else timezone.now().date().isoformat()
    common = {
        "Contact": {"ContactID": header.contact_id},
        "Date": day,
        "LineAmountTypes": "Inclusive",
        "LineItems": _lines(document),
    }
    currency = document.currency or group_currency(document.group)
    if currency:
        common["CurrencyCode"] = currency
    if is_spend(document):
        return {
            "Type": "SPEND",
            "BankAccount": {"Code": header.card_account},
            "Reference": reference,
            **common,
        }
    return {
        "Type": "ACCPAY",
        "InvoiceNumber": reference,
        "DueDate": day,
        "Status": header.bill_status,
        **common,
    }


def removal_payload(document: Document, link: SyncLink, header: Header | None) -> dict:
    """An emptied document: unapproved bills are deleted, approved bills voided, spend money
    deleted (Xero allows nothing else; a paid or reconciled one was flagged before it got here).
    Xero's contract wants a bank transaction's type, account and lines even to delete it: the
    ones last sent."""
    snapshot = link.snapshot or {}
    if is_spend(document):
        sent = Document(
            key=document.key,
            group=document.group,
            part=document.part,
            members=dict(snapshot.get("members", {})),
            dates=dict(snapshot.get("dates", {})),
        )
        contact = header.contact_id if header else snapshot.get("contact", "")
        card = header.card_account if header else ""
        payload = document_payload(sent, Header(contact, "", card or snapshot.get("card", "")))
        return {**payload, "BankTransactionID": link.xero_id, "Status": "DELETED"}
    status = snapshot.get("status", "")
    return {"InvoiceID": link.xero_id, "Status": "VOIDED" if status == "AUTHORISED" else "DELETED"}


def documents_find(*, xero, rows: list[SyncLink]) -> dict[str, tuple[str, str]]:
    """Document key -> (Xero id, status) of documents already in Xero for rows whose answer
    was lost, found by our reference and the same contact."""
    found: dict[str, tuple[str, str]] = {}
    by_reference = {}
    for link in rows:
        by_reference[(link.snapshot or {}).get("reference", "").lower()] = link
    bills = [r for r, link in by_reference.items() if r and link.harvest_id.startswith("bill:")]
    spends = [r for r, link in by_reference.items() if r and link.harvest_id.startswith("spend:")]
    for start in range(0, len(bills), CHUNK):
        chunk = bills[start : start + CHUNK]
        for bill in xero.list_invoices(invoice_numbers=chunk, where='Type=="ACCPAY"'):
            link = by_reference.get(bill.invoice_number.lower())
            if link and bill.status not in ("DELETED",) and _same_contact(link, bill.raw):
                found[link.harvest_id] = (bill.invoice_id, bill.status)
    for start in range(0, len(spends), CHUNK):
        where = " OR ".join(
            f"Reference=={xero_where_string(r)}" for r in spends[start : start + CHUNK]
        )
        for spent in xero.list_bank_transactions(where=f'Type=="SPEND" AND ({where})'):
            link = by_reference.get(spent.reference.lower())
            if link and spent.status != "DELETED" and _same_contact(link, spent.raw):
                found[link.harvest_id] = (spent.bank_transaction_id, spent.status)
    return found


def _same_contact(link: SyncLink, element: dict) -> bool:
    wanted = (link.snapshot or {}).get("contact", "")
    return not wanted or (element.get("Contact") or {}).get("ContactID") == wanted


class DocumentWriter:
    """Sends a run's changed documents and settles their rows; `outcome[key]` says what
    happened to each ("created", "updated", "removed", or the error) for the expense rows."""

    def __init__(self, *, xero, integration: Integration) -> None:
        self.xero = xero
        self.integration = integration
        self.outcome: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def _prepare(self, items: list[tuple[Document, dict, SyncLink | None]]) -> list[SyncLink]:
        rows = []
        for document, payload, previous in items:
            snapshot = dict(previous.snapshot or {}) if previous else {}
            snapshot.update(
                members=document.members,
                dates=document.dates,
                reference=group_reference(document.group, document.part),
                contact=(payload.get("Contact") or {}).get("ContactID", snapshot.get("contact")),
                card=(payload.get("BankAccount") or {}).get("Code", snapshot.get("card", "")),
                currency=payload.get("CurrencyCode", ""),
                receipts={
                    eid: snapshot.get("receipts", {}).get(eid, {"name": name})
                    for eid, name in document.receipts.items()
                },
            )
            snapshot["receipts_pending"] = any(
                r.get("state") not in ("sent", "refused") for r in snapshot["receipts"].values()
            )
            hashed = payload_hash(json_plain(payload))
            rows.append(
                SyncLink(
                    integration=self.integration,
                    kind=DOC,
                    harvest_id=document.key,
                    xero_id=previous.xero_id if previous else None,
                    label=_label(document),
                    state=SyncLink.State.SENDING,
                    payload_hash=previous.payload_hash if previous else "",
                    snapshot=json_plain(snapshot),
                    idempotency_key=idempotency_key_derive(
                        integration_id=self.integration.pk,
                        kind=DOC,
                        harvest_id=document.key,
                        payload_hash=hashed,
                    ),
                    attempts=(previous.attempts if previous else 0) + 1,
                )
            )
        stored = ledger_upsert(
            rows=rows,
            key="harvest_id",
            update_fields=["label", "state", "snapshot", "idempotency_key", "attempts"],
        )
        return [stored[row.harvest_id] for row in rows]

    def send(self, items: list[tuple[Document, dict, SyncLink | None]], *, action: str) -> None:
        """`action`: "created", "updated" or "removed"; items of one type (bill or spend)."""
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            links = self._prepare(batch)
            payloads = [payload for _, payload, _ in batch]
            spend = batch[0][0].group.startswith("spend:")
            key = idempotency_key_for_batch(
                operation=f"expense-{action}", record_keys=[link.idempotency_key for link in links]
            )
            if spend and action == "created":
                result = self.xero.create_bank_transactions(
                    transactions=payloads, idempotency_key=key
                )
            elif spend:
                result = self.xero.update_bank_transactions(
                    transactions=payloads, idempotency_key=key
                )
            elif action == "created":
                result = self.xero.create_invoices(invoices=payloads, idempotency_key=key)
            else:
                result = self.xero.update_invoices(invoices=payloads, idempotency_key=key)
            self._settle(links, payloads, result, action=action)

    def _settle(self, links, payloads, result, *, action: str) -> None:
        now = timezone.now()
        for link, payload, record in zip(links, payloads, result.results, strict=True):
            if not record.ok:
                link.state = SyncLink.State.FAILED
                link.last_error = record.error_text
                self.errors[link.harvest_id] = record.error_text
                continue
            element = record.element or {}
            link.xero_id = record.xero_id or link.xero_id
            link.state = SyncLink.State.VOIDED if action == "removed" else SyncLink.State.SYNCED
            link.last_error = ""
            link.payload_hash = payload_hash(json_plain(payload))
            link.synced_at = now
            snapshot = dict(link.snapshot or {})
            snapshot["status"] = element.get("Status", payload.get("Status", ""))
            snapshot["total"] = str(element.get("Total", ""))
            link.snapshot = snapshot
            self.outcome[link.harvest_id] = action
        rows_save(links)

    def found_settle(self, links: list[SyncLink], found: dict[str, tuple[str, str]]) -> None:
        """Rows whose lost answer turned out to have been applied: linked, to be compared."""
        for link in links:
            xero_id, status = found[link.harvest_id]
            link.xero_id = xero_id
            link.snapshot = {**(link.snapshot or {}), "status": status}
        rows_save(links)


def _label(document: Document) -> str:
    what = "Spend money" if is_spend(document) else "Bill"
    count = len(document.members)
    return f"{what} {group_reference(document.group, document.part)} ({count} expense" + (
        "s)" if count != 1 else ")"
    )

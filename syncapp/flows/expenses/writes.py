"""The expenses flow's writes in order: people's contacts, a check in Xero of the documents about
to change (never touch what is paid, reconciled, voided or deleted there), the documents, then
the receipts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from syncapp.flows.expenses.assign import Assignment, Document
from syncapp.flows.expenses.documents import (
    DocumentWriter,
    Header,
    document_payload,
    documents_find,
    is_spend,
    removal_payload,
)
from syncapp.flows.expenses.ledger import DOC, expense_rows_load, rows_save
from syncapp.flows.expenses.people import PeopleLinker
from syncapp.flows.expenses.plan import HOLD, SEND, Decision
from syncapp.flows.expenses.receipts import ReceiptUploader
from syncapp.models import SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden, GovernorWouldWait
from syncapp.providers.harvest.timesheet_types import HarvestExpense

logger = logging.getLogger(__name__)

CHUNK = 25
LOST = "Xero's answer never arrived; the next run checks Xero before sending again."


def _bill_lock(invoice) -> str:
    if invoice.status in ("VOIDED", "DELETED"):
        return f"{invoice.status.lower()} in Xero"
    if invoice.status == "PAID" or (invoice.amount_paid or 0) > 0:
        return "paid (in part or in full)"
    return ""


def _spend_lock(transaction) -> str:
    if transaction.status == "DELETED":
        return "deleted in Xero"
    if transaction.raw.get("IsReconciled"):
        return "reconciled"
    return ""


class DocumentsApply:
    def __init__(self, *, flow, policy, rows: dict[str, SyncLink]) -> None:
        self.flow = flow
        self.integration = flow.integration
        self.xero = flow.xero
        self.rows = rows
        self.people = PeopleLinker(xero=flow.xero, integration=flow.integration)
        self.writer = DocumentWriter(xero=flow.xero, integration=flow.integration)
        self.uploader = ReceiptUploader(flow=flow, harvest=flow.harvest, xero=flow.xero)
        self.documents: dict[str, Document] = {}
        self.doc_rows: dict[str, SyncLink] = {}
        self.user_of: dict[str, str] = {}  # expense id -> Harvest user id
        self.interrupted: dict[str, str] = {}  # document key -> why its write is unsettled

    # --- people ----------------------------------------------------------------------------

    def people_link(self, decisions: dict[str, Decision], *, facts, people: Callable) -> dict:
        """Link or create the contacts of the people with something to send; the expenses of a
        person who cannot be linked safely wait with the reason."""
        for eid, fact in facts.items():
            self.user_of[eid] = fact.user_id
        senders = {d.user_id for d in decisions.values() if d.action == SEND}
        unlinked = {u for u in senders if not self.people.contact_of(u)}
        # Harvest's users (names, e-mails) are read only when someone needs a contact.
        known = people() if unlinked else {}
        wanted = [known[u] for u in sorted(unlinked) if u in known]
        missing = unlinked - set(known)
        self.people.ensure(wanted, dry_run=self.flow.dry_run)
        out = {}
        for eid, decision in decisions.items():
            reason = self.people.held.get(decision.user_id, "")
            if decision.action == SEND and decision.user_id in missing:
                reason = "The person who spent it is not among Harvest's users any more."
            if decision.action == SEND and reason:
                decision = Decision(eid, HOLD, reason, mode=decision.mode)
            out[eid] = decision
        return out

    # --- documents ---------------------------------------------------------------------------

    def documents_adopt(self, documents: dict[str, Document], rows: dict[str, SyncLink]) -> None:
        self.doc_rows = rows
        for key, document in documents.items():
            row = rows[key]
            if row.state == SyncLink.State.VOIDED:
                document.locked = document.locked or "voided"
            elif row.state == SyncLink.State.SENDING:
                document.changed = True  # outcome unknown: found or sent again, same key

    def locks_check(self, changed: list[Document]) -> bool:
        """Ask Xero about the documents about to change; True if any turned out locked."""
        rows = [self.doc_rows[d.key] for d in changed if d.key in self.doc_rows]
        rows = [r for r in rows if r.xero_id and r.state != SyncLink.State.VOIDED]
        by_id = {r.xero_id: r for r in rows}
        statuses: dict[str, tuple[str, str]] = {}  # xero id -> (status, lock)
        bills = [r.xero_id for r in rows if not r.harvest_id.startswith("spend:")]
        spends = [r.xero_id for r in rows if r.harvest_id.startswith("spend:")]
        if bills:
            for invoice in self.xero.list_invoices(ids=bills):
                statuses[invoice.invoice_id] = (invoice.status, _bill_lock(invoice))
        for start in range(0, len(spends), CHUNK):
            where = " OR ".join(
                f'BankTransactionID==guid("{x}")' for x in spends[start : start + CHUNK]
            )
            for transaction in self.xero.list_bank_transactions(where=where):
                statuses[transaction.bank_transaction_id] = (
                    transaction.status,
                    _spend_lock(transaction),
                )
        locked_any = False
        for xero_id, (status, lock) in statuses.items():
            row = by_id.get(xero_id)
            if row is None:
                continue
            row.snapshot = {**(row.snapshot or {}), "status": status}
            if lock:
                row.snapshot["locked"] = lock
                locked_any = True
        rows_save(rows)
        return locked_any

    def _header(self, document: Document, row: SyncLink | None) -> Header | None:
        user = document.group.split(":")[1]
        if user.startswith("U"):
            user_id = user[1:]
        else:
            user_id = self.user_of.get(user[1:], "")
        stored = (row.snapshot or {}).get("contact", "") if row is not None else ""
        contact = self.people.contact_of(user_id) or stored
        if not contact:
            return None
        return Header(
            contact_id=contact,
            bill_status=self.integration.expense_bill_status,
            card_account=self.integration.expense_card_account_code,
        )

    def write(self, assignment: Assignment) -> None:
        changed = assignment.changed(self.documents)
        self._repair([d for d in changed if d.key in self.doc_rows])
        groups: dict[tuple[bool, str], list] = {}
        for document in changed:
            row = self.doc_rows.get(document.key)
            if document.empty:
                if row is not None and row.xero_id:
                    payload = removal_payload(document, row, self._header(document, row))
                    groups.setdefault((is_spend(document), "removed"), []).append(
                        (document, payload, row)
                    )
                elif row is not None:
                    row.state = SyncLink.State.VOIDED
                    rows_save([row])
                    self.writer.outcome[document.key] = "removed"
                continue
            header = self._header(document, row)
            if header is None:
                self.writer.errors[document.key] = "The person's Xero contact is not ready."
                continue
            payload = document_payload(document, header)
            action = "updated" if row is not None and row.xero_id else "created"
            if action == "updated":
                payload["BankTransactionID" if is_spend(document) else "InvoiceID"] = row.xero_id
            groups.setdefault((is_spend(document), action), []).append((document, payload, row))
        for (_spend, action), items in sorted(groups.items()):
            try:
                self.writer.send(items, action=action)
            except (AuthExpired, Forbidden, GovernorWouldWait):
                raise
            except ApiError as error:
                logger.warning("expense documents left in flight: %s", error)
                for document, _, _ in items:
                    self.interrupted[document.key] = LOST

    def _repair(self, changed: list[Document]) -> None:
        lost = [
            self.doc_rows[d.key]
            for d in changed
            if self.doc_rows[d.key].state == SyncLink.State.SENDING
            and not self.doc_rows[d.key].xero_id
        ]
        if not lost:
            return
        found = documents_find(xero=self.xero, rows=lost)
        if found:
            self.writer.found_settle([r for r in lost if r.harvest_id in found], found)

    # --- receipts ----------------------------------------------------------------------------

    def receipts_upload(self, *, expenses: dict[str, HarvestExpense]) -> None:
        """Receipts of the documents this run touched, and of any synced document an earlier
        run left with a receipt not yet attached (an upload interrupted or never answered)."""
        synced = SyncLink.objects.filter(
            integration=self.integration,
            kind=DOC,
            state=SyncLink.State.SYNCED,
            xero_id__isnull=False,
        )
        rows = {r.harvest_id: r for r in synced.filter(harvest_id__in=list(self.documents))}
        rows.update({r.harvest_id: r for r in synced.filter(snapshot__receipts_pending=True)})
        known = dict(expenses)
        wanted = {eid for r in rows.values() for eid in (r.snapshot or {}).get("receipts", {})}
        for eid, row in expense_rows_load(
            integration=self.integration, ids=wanted - set(known)
        ).items():
            raw = (row.snapshot or {}).get("harvest")
            if raw:
                known[eid] = HarvestExpense.from_api(raw)
        for row in rows.values():
            self.uploader.upload(link=row, expenses=known)

    # --- dry run and counters --------------------------------------------------------------

    def preview(self, assignment: Assignment, *, decisions) -> None:
        would = self.flow.recorder.summary.extra.setdefault("would", {})
        for document in assignment.changed(self.documents):
            row = self.doc_rows.get(document.key)
            verb = "void or delete" if document.empty else ("update" if row else "create")
            would[document.key] = f"{verb} ({len(document.members)} expenses)"

    def counters(self) -> dict:
        outcome = list(self.writer.outcome.items())
        return {
            "bills_created": sum(1 for k, a in outcome if a == "created" and k.startswith("bill:")),
            "bank_transactions_created": sum(
                1 for k, a in outcome if a == "created" and k.startswith("spend:")
            ),
            "documents_updated": sum(1 for _, a in outcome if a == "updated"),
            "documents_removed": sum(1 for _, a in outcome if a == "removed"),
            "attachments_uploaded": self.uploader.uploaded,
            "bytes_uploaded": self.uploader.bytes_uploaded,
        }

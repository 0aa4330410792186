"""Receipts: downloaded from Harvest and attached to the expense's bill or spend money, once.

Each receipt's upload state lives on its document's ledger row (snapshot["receipts"][expense
id]): its name in Xero, the key of the Harvest file it came from (name and size: a new file in
Harvest is a new key and is uploaded again, replacing the file of the same name), and "sent",
"sending" (marked and committed before the upload) or "refused" with Xero's reason. A receipt
still "sending" at the next run was uploaded or not: Xero's list of the record's attachments
says which before anything is sent again. A refused or too-large file never fails the expense:
it stays synced and says why.
"""

from __future__ import annotations

import logging

from syncapp.flows.expenses.ledger import rows_save
from syncapp.models import SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden, GovernorWouldWait
from syncapp.providers.xero.idempotency import idempotency_key_derive
from syncapp.providers.xero.writes import ATTACHMENT_EXTENSIONS, ATTACHMENT_MAX_BYTES

logger = logging.getLogger(__name__)

ENTITY = {"bill": "Invoices", "spend": "BankTransactions"}
INTERRUPTED = "Receipt upload interrupted; the next run checks Xero and finishes it."


def receipt_key(expense) -> str:
    receipt = expense.receipt
    return f"{receipt.file_name}|{receipt.file_size}" if receipt else ""


def _refusal(name: str, size: int | None) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ATTACHMENT_EXTENSIONS:
        return (
            f"Receipt not attached: Xero does not take .{extension or '?'} files. The expense "
            "is in Xero; attach a PDF or image of the receipt there by hand."
        )
    if size is not None and size > ATTACHMENT_MAX_BYTES:
        return (
            f"Receipt not attached: {size / 1048576:.1f} MB, and Xero takes at most 10 MB per "
            "file. The expense is in Xero; attach a smaller copy there by hand."
        )
    return ""


class ReceiptUploader:
    def __init__(self, *, flow, harvest, xero) -> None:
        self.flow = flow
        self.harvest = harvest
        self.xero = xero
        self.uploaded = 0
        self.bytes_uploaded = 0
        self.notes: dict[str, str] = {}  # expense id -> why its receipt is not attached
        self.attached: dict[str, str] = {}  # expense id -> document key it was attached to

    def upload(self, *, link: SyncLink, expenses: dict) -> None:
        """Attach every receipt of this synced document that Xero does not hold yet."""
        snapshot = dict(link.snapshot or {})
        receipts = {k: dict(v) for k, v in snapshot.get("receipts", {}).items()}
        todo = []
        for eid, state in receipts.items():
            expense = expenses.get(eid)
            if expense is None or expense.receipt is None:
                continue
            key = receipt_key(expense)
            if state.get("key") == key and state.get("state") in ("sent", "refused"):
                continue
            todo.append((eid, expense, key, state))
        if not todo:
            if snapshot.get("receipts_pending"):
                self._mark(link, receipts)
            return
        entity = ENTITY[link.harvest_id.split(":")[0]]
        try:
            held = self._held_names(link, entity, todo)
        except (AuthExpired, Forbidden, GovernorWouldWait):
            raise
        except ApiError as error:
            logger.warning("attachments of %s not listed, left for the next run: %s", link, error)
            for eid, *_ in todo:
                self.notes[eid] = INTERRUPTED
            return
        for eid, expense, key, state in todo:
            name = state["name"]
            if state.get("state") == "sending" and state.get("key") == key and name in held:
                receipts[eid] = {**state, "state": "sent"}
                self._mark(link, receipts)
                continue
            receipts[eid] = self._one(link, entity, eid, expense, key, name, receipts)
        self._mark(link, receipts)

    def _held_names(self, link: SyncLink, entity: str, todo) -> set[str]:
        if not any(state.get("state") == "sending" for *_, state in todo):
            return set()
        return {
            a.file_name for a in self.xero.list_attachments(entity=entity, entity_id=link.xero_id)
        }

    def _mark(self, link: SyncLink, receipts: dict) -> None:
        """Store the receipts' states; `receipts_pending` lets a later run find this document
        again while any of them is not yet attached or refused."""
        pending = any(r.get("state") not in ("sent", "refused") for r in receipts.values())
        link.snapshot = {**(link.snapshot or {}), "receipts": receipts, "receipts_pending": pending}
        rows_save([link])

    def _one(self, link, entity, eid, expense, key, name, receipts) -> dict:
        refusal = _refusal(name, expense.receipt.file_size)
        if refusal:
            self.notes[eid] = refusal
            return {"name": name, "key": key, "state": "refused", "error": refusal}
        receipts[eid] = {"name": name, "key": key, "state": "sending"}
        self._mark(link, receipts)  # committed before the upload: a lost answer is looked up
        try:
            file = self.harvest.download_receipt(expense=expense)
            refusal = _refusal(name, len(file.content))
            if refusal:
                self.notes[eid] = refusal
                state = {"name": name, "key": key, "state": "refused", "error": refusal}
            else:
                attachment = self.xero.upload_attachment(
                    entity=entity,
                    entity_id=link.xero_id,
                    file_name=name,
                    content=file.content,
                    idempotency_key=idempotency_key_derive(
                        integration_id=link.integration_id,
                        kind="receipt",
                        harvest_id=f"{link.xero_id}:{eid}",
                        payload_hash=key,
                    ),
                )
                self.uploaded += 1
                self.bytes_uploaded += len(file.content)
                self.attached[eid] = link.harvest_id
                state = {"name": name, "key": key, "state": "sent", "id": attachment.attachment_id}
        except (AuthExpired, Forbidden, GovernorWouldWait):
            raise
        except ApiError as error:
            if getattr(error, "status", None) in (400, 413):
                message = (
                    f"Receipt not attached: Xero refused it ({error}). The expense is in Xero."
                )
                self.notes[eid] = message
                state = {"name": name, "key": key, "state": "refused", "error": message}
            else:
                logger.warning(
                    "receipt upload for expense %s left for the next run: %s", eid, error
                )
                self.notes[eid] = (
                    "Receipt upload interrupted; the next run checks Xero and finishes it."
                )
                return receipts[eid]
        receipts[eid] = state
        self._mark(link, receipts)
        return state

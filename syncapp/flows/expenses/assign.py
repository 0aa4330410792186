"""Which Xero document each expense line lives in: pure, over what the ledger says now.

A bill per person and period holds at most 10 receipts (Xero's limit per record), so a group
("bill:U7:2026-11") becomes parts "bill:U7:2026-11#1", "#2"... An expense stays in the document
it was first put in while its group is unchanged, so a rerun never moves lines around; a new
expense joins the first open part with room. A document finance has paid, reconciled, voided or
deleted in Xero is never changed: an edit to one of its expenses is flagged instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from syncapp.flows.expenses.plan import RECEIPTS_PER_DOCUMENT, SEND, Decision

MAX_LINES = 200  # keeps a month's bill readable and well under Xero's request size


@dataclass
class Document:
    """One Xero bill or spend money as the ledger knows it."""

    key: str
    group: str
    part: int = 1
    locked: str = ""  # why it must not change ("paid", "reconciled", "voided in Xero"), or ""
    members: dict[str, dict] = field(default_factory=dict)  # expense id -> line
    receipts: dict[str, str] = field(default_factory=dict)  # expense id -> file name in Xero
    dates: dict[str, str] = field(default_factory=dict)  # expense id -> spent date (ISO)
    changed: bool = False
    currency: str = ""  # Xero code when not the base currency (one-expense documents)

    @property
    def empty(self) -> bool:
        return not self.members


def document_key(group: str, part: int) -> str:
    return f"{group}#{part}"


def document_group(key: str) -> tuple[str, int]:
    group, _, part = key.rpartition("#")
    return group, int(part or 1)


@dataclass
class Assignment:
    placed: dict[str, str] = field(default_factory=dict)  # expense id -> document key
    flagged: dict[str, str] = field(default_factory=dict)  # expense id -> reason
    unchanged: set[str] = field(default_factory=set)

    def changed(self, documents: dict[str, Document]) -> list[Document]:
        return [d for d in documents.values() if d.changed]


def _locked_reason(document: Document, what: str) -> str:
    return (
        f"{what} in Harvest after its {document.key.split(':')[0]} in Xero was "
        f"{document.locked}: hxsync does not change it. Correct it in Xero by hand if needed."
    )


def _room(document: Document, decision: Decision) -> bool:
    if document.locked or len(document.members) >= MAX_LINES:
        return False
    if decision.receipt:
        return len(document.receipts) < RECEIPTS_PER_DOCUMENT
    return True


def _place(decision: Decision, documents: dict[str, Document]) -> Document:
    parts = sorted(
        (d for d in documents.values() if d.group == decision.group), key=lambda d: d.part
    )
    if parts and not decision.group.startswith("bill:U"):
        return parts[0]  # one document per expense: always that one (the caller checks locks)
    for document in parts:
        if _room(document, decision):
            return document
    part = (parts[-1].part + 1) if parts else 1
    document = Document(key=document_key(decision.group, part), group=decision.group, part=part)
    documents[document.key] = document
    return document


def _remove(expense_id: str, document: Document) -> None:
    document.members.pop(expense_id, None)
    document.receipts.pop(expense_id, None)
    document.dates.pop(expense_id, None)
    document.changed = True


def documents_assign(
    decisions: Iterable[Decision],
    *,
    current: dict[str, str],
    documents: dict[str, Document],
    removed: Iterable[str] = (),
) -> Assignment:
    """Place every SEND decision, take `removed` expenses (deleted in Harvest) out, and mark the
    documents whose content changed. `current`: expense id -> document key it is in now."""
    out = Assignment()
    # A line already in a document whose row was never told (a run stopped before settling it)
    # is found where it is, not placed a second time.
    holders = {eid: d.key for d in documents.values() if not d.locked for eid in d.members}
    current = {**holders, **{eid: key for eid, key in current.items() if key}}
    for expense_id in sorted(removed, key=int):
        key = current.get(expense_id)
        document = documents.get(key) if key else None
        if document is None:
            continue
        if document.locked:
            out.flagged[expense_id] = _locked_reason(document, "Deleted")
        else:
            _remove(expense_id, document)
    for decision in sorted(
        (d for d in decisions if d.action == SEND), key=lambda d: int(d.expense_id)
    ):
        eid = decision.expense_id
        key = current.get(eid)
        document = documents.get(key) if key else None
        if document is not None and document.group == decision.group:
            same = document.members.get(eid) == decision.line and (
                document.receipts.get(eid, "") == decision.receipt
            )
            if same:
                out.placed[eid], _ = key, out.unchanged.add(eid)
                continue
            if document.locked:
                out.flagged[eid] = _locked_reason(document, "Changed")
                continue
        elif document is not None:
            if document.locked:
                out.flagged[eid] = _locked_reason(document, "Moved to another period or mode")
                continue
            _remove(eid, document)
            document = None
        if document is None:
            document = _place(decision, documents)
            if document.locked:
                out.flagged[eid] = _locked_reason(document, "Sent again")
                continue
        document.members[eid] = decision.line
        document.dates[eid] = decision.spent
        document.currency = decision.currency
        if decision.receipt:
            document.receipts[eid] = decision.receipt
        else:
            document.receipts.pop(eid, None)
        document.changed = True
        out.placed[eid] = document.key
    return out

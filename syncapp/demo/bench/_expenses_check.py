"""`bench expenses`: what Xero holds compared with Harvest's expenses, read from the sandbox's own
stores (never from hxsync's ledger).

The conventions the expenses flow writes by: a bill is an ACCPAY invoice whose InvoiceNumber is
our reference (HX-E-<expense>, or HX-E-U<user>-<period> with -2, -3... for further parts); card
spending is a SPEND bank transaction whose Reference is HX-E-<expense>; every line's Description
ends with "(Harvest expense <id>)"; receipts are attached as "expense-<id>-<file name>".
A document is live unless DELETED or VOIDED.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from syncapp.demo.bench._expenses_plant import uploadable

REFERENCE = re.compile(r"^HX-E-(?:\d+|U\d+-\d{4}-(?:\d{2}|W\d{2})(?:-[A-Z]{3})?)(?:-\d+)?$")
LINE_EXPENSE = re.compile(r"\(Harvest expense (\d+)\)\s*$")
ATTACHMENT_EXPENSE = re.compile(r"^expense-(\d+)-")
DEAD = ("DELETED", "VOIDED")
CENT = Decimal("0.01")
MODE_KIND = {"bill": "bill", "spend_money": "spend"}


@dataclass
class XeroDoc:
    kind: str  # "bill" or "spend"
    record_id: str
    reference: str
    line_amount_types: str
    lines: list[tuple[int | None, Decimal]]
    attachments: list[dict] = field(default_factory=list)


def xero_expense_docs(xero: Any) -> list[XeroDoc]:
    """Live bills and spend money carrying our reference."""
    docs = []
    for record in xero.invoices.values():
        number = record.get("InvoiceNumber") or ""
        if (
            record.get("Type") != "ACCPAY"
            or record["Status"] in DEAD
            or not number.startswith("HX-E-")
        ):
            continue
        docs.append(_doc(xero, "bill", "Invoices", record["InvoiceID"], number, record))
    for record in xero.bank_transactions.values():
        reference = record.get("Reference") or ""
        if (
            record.get("Type") != "SPEND"
            or record["Status"] in DEAD
            or not reference.startswith("HX-E-")
        ):
            continue
        docs.append(
            _doc(xero, "spend", "BankTransactions", record["BankTransactionID"], reference, record)
        )
    return docs


def _doc(
    xero: Any, kind: str, endpoint: str, record_id: str, reference: str, record: dict
) -> XeroDoc:
    lines = []
    for line in record.get("LineItems", []):
        found = LINE_EXPENSE.search(line.get("Description") or "")
        lines.append(
            (int(found.group(1)) if found else None, Decimal(str(line.get("LineAmount") or 0)))
        )
    return XeroDoc(
        kind=kind,
        record_id=record_id,
        reference=reference,
        line_amount_types=record.get("LineAmountTypes") or "",
        lines=lines,
        attachments=list(xero.attachments.get((endpoint, record_id), [])),
    )


def _currency_of(state: Any, expense_id: int) -> str:
    harvest = state.harvest
    client = harvest.clients.get(harvest.expenses[expense_id].get("_client_id")) or {}
    return client.get("currency") or harvest.company.get("currency", "")


def _card_currency(state: Any) -> str:
    for account in state.xero.accounts.values():
        if account.get("Code") == "095":
            return account.get("CurrencyCode") or state.xero.organisation.get("BaseCurrency", "")
    return ""


def expenses_verify(*, state: Any, modes: dict[str, str]) -> dict[str, Any]:
    """Duplicates, lost expenses, totals and receipts, as finance would find them in Xero."""
    harvest = state.harvest
    docs = xero_expense_docs(state.xero)
    approved = {
        eid: MODE_KIND[modes[str(e["_expense_category_id"])]]
        for eid, e in harvest.expenses.items()
        if e["is_closed"]
        and modes.get(str(e["_expense_category_id"])) in MODE_KIND
        and e["total_cost"] > 0
    }
    # Card spending in another currency than the card account's waits with its reason (Xero
    # takes spend money only in the bank account's currency): not eligible, and must not be sent.
    wrong_currency = {
        eid
        for eid, kind in approved.items()
        if kind == MODE_KIND["spend_money"] and _currency_of(state, eid) != _card_currency(state)
    }
    eligible = {eid: kind for eid, kind in approved.items() if eid not in wrong_currency}
    by_reference = Counter((doc.kind, doc.reference) for doc in docs)
    on_docs: dict[int, list[XeroDoc]] = defaultdict(list)
    mismatched, unknown_lines, bad_references, not_inclusive = [], 0, [], 0
    for doc in docs:
        if not REFERENCE.match(doc.reference):
            bad_references.append(doc.reference)
        not_inclusive += doc.line_amount_types != "Inclusive"
        for expense_id, amount in doc.lines:
            expense = harvest.expenses.get(expense_id) if expense_id is not None else None
            if expense is None:
                unknown_lines += 1
                continue
            on_docs[expense_id].append(doc)
            total = Decimal(str(expense["total_cost"])).quantize(CENT, ROUND_HALF_UP)
            if amount.quantize(CENT, ROUND_HALF_UP) != total:
                mismatched.append(expense_id)
    several = [eid for eid, found in on_docs.items() if len(found) > 1]
    lost = [eid for eid in eligible if eid not in on_docs]
    wrong_kind = [
        eid for eid, found in on_docs.items() if eid in eligible and found[0].kind != eligible[eid]
    ]
    receipts = _receipts_verify(harvest=harvest, docs=docs, on_docs=on_docs)
    return {
        "bills": sum(1 for d in docs if d.kind == "bill"),
        "bank_transactions": sum(1 for d in docs if d.kind == "spend"),
        "eligible": len(eligible),
        "expenses_in_xero": len(on_docs),
        "duplicates": sum(n - 1 for n in by_reference.values() if n > 1) + len(several),
        "duplicate_ids": several[:20],
        "lost": len(lost),
        "lost_ids": lost[:20],
        "mismatched_totals": len(mismatched),
        "mismatched_ids": mismatched[:20],
        "wrong_mode": len(wrong_kind) + len(wrong_currency & set(on_docs)),
        "held_card_other_currency": len(wrong_currency),
        "lines_without_expense": unknown_lines,
        "bad_references": bad_references[:20],
        "not_inclusive": not_inclusive,
        **receipts,
    }


def _receipts_verify(
    *, harvest: Any, docs: list[XeroDoc], on_docs: dict[int, list[XeroDoc]]
) -> dict[str, Any]:
    duplicate_attachments, misplaced, over_limit = 0, 0, 0
    attached: set[int] = set()
    stored_bytes = 0
    for doc in docs:
        names = Counter(a["FileName"] for a in doc.attachments)
        duplicate_attachments += sum(n - 1 for n in names.values() if n > 1)
        per_expense = Counter()
        holds = {eid for eid, _ in doc.lines if eid is not None}
        for attachment in doc.attachments:
            stored_bytes += len(attachment["Content"])
            found = ATTACHMENT_EXPENSE.match(attachment["FileName"])
            if found is None or int(found.group(1)) not in holds:
                misplaced += 1
                continue
            per_expense[int(found.group(1))] += 1
            attached.add(int(found.group(1)))
        # The same receipt twice on one record under two names is a duplicate too.
        duplicate_attachments += sum(n - 1 for n in per_expense.values() if n > 1)
        over_limit += len(doc.attachments) > 10
    wanted = [eid for eid in on_docs if uploadable(harvest.receipts.get(eid))]
    missing = [eid for eid in wanted if eid not in attached]
    return {
        "attachments": sum(len(d.attachments) for d in docs),
        "attachment_bytes_stored": stored_bytes,
        "duplicate_attachments": duplicate_attachments,
        "misplaced_attachments": misplaced,
        "records_over_10_attachments": over_limit,
        "receipts_expected": len(wanted),
        "receipts_missing": len(missing),
        "receipts_missing_ids": missing[:20],
    }


def verified_ok(figures: dict[str, Any]) -> bool:
    zeros = (
        "duplicates",
        "duplicate_attachments",
        "lost",
        "mismatched_totals",
        "wrong_mode",
        "lines_without_expense",
        "not_inclusive",
        "misplaced_attachments",
        "records_over_10_attachments",
        "receipts_missing",
    )
    return all(figures[k] == 0 for k in zeros) and not figures["bad_references"]

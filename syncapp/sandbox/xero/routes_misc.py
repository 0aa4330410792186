"""Manual journals, bank transactions and history notes (attachments: attachments.py)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.attachments import (  # noqa: F401 - routed from app.py
    OWNERS,
    attachment_get,
    attachment_put,
    attachments_list,
    owner_of,
)
from syncapp.sandbox.xero.batch import batch_write
from syncapp.sandbox.xero.events import history_add
from syncapp.sandbox.xero.formats import datestring, money_json, msdate, msdatetime
from syncapp.sandbox.xero.http import RequestContext, XeroError, field_getter, listing, not_found
from syncapp.sandbox.xero.ledger import (
    bank_transaction_commit,
    bank_transaction_prepare,
    journal_commit,
    journal_prepare,
)
from syncapp.sandbox.xero.serialize import contact_ref, line_json
from syncapp.sandbox.xero.state import XeroState


def journal_json(record: dict[str, Any]) -> dict[str, Any]:
    data = {
        "ManualJournalID": record.get("ManualJournalID", "00000000-0000-0000-0000-000000000000"),
        "Narration": record.get("Narration", ""),
        "Status": record.get("Status", "DRAFT"),
        "LineAmountTypes": record.get("LineAmountTypes", "NoTax"),
        "JournalLines": [
            {
                "LineAmount": money_json(line["LineAmount"]), "AccountCode": line.get("AccountCode"),
                "AccountID": line["AccountID"], "Description": line.get("Description", ""),
                "TaxType": line["TaxType"], "TaxAmount": money_json(line["TaxAmount"]),
                "Tracking": [dict(t) for t in line.get("Tracking", [])], "IsBlank": False,
            }
            for line in record.get("JournalLines", [])
        ],
        "HasAttachments": bool(record.get("HasAttachments")),
    }
    if record.get("Date"):
        data["Date"] = msdate(record["Date"])
    if record.get("UpdatedDateUTC"):
        data["UpdatedDateUTC"] = msdatetime(record["UpdatedDateUTC"])
    if "ShowOnCashBasisReports" in record:
        data["ShowOnCashBasisReports"] = bool(record["ShowOnCashBasisReports"])
    if record.get("Url"):
        data["Url"] = record["Url"]
    return data


def bank_transaction_json(state: XeroState, record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "BankTransactionID": record.get("BankTransactionID", "00000000-0000-0000-0000-000000000000"),
        "Status": record.get("Status", "AUTHORISED"),
        "LineAmountTypes": record.get("LineAmountTypes", "Exclusive"),
        "LineItems": [line_json(line) for line in record.get("LineItems", [])],
        "IsReconciled": bool(record.get("IsReconciled")),
        "HasAttachments": bool(record.get("HasAttachments")),
        "CurrencyCode": record.get("CurrencyCode", state.base_currency),
    }
    if record.get("Type"):
        data["Type"] = record["Type"]
    if record.get("ContactID"):
        data["Contact"] = contact_ref(state, record["ContactID"])
    bank = state.accounts.get(record.get("BankAccountID") or "")
    if bank is not None:
        data["BankAccount"] = {"AccountID": bank["AccountID"], "Code": bank.get("Code", ""), "Name": bank["Name"]}
    else:
        # A refused element echoes the bank account it named (the element requires one).
        data["BankAccount"] = {k: v for k, v in record.get("_bank_ref", {}).items() if k in ("Code", "AccountID")}
    if record.get("Date"):
        data["DateString"] = datestring(record["Date"])
        data["Date"] = msdate(record["Date"])
    for name in ("SubTotal", "TotalTax", "Total", "CurrencyRate"):
        if record.get(name) is not None:
            data[name] = money_json(record[name])
    if record.get("Reference"):
        data["Reference"] = record["Reference"]
    if record.get("OverpaymentID"):
        data["OverpaymentID"] = record["OverpaymentID"]
    if record.get("UpdatedDateUTC"):
        data["UpdatedDateUTC"] = msdatetime(record["UpdatedDateUTC"])
    return data


def journals_list(rc: RequestContext) -> Response:
    selected, pagination = listing(rc, records=rc.state.manual_journals.values(), getter=field_getter)
    extra = {"pagination": pagination} if pagination is not None else None
    return rc.envelope("ManualJournals", [journal_json(j) for j in selected], extra)


def journal_get(rc: RequestContext, journal_id: str) -> Response:
    journal = rc.state.manual_journals.get(journal_id.lower())
    if journal is None:
        raise not_found()
    return rc.envelope("ManualJournals", [journal_json(journal)])


def journals_write(rc: RequestContext, *, path_id: str | None = None) -> Response:
    state, ctx = rc.state, rc.batch()
    if path_id is not None and path_id.lower() not in state.manual_journals:
        raise not_found()
    return batch_write(
        rc, key="ManualJournals", items=rc.items("ManualJournals"),
        prepare=lambda raw: journal_prepare(state, raw, ctx=ctx, path_id=path_id),
        commit=lambda p: journal_commit(state, p, ctx=ctx),
        render=journal_json, render_failed=lambda p: journal_json(p.record),
        summarize=True if path_id is not None else None,
    )


def bank_transactions_list(rc: RequestContext) -> Response:
    state = rc.state
    selected, pagination = listing(rc, records=state.bank_transactions.values(), getter=field_getter)
    extra = {"pagination": pagination} if pagination is not None else None
    return rc.envelope("BankTransactions", [bank_transaction_json(state, t) for t in selected], extra)


def bank_transaction_get(rc: RequestContext, tx_id: str) -> Response:
    tx = rc.state.bank_transactions.get(tx_id.lower())
    if tx is None:
        raise not_found()
    return rc.envelope("BankTransactions", [bank_transaction_json(rc.state, tx)])


def bank_transactions_write(rc: RequestContext, *, path_id: str | None = None) -> Response:
    state, ctx = rc.state, rc.batch()
    if path_id is not None and path_id.lower() not in state.bank_transactions:
        raise not_found()
    return batch_write(
        rc, key="BankTransactions", items=rc.items("BankTransactions"),
        prepare=lambda raw: bank_transaction_prepare(state, raw, ctx=ctx, path_id=path_id),
        commit=lambda p: bank_transaction_commit(state, p, ctx=ctx),
        render=lambda r: bank_transaction_json(state, r),
        render_failed=lambda p: bank_transaction_json(state, p.record),
        summarize=True if path_id is not None else None,
    )


# -- history -----------------------------------------------------------------------------------

def history_get(rc: RequestContext, endpoint: str, object_id: str) -> Response:
    owner = owner_of(rc, endpoint, object_id)
    records = rc.state.history.get(owner[OWNERS[endpoint][1]], [])
    items = [
        {"Changes": r["Changes"], "DateUTCString": r["DateUTC"].strftime("%Y-%m-%dT%H:%M:%S"),
         "DateUTC": msdatetime(r["DateUTC"]), "User": r["User"], "Details": r["Details"]}
        for r in records
    ]
    return rc.envelope("HistoryRecords", items)


def history_put(rc: RequestContext, endpoint: str, object_id: str) -> Response:
    owner = owner_of(rc, endpoint, object_id)
    oid = owner[OWNERS[endpoint][1]]
    out = []
    for raw in rc.items("HistoryRecords"):
        details = raw.get("Details") if isinstance(raw, dict) else None
        if not details or not str(details).strip():
            raise XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                  "Message": "A validation exception occurred",
                                  "Elements": [{"ValidationErrors": [{"Message": "The Details field is required."}]}]})
        if len(str(details)) > 2500:
            raise XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                  "Message": "A validation exception occurred",
                                  "Elements": [{"ValidationErrors": [{"Message": "The Details field must be 2500 characters or fewer."}]}]})
        history_add(rc.state, object_id=oid, changes="Note", details=str(details), when=rc.now,
                    user=rc.state.organisation.get("Name", "API"))
        out.append({"DateUTCString": rc.now.strftime("%Y-%m-%dT%H:%M:%S"), "DateUTC": msdatetime(rc.now),
                    "Details": str(details), "ValidationErrors": []})
    return rc.envelope("HistoryRecords", out)

"""Overpayments: list, get, and allocate their credit to invoices."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.formats import datestring, money_json, msdate, msdatetime
from syncapp.sandbox.xero.http import RequestContext, field_getter, listing, not_found
from syncapp.sandbox.xero.routes_documents import allocations_write
from syncapp.sandbox.xero.serialize import allocation_json, contact_ref, line_json
from syncapp.sandbox.xero.state import XeroState


def overpayment_json(state: XeroState, record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "OverpaymentID": record["OverpaymentID"], "Type": record["Type"], "Status": record["Status"],
        "DateString": datestring(record["Date"]), "Date": msdate(record["Date"]),
        "LineAmountTypes": record["LineAmountTypes"],
        "LineItems": [line_json(line) for line in record["LineItems"]],
        "CurrencyCode": record["CurrencyCode"], "CurrencyRate": money_json(record["CurrencyRate"]),
        "UpdatedDateUTC": msdatetime(record["UpdatedDateUTC"]),
        "Allocations": [allocation_json(state, a, nested=True) for a in record["Allocations"]],
        "Payments": [], "HasAttachments": bool(record.get("HasAttachments")),
    }
    for name in ("SubTotal", "TotalTax", "Total", "RemainingCredit", "AppliedAmount"):
        data[name] = money_json(record[name])
    if record.get("ContactID"):
        data["Contact"] = contact_ref(state, record["ContactID"])
    return data


def _getter(state: XeroState):
    def get(record: dict[str, Any], fields: tuple[str, ...]) -> Any:
        if fields[0] == "Contact" and len(fields) > 1:
            if fields[1] == "ContactID":
                return record.get("ContactID")
            return field_getter(state.contacts.get(record.get("ContactID") or "", {}), fields[1:])
        return field_getter(record, fields)

    return get


def overpayments_list(rc: RequestContext) -> Response:
    state = rc.state
    selected, pagination = listing(rc, records=state.overpayments.values(), getter=_getter(state))
    extra = {"pagination": pagination} if pagination is not None else None
    return rc.envelope("Overpayments", [overpayment_json(state, o) for o in selected], extra)


def overpayment_get(rc: RequestContext, overpayment_id: str) -> Response:
    record = rc.state.overpayments.get(overpayment_id.lower())
    if record is None:
        raise not_found()
    return rc.envelope("Overpayments", [overpayment_json(rc.state, record)])


def overpayment_allocations_write(rc: RequestContext, overpayment_id: str) -> Response:
    return allocations_write(rc, overpayment_id, source_kind="Overpayment")

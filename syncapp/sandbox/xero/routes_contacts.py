"""Contacts: list (where, IDs, page, includeArchived, If-Modified-Since, searchTerm), get, batch writes."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.batch import batch_write
from syncapp.sandbox.xero.contacts import contact_commit, contact_prepare
from syncapp.sandbox.xero.http import RequestContext, field_getter, id_list, listing, not_found
from syncapp.sandbox.xero.serialize import contact_json
from syncapp.sandbox.xero.state import XeroState


def _find(state: XeroState, ref: str) -> dict[str, Any] | None:
    found = state.contacts.get(ref.lower())
    if found is None:
        key = state.contact_by_number.get(ref.strip().lower())
        found = state.contacts.get(key) if key else None
    return found


def contacts_list(rc: RequestContext) -> Response:
    state = rc.state
    records: Any = state.contacts.values()
    ids = set(id_list(rc.args.get("IDs")))
    if ids:
        records = [c for c in records if c["ContactID"] in ids]
    elif not rc.flag("includeArchived"):
        # Archived contacts are left out unless asked for (or fetched by ID).
        records = [c for c in records if c["ContactStatus"] == "ACTIVE"]
    term = (rc.args.get("searchTerm") or "").strip().lower()
    if term:
        records = [
            c for c in records
            if any(term in str(c.get(f) or "").lower()
                   for f in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber", "CompanyNumber"))
        ]
    selected, pagination = listing(rc, records=records, getter=field_getter)
    summary = rc.flag("summaryOnly")
    items = [contact_json(state, c, summary=summary) for c in selected]
    return rc.envelope("Contacts", items, {"pagination": pagination} if pagination is not None else None)


def contact_get(rc: RequestContext, ref: str) -> Response:
    contact = _find(rc.state, ref)
    if contact is None:
        raise not_found()
    return rc.envelope("Contacts", [contact_json(rc.state, contact)])


def contacts_write(rc: RequestContext, *, create_only: bool, path_id: str | None = None) -> Response:
    state = rc.state
    ctx = rc.batch()
    if path_id is not None:
        contact = _find(state, path_id)
        if contact is None:
            raise not_found()
        path_id = contact["ContactID"]
    return batch_write(
        rc,
        key="Contacts",
        items=rc.items("Contacts"),
        prepare=lambda raw: contact_prepare(state, raw, ctx=ctx, allow_update=not create_only, path_id=path_id),
        commit=lambda p: contact_commit(state, p, ctx=ctx),
        render=lambda record: contact_json(state, record),
        render_failed=lambda p: contact_json(state, p.record),
        error_flag="HasValidationErrors",
        summarize=True if path_id is not None else None,
    )

"""Attachments on Xero records (`/{Endpoint}/{id}/Attachments/{FileName}`), with the API's limits.

Limits, as the sources we could find state them (developer.xero.com's own page was not at hand):
- 10 files per record through the API (Xero's announcement of API attachments,
  community.xero.com/developer/discussion/3095073; Workato's and Linx's Xero connector docs);
- the per-file size: 3 MB in that announcement, "actually 10 MB" per Codat's April 2026 correction
  (github.com/codatio/codat-docs/pull/1802, also Workato's docs). We enforce 10 MB. An upload over it
  gets the gateway's 413 problem body `{"Title": "RequestEntityTooLarge", "Status": 413, "Detail":
  "PayloadTooLarge", ...}` (reported in github.com/XeroAPI/Xero-Java/issues/349);
- the file types of the same announcement plus Codat's 2026 list.
Uploading the same file name again replaces that file (it does not count twice). Xero documents no
wording for the count and type refusals; ours use its ValidationException shape.
"""

from __future__ import annotations

import mimetypes
import uuid
from typing import Any

from werkzeug.wrappers import Response

from syncapp.sandbox.xero.formats import dumps
from syncapp.sandbox.xero.http import RequestContext, XeroError, not_found

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENTS_PER_RECORD = 10
ALLOWED_EXTENSIONS = frozenset(
    "7z bmp csv doc docx eml gif jpeg jpg keynote msg numbers odf ods odt pages pdf png ppt pptx "
    "rar rtf tif tiff txt xls xlsx zip".split()
)
# Endpoint (as written in the URL) -> (collection attribute, id field).
OWNERS = {
    "Invoices": ("invoices", "InvoiceID"),
    "CreditNotes": ("credit_notes", "CreditNoteID"),
    "Contacts": ("contacts", "ContactID"),
    "Payments": ("payments", "PaymentID"),
    "Overpayments": ("overpayments", "OverpaymentID"),
    "ManualJournals": ("manual_journals", "ManualJournalID"),
    "BankTransactions": ("bank_transactions", "BankTransactionID"),
    "Accounts": ("accounts", "AccountID"),
}


def owner_of(rc: RequestContext, endpoint: str, object_id: str) -> dict[str, Any]:
    collection_name, _ = OWNERS[endpoint]
    owner = getattr(rc.state, collection_name).get(object_id.lower())
    if owner is None:
        raise not_found()
    return owner


def _json(endpoint: str, object_id: str, attachment: dict[str, Any]) -> dict[str, Any]:
    return {
        "AttachmentID": attachment["AttachmentID"], "FileName": attachment["FileName"],
        "Url": f"https://api.xero.com/api.xro/2.0/{endpoint}/{object_id}/Attachments/{attachment['FileName']}",
        "MimeType": attachment["MimeType"], "ContentLength": len(attachment["Content"]),
        "IncludeOnline": attachment["IncludeOnline"],
    }


def _refused(message: str) -> XeroError:
    return XeroError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                           "Message": "A validation exception occurred",
                           "Elements": [{"ValidationErrors": [{"Message": message}]}]})


def attachments_list(rc: RequestContext, endpoint: str, object_id: str) -> Response:
    owner = owner_of(rc, endpoint, object_id)
    oid = owner[OWNERS[endpoint][1]]
    files = rc.state.attachments.get((endpoint, oid), [])
    return rc.envelope("Attachments", [_json(endpoint, oid, a) for a in files])


def attachment_get(rc: RequestContext, endpoint: str, object_id: str, name: str) -> Response:
    owner = owner_of(rc, endpoint, object_id)
    oid = owner[OWNERS[endpoint][1]]
    for attachment in rc.state.attachments.get((endpoint, oid), []):
        if name in (attachment["FileName"], attachment["AttachmentID"]):
            return Response(attachment["Content"], mimetype=attachment["MimeType"])
    raise not_found()


def _too_large() -> Response:
    body = {"Title": "RequestEntityTooLarge", "Status": 413, "Detail": "PayloadTooLarge",
            "Instance": str(uuid.uuid4()), "Extensions": {}}
    return Response(dumps(body), status=413, mimetype="application/json")


def attachment_put(rc: RequestContext, endpoint: str, object_id: str, name: str) -> Response:
    """Upload raw bytes; the same file name replaces the earlier file (as Xero does)."""
    owner = owner_of(rc, endpoint, object_id)
    oid = owner[OWNERS[endpoint][1]]
    if (rc.request.content_length or 0) > ATTACHMENT_MAX_BYTES:
        return _too_large()
    content = rc.request.get_data(cache=True)
    if len(content) > ATTACHMENT_MAX_BYTES:
        return _too_large()
    if not content:
        raise _refused("The attachment is empty.")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise _refused(f"The file type '{extension or name}' is not supported.")
    files = rc.state.attachments.setdefault((endpoint, oid), [])
    others = [a for a in files if a["FileName"] != name]
    if len(others) >= ATTACHMENTS_PER_RECORD:
        raise _refused(f"A maximum of {ATTACHMENTS_PER_RECORD} attachments can be added to a document.")
    mime = rc.request.mimetype if rc.request.mimetype not in ("", "application/octet-stream") else None
    attachment = {
        "AttachmentID": rc.state.new_id("attachment"), "FileName": name,
        "MimeType": mime or mimetypes.guess_type(name)[0] or "application/octet-stream",
        "Content": content, "IncludeOnline": rc.flag("IncludeOnline") or rc.flag("includeOnline"),
    }
    files[:] = [*others, attachment]
    owner["HasAttachments"] = True
    return rc.envelope("Attachments", [_json(endpoint, oid, attachment)])

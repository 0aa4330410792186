"""Receipt files and expense approval, as Harvest's web app serves and does them.

A receipt's `url` (https://{subdomain}.harvestapp.com/expenses/{id}/receipt) answers an
authenticated request with a redirect to a short-lived signed file URL, as Harvest hands files off to
its storage; the signed URL itself takes no credentials and stops working when it expires. A client
must therefore authenticate and follow the redirect.

Approval happens in Harvest's web app only (the API has no approve call; it shows the result as
`is_closed`, with `is_locked` and a `locked_reason`). The sandbox offers it as a control.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.wrappers import Request, Response

from syncapp.sandbox.harvest.common import Ctx, get_or_404
from syncapp.sandbox.harvest.imports import EXPENSE_LOCK
from syncapp.sandbox.harvest.state import HarvestState, Record

SIGNED_URL_SECONDS = 600
FILES_SEGMENT = "receipt-files"
APPROVED_LOCK = "Item Approved and Locked for this Time Period"


def _signature(hs: HarvestState, expense_id: int, name: str, expires: int) -> str:
    key = f"sandbox-receipts-{hs.account_id}".encode()
    return hmac.new(key, f"{expense_id}|{name}|{expires}".encode(), hashlib.sha256).hexdigest()


def receipt_download(ctx: Ctx, *, record_id: int, **_: Any) -> Response:
    """The authenticated receipt URL: 302 to the signed file URL (Harvest's API auth applies)."""
    get_or_404(ctx.hs.expenses, record_id)
    receipt = ctx.hs.receipts.get(int(record_id))
    if receipt is None:
        get_or_404({}, record_id)
    name = receipt[0]
    expires = int(ctx.clock.time()) + SIGNED_URL_SECONDS
    subdomain = ctx.request.path.split("/", 2)[1]
    query = urlencode(
        {"expires": expires, "signature": _signature(ctx.hs, record_id, name, expires)}
    )
    location = (
        f"{ctx.request.host_url.rstrip('/')}/{subdomain}/{FILES_SEGMENT}/"
        f"{ctx.hs.account_id}/{record_id}/{quote(name)}?{query}"
    )
    return Response(status=302, headers={"Location": location})


def is_signed_file_path(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 6 and parts[1].endswith(".harvestapp.com") and parts[2] == FILES_SEGMENT


def _denied(code: str, message: str) -> Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(body, status=403, mimetype="application/xml")


def signed_file_respond(request: Request, hs: HarvestState, now: float) -> Response:
    """The signed file URL: no credentials, only a valid unexpired signature for the current file."""
    _, _, _, account, expense, name = request.path.split("/")
    receipt = hs.receipts.get(int(expense)) if expense.isdigit() else None
    try:
        expires = int(request.args.get("expires", ""))
    except ValueError:
        return _denied("AccessDenied", "Query-string authentication requires an expiry")
    signature = request.args.get("signature", "")
    if (
        receipt is None
        or account != str(hs.account_id)
        or receipt[0] != name
        or not hmac.compare_digest(signature, _signature(hs, int(expense), name, expires))
    ):
        return _denied("SignatureDoesNotMatch", "The request signature does not match")
    if now > expires:
        return _denied("AccessDenied", "Request has expired")
    _, content_type, data = receipt
    return Response(
        data,
        status=200,
        mimetype=content_type,
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


def expense_set_approved(record: Record, *, approved: bool, now: str) -> None:
    """Approve or reopen, as a manager does on Harvest's approval page."""
    record["is_closed"] = approved
    if record.get("is_billed"):
        record.update(is_locked=True, locked_reason=EXPENSE_LOCK)
    elif approved:
        record.update(is_locked=True, locked_reason=APPROVED_LOCK)
    else:
        record.update(is_locked=False, locked_reason=None)
    record["updated_at"] = now

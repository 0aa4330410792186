"""The expense rows of the ledger as finance reads them: the receipt (name, size, and a link that
opens it from Harvest), where the expense is in Xero and whether its receipt is attached there,
and on a bill or spend money row the expenses it holds.

What the pages show comes from the rows' snapshots (written by the expenses flow, see
syncapp/flows/expenses/ledger.py), so the list costs no query per row; opening a receipt is the
one thing that asks Harvest, through the integration's own Harvest connection.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe

from syncapp.models import Connection, SyncKind, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired, Forbidden, NotFound
from syncapp.providers.harvest.timesheet_types import HarvestReceiptFile

logger = logging.getLogger(__name__)

EXPENSE = SyncKind.EXPENSE
DOC = SyncKind.EXPENSE_DOC
PERSON = SyncKind.PERSON
NOT_ATTACHED = "Receipt not attached"
# Shown in the browser; anything else is downloaded, so a receipt that is really a web page or
# an SVG never runs inside the admin's origin.
INLINE_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "text/plain",
    }
)
UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]+")
# The admin's own icons (an emoji paperclip needs a font the finance PC may not have).
BADGE_ICONS = {
    "attached": "icon-yes.svg",
    "not attached": "icon-alert.svg",
    "uploading": "icon-clock.svg",
    "waiting": "icon-clock.svg",
}


class ReceiptUnavailable(Exception):
    """The receipt cannot be shown; the message says why and what to do."""


# --- what the pages say about a receipt ------------------------------------------------------


def receipt_words(
    *, receipt: dict, has_file: bool, in_xero: bool, last_error: str = ""
) -> tuple[str, str]:
    """(a word or two for the list, a sentence for the page) about one expense's receipt.
    `receipt` is its upload state on its document (name, state, error); a file refused before
    it was sent may only have said so in the expense's reason (`last_error`)."""
    if not has_file:
        return "—", "No receipt in Harvest."
    state = receipt.get("state")
    error = receipt.get("error") or (last_error if last_error.startswith(NOT_ATTACHED) else "")
    if state == "sent":
        return "attached", f"Attached in Xero as {receipt.get('name', 'the receipt')}."
    if state == "refused" or error:
        return "not attached", error or "Not attached: Xero refused the file."
    if state == "sending":
        return "uploading", (
            "Being uploaded to Xero; if the run stopped, the next run checks Xero and finishes it."
        )
    if in_xero:
        return "waiting", "Waiting to be uploaded to Xero: the next run attaches it."
    return "not in Xero", "Not in Xero: the expense is on no bill or spend money (see its state)."


def receipt_badge(short: str, sentence: str = "") -> str:
    """The list's word for a receipt, with the admin's icon for it."""
    icon = BADGE_ICONS.get(short)
    if icon is None:
        return format_html('<span title="{}">{}</span>', sentence, short)
    return format_html(
        '<span class="receipt-badge" title="{}"><img src="{}" alt=""> {}</span>',
        sentence,
        static(f"admin/img/{icon}"),
        short,
    )


def expense_receipt_words(link: SyncLink) -> tuple[str, str]:
    snapshot = link.snapshot or {}
    if link.state == SyncLink.State.VOIDED:
        return "—", "The expense was deleted in Harvest and taken off its Xero document."
    return receipt_words(
        receipt=snapshot.get("receipt") or {},
        has_file=bool(_harvest_receipt(link)),
        in_xero=bool((snapshot.get("xero") or {}).get("id")),
        last_error=link.last_error,
    )


def _harvest_receipt(link: SyncLink) -> dict:
    return ((link.snapshot or {}).get("harvest") or {}).get("receipt") or {}


def _document_kind(key: str) -> str:
    return "Spend money" if key.startswith("spend:") else "Bill"


def _render(template: str, context: dict) -> str:
    return mark_safe(  # noqa: S308 - rendered by a template with autoescape
        render_to_string(f"admin/syncapp/synclink/{template}", context)
    )


def receipt_html(link: SyncLink) -> str:
    receipt = _harvest_receipt(link)
    return _render(
        "expense_receipt.html",
        {
            "receipt": receipt,
            "size": filesizeformat(receipt["file_size"]) if receipt.get("file_size") else "",
            "url": reverse("admin:syncapp_synclink_receipt", args=[link.pk]),
        },
    )


def in_xero_html(link: SyncLink) -> str:
    snapshot = link.snapshot or {}
    key = snapshot.get("document") or ""
    document = None
    if key:
        document = (
            SyncLink.objects.filter(integration_id=link.integration_id, kind=DOC, harvest_id=key)
            .only("pk", "label", "state", "xero_id")
            .first()
        )
    xero = snapshot.get("xero") or {}
    _, sentence = expense_receipt_words(link)
    return _render(
        "expense_in_xero.html",
        {
            "what": _document_kind(key) if key else "",
            "reference": xero.get("reference", ""),
            "in_xero": bool(xero.get("id")),
            "document": document,
            "document_url": (
                reverse("admin:syncapp_synclink_change", args=[document.pk]) if document else ""
            ),
            "receipt": sentence,
        },
    )


def _line_amount(line: dict) -> Decimal:
    amount = Decimal(str(line.get("Quantity", "0"))) * Decimal(str(line.get("UnitAmount", "0")))
    return amount.quantize(Decimal("0.01"))


def document_expenses_html(link: SyncLink) -> str:
    """The expenses on this bill or spend money, each with its row and its receipt's state."""
    snapshot = link.snapshot or {}
    members = snapshot.get("members") or {}
    receipts = snapshot.get("receipts") or {}
    rows = {
        row.harvest_id: row
        for row in SyncLink.objects.filter(
            integration_id=link.integration_id, kind=EXPENSE, harvest_id__in=list(members)
        ).only("pk", "harvest_id", "label", "last_error")
    }
    lines = []
    for eid in sorted(members, key=lambda e: int(e) if e.isdigit() else 0):
        row = rows.get(eid)
        short, sentence = receipt_words(
            receipt=receipts.get(eid) or {},
            has_file=eid in receipts,
            in_xero=bool(link.xero_id),
            last_error=row.last_error if row else "",
        )
        lines.append(
            {
                "expense_id": eid,
                "label": row.label if row else f"Harvest expense {eid}",
                "url": reverse("admin:syncapp_synclink_change", args=[row.pk]) if row else "",
                "amount": _line_amount(members[eid]),
                "receipt_short": short,
                "badge": receipt_badge(short, sentence),
                "receipt": sentence,
            }
        )
    return _render(
        "expense_document.html",
        {
            "lines": lines,
            "what": _document_kind(link.harvest_id),
            "reference": snapshot.get("reference", ""),
            "status": snapshot.get("status", ""),
            "total": snapshot.get("total", ""),
            "locked": snapshot.get("locked", ""),
        },
    )


def expense_resync_ids(*, kind: str, harvest_id: str, snapshot: dict) -> list[str] | None:
    """The Harvest expense ids a resync of this row means: the expense itself, or every expense
    on a bill or spend money; None for a person's row (nothing to read again)."""
    if kind == PERSON:
        return None
    if kind == DOC:
        return sorted((snapshot or {}).get("members") or {}, key=int)
    return [harvest_id]


# --- opening the receipt ------------------------------------------------------------------------


def _harvest_connection(link: SyncLink) -> Connection:
    connection = link.integration.connections.filter(provider=Connection.Provider.HARVEST).first()
    if connection is None or connection.status == Connection.Status.DISABLED:
        raise ReceiptUnavailable(
            f"Harvest is not connected for '{link.integration}'. Connect it under Sync › "
            "Connections, then open the receipt again."
        )
    if connection.status == Connection.Status.NEEDS_REAUTH:
        raise ReceiptUnavailable(
            "The Harvest connection needs reconnecting. Reconnect Harvest under Sync › "
            "Connections, then open the receipt again."
        )
    return connection


def expense_receipt_fetch(*, link: SyncLink, **client_options) -> HarvestReceiptFile:
    """The expense's receipt as Harvest holds it now (the record is read again: the file may
    have been replaced since the last run). Raises ReceiptUnavailable with what to do."""
    from syncapp.providers.harvest.factory import harvest_client_for_connection

    connection = _harvest_connection(link)
    where = f"expense #{link.harvest_id}"
    try:
        with harvest_client_for_connection(connection=connection, **client_options) as harvest:
            try:
                expense = harvest.get_expense(expense_id=int(link.harvest_id))
            except NotFound as exc:
                raise ReceiptUnavailable(
                    f"Harvest no longer has {where}; it was probably deleted there. The next "
                    "run takes it off its Xero document."
                ) from exc
            if expense.receipt is None:
                raise ReceiptUnavailable(
                    f"Harvest holds no receipt for {where} any more. Ask the person who spent "
                    "it to attach the receipt in Harvest; the next run sends it to Xero."
                )
            return harvest.download_receipt(expense=expense)
    except (AuthExpired, Forbidden) as exc:
        raise ReceiptUnavailable(
            f"Harvest refused our access to {where} ({exc}). Reconnect Harvest under Sync › "
            "Connections, then open the receipt again."
        ) from exc
    except ApiError as exc:
        logger.warning("receipt of expense %s not downloaded: %s", link.harvest_id, exc)
        raise ReceiptUnavailable(
            f"Harvest did not hand over the receipt of {where} ({exc}). Try again in a minute; "
            "if it keeps failing, open the expense in Harvest."
        ) from exc
    except ValueError as exc:  # the connection lacks its account id
        raise ReceiptUnavailable(
            f"The Harvest connection of '{link.integration}' is incomplete ({exc}). Connect "
            "Harvest again under Sync › Connections."
        ) from exc


def _safe_name(name: str) -> str:
    cleaned = UNSAFE_NAME_CHARS.sub("_", name or "").strip(" .")
    return cleaned[:150] or "receipt"


def receipt_response(file: HarvestReceiptFile) -> HttpResponse:
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    inline = content_type in INLINE_TYPES
    response = HttpResponse(
        file.content, content_type=content_type if inline else "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(
        not inline, _safe_name(file.file_name)
    )
    response["Content-Length"] = str(len(file.content))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class ExpenseLedgerMixin:
    """The expense parts of the ledger's admin (SyncLinkAdmin)."""

    EXPENSE_FIRST = ("label", "kind", "integration", "state", "last_error", "receipt", "in_xero")
    DOC_FIRST = ("label", "kind", "integration", "state", "last_error", "expenses_on_it")

    def first_fields(self, obj) -> tuple[str, ...] | None:
        if obj is not None and obj.kind == EXPENSE:
            return self.EXPENSE_FIRST
        if obj is not None and obj.kind == DOC:
            return self.DOC_FIRST
        return None

    @admin.display(description="Receipt")
    def receipt_column(self, obj):
        return receipt_badge(*expense_receipt_words(obj)) if obj.kind == EXPENSE else ""

    @admin.display(description="Receipt")
    def receipt(self, obj):
        return receipt_html(obj)

    @admin.display(description="In Xero")
    def in_xero(self, obj):
        return in_xero_html(obj)

    @admin.display(description="Expenses on it")
    def expenses_on_it(self, obj):
        return document_expenses_html(obj)

    def receipt_view(self, request, link_id: int):
        link = get_object_or_404(
            SyncLink.objects.select_related("integration"), pk=link_id, kind=EXPENSE
        )
        if not self.has_view_permission(request, link):
            raise PermissionDenied
        try:
            file = expense_receipt_fetch(link=link)
        except ReceiptUnavailable as exc:
            messages.error(request, str(exc))
            return redirect("admin:syncapp_synclink_change", link.pk)
        return receipt_response(file)

    def expense_urls(self):
        return [
            path(
                "<int:link_id>/receipt/",
                self.admin_site.admin_view(self.receipt_view),
                name="syncapp_synclink_receipt",
            )
        ]

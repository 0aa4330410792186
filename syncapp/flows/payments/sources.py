"""Reads for the payments flow: which Xero invoices changed, and the Harvest invoices they pay.

Calls are counted per batch, never per record where a list can do: Xero invoices by `IDs` (50 a
call) or by `If-Modified-Since`; Harvest invoices one by one only for a handful (the webhook
path), otherwise one `per_page=2000` listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from syncapp.flows.base import read_watermark
from syncapp.flows.payments.plan import (
    HarvestInvoiceView,
    HarvestPaymentView,
    XeroInvoiceView,
    xero_invoice_view,
)
from syncapp.flows.payments.settlements import xero_credit_note_view
from syncapp.models import Integration, SyncKind, SyncLink
from syncapp.providers.errors import NotFound

IDS_PER_CALL = 50
# /CreditNotes takes no IDs parameter: the ids go into `where`, few enough to keep the URL short.
CREDIT_NOTE_IDS_PER_CALL = 20
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# Above this many Harvest invoices one listing costs fewer calls than one GET each.
HARVEST_SINGLE_GETS = 10


@dataclass(frozen=True)
class CurrencyRule:
    xero_currency: str
    clearing_account_code: str


def currency_rules_load(*, integration: Integration) -> dict[str, CurrencyRule]:
    from mappings.models import CurrencyMapping

    return {
        m.harvest_currency.upper(): CurrencyRule(
            xero_currency=m.xero_currency.upper(), clearing_account_code=m.clearing_account_code
        )
        for m in CurrencyMapping.objects.filter(integration=integration)
    }


def expected_xero_currency(*, rules: dict[str, CurrencyRule], harvest_currency: str) -> str:
    rule = rules.get((harvest_currency or "").upper())
    return rule.xero_currency if rule else (harvest_currency or "").upper()


def xero_invoices_by_ids(*, xero, invoice_ids: Iterable[str]) -> list[XeroInvoiceView]:
    """Sales invoices by id (50 per call); an answer without its payments is fetched alone."""
    ids = list(dict.fromkeys(i for i in invoice_ids if i))
    views: list[XeroInvoiceView] = []
    for start in range(0, len(ids), IDS_PER_CALL):
        chunk = ids[start : start + IDS_PER_CALL]
        for invoice in xero.list_invoices(ids=chunk):
            raw = invoice.raw
            if "Payments" not in raw:
                raw = xero.get_invoice(invoice_id=invoice.invoice_id).raw
            if raw.get("Type") == "ACCREC":
                views.append(xero_invoice_view(raw))
    return views


def xero_credit_notes_by_ids(*, xero, credit_note_ids: Iterable[str]) -> list[XeroInvoiceView]:
    """Sales credit notes by id, with the refunds paid out of them."""
    ids = list(dict.fromkeys(i for i in credit_note_ids if i and _GUID.fullmatch(i)))
    views: list[XeroInvoiceView] = []
    for start in range(0, len(ids), CREDIT_NOTE_IDS_PER_CALL):
        chunk = ids[start : start + CREDIT_NOTE_IDS_PER_CALL]
        where = " OR ".join(f'CreditNoteID==guid("{i}")' for i in chunk)
        for note in xero.list_credit_notes(where=where):
            if note.type == "ACCRECCREDIT":
                views.append(xero_credit_note_view(note.raw))
    return views


def xero_invoices_changed(
    *, xero, since: datetime | None
) -> tuple[list[XeroInvoiceView], datetime | None]:
    """Sales invoices modified since the cursor (one call when nothing changed: Xero pages hold
    up to 1,000 and carry each invoice's payments), and where the next read may start."""
    views, newest, read_at = [], None, None
    for invoice in xero.list_invoices(modified_since=since, where='Type=="ACCREC"'):
        # The first page is in: Xero's clock when it answered it.
        read_at = read_at or getattr(xero, "server_time", None)
        if invoice.updated and (newest is None or invoice.updated > newest):
            newest = invoice.updated
        raw = invoice.raw
        if "Payments" not in raw:
            raw = xero.get_invoice(invoice_id=invoice.invoice_id).raw
        views.append(xero_invoice_view(raw))
    read_at = read_at or getattr(xero, "server_time", None)
    return views, read_watermark(newest=newest, read_at=read_at)


def xero_payments_changed(*, xero, since: datetime | None) -> tuple[set[str], datetime | None]:
    """Invoice ids of payments created, changed or deleted since the cursor."""
    invoice_ids, newest, read_at = set(), None, None
    for payment in xero.list_payments(modified_since=since):
        read_at = read_at or getattr(xero, "server_time", None)
        if payment.updated and (newest is None or payment.updated > newest):
            newest = payment.updated
        if payment.invoice_id:
            invoice_ids.add(payment.invoice_id)
    read_at = read_at or getattr(xero, "server_time", None)
    return invoice_ids, read_watermark(newest=newest, read_at=read_at)


@dataclass
class HarvestTargets:
    """Which Harvest invoice each Xero invoice pays, and why some have none."""

    by_xero_id: dict[str, int]
    matched_by_number: dict[str, int]
    unmatched: dict[str, str]


def harvest_targets_resolve(
    *, integration: Integration, harvest, xero_views: list[XeroInvoiceView]
) -> HarvestTargets:
    """The invoice ledger first; then, by policy, Harvest's own numbers for the rest."""
    ids = [v.invoice_id for v in xero_views]
    linked = dict(
        SyncLink.objects.filter(
            integration=integration,
            kind=SyncKind.INVOICE,
            xero_id__in=ids,
            harvest_id__isnull=False,
        ).values_list("xero_id", "harvest_id")
    )
    targets = HarvestTargets(by_xero_id={}, matched_by_number={}, unmatched={})
    pending = []
    for view in xero_views:
        if view.invoice_id in linked:
            targets.by_xero_id[view.invoice_id] = int(linked[view.invoice_id])
        else:
            pending.append(view)
    policy = Integration.PaymentMatchPolicy.BY_NUMBER
    wanted = [v for v in pending if v.settlements]
    if not wanted or integration.payment_match_policy != policy:
        for view in pending:
            targets.unmatched[view.invoice_id] = "not sent to Xero by hxsync"
        return targets
    taken = set(
        SyncLink.objects.filter(
            integration=integration, kind=SyncKind.INVOICE, harvest_id__isnull=False
        ).values_list("harvest_id", flat=True)
    )
    by_number: dict[str, list] = {}
    for invoice in harvest.list_invoices():
        if str(invoice.id) not in taken:
            by_number.setdefault(invoice.number.strip().lower(), []).append(invoice)
    prefix = (integration.invoice_number_prefix or "").strip().lower()
    for view in pending:
        number = view.number.strip().lower()
        if prefix and number.startswith(prefix):
            number = number[len(prefix) :]
        # Numbered by Xero, Harvest's number is in Reference (the "xero" numbering policy).
        reference = view.reference.strip().lower()
        candidates = by_number.get(number) or (by_number.get(reference, []) if reference else [])
        fitting = [
            c
            for c in candidates
            if c.currency.upper() == view.currency.upper() and c.amount == view.total
        ]
        if len(fitting) == 1:
            targets.matched_by_number[view.invoice_id] = fitting[0].id
            targets.by_xero_id[view.invoice_id] = fitting[0].id
        elif candidates:
            targets.unmatched[view.invoice_id] = (
                f"Harvest invoice {view.number} has the same number but a different currency "
                "or total; not matched"
                if not fitting
                else f"several Harvest invoices are numbered {view.number}; not matched"
            )
        else:
            targets.unmatched[view.invoice_id] = "no Harvest invoice with this number"
    return targets


def harvest_invoices_load(*, harvest, invoice_ids: Iterable[int]) -> dict[int, HarvestInvoiceView]:
    """Harvest invoices by id; a missing one is simply absent from the answer."""
    ids = sorted(set(invoice_ids))
    found = {}
    if len(ids) <= HARVEST_SINGLE_GETS:
        for invoice_id in ids:
            try:
                found[invoice_id] = harvest_invoice_view(harvest.get_invoice(invoice_id=invoice_id))
            except NotFound:
                continue
        return found
    wanted = set(ids)
    for invoice in harvest.list_invoices():
        if invoice.id in wanted:
            found[invoice.id] = harvest_invoice_view(invoice)
    return found


def harvest_invoice_view(invoice) -> HarvestInvoiceView:
    return HarvestInvoiceView(
        invoice_id=invoice.id,
        number=invoice.number,
        state=invoice.state,
        currency=invoice.currency,
        amount=invoice.amount,
        due_amount=invoice.due_amount,
    )


def harvest_payments_load(*, harvest, invoice_id: int) -> list[HarvestPaymentView]:
    return [
        HarvestPaymentView(payment_id=p.id, amount=p.amount, notes=p.notes)
        for p in harvest.list_invoice_payments(invoice_id=invoice_id)
    ]

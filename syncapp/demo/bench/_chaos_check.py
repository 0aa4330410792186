"""What `bench chaos` checks at the end, from the sandbox's own stores (never hxsync's ledger):
every eligible Harvest invoice once in Xero with Harvest's totals, every payment once on the
other side.

Invoices are found by the Url hxsync writes (Harvest's invoice); credit notes, which carry none,
by number (Harvest's numbering kept) or by Reference "Harvest #N" (Xero numbers them). Payments
hxsync records in Xero carry "Harvest payment <id>" in Reference; those it records in Harvest carry
"hxsync:<Xero id>" in their notes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from syncapp.demo.bench.invoices import ELIGIBLE

GONE = ("DELETED", "VOIDED")
HARVEST_MARKER = "Harvest payment "
NOTE_TAG = "hxsync:"


def _documents(state) -> dict[int, list[dict]]:
    harvest = state.harvest.invoices
    by_number = {str(inv["number"]).lower(): i for i, inv in harvest.items()}
    docs: dict[int, list[dict]] = defaultdict(list)
    for record in state.xero.invoices.values():
        url = record.get("Url") or ""
        if (
            record.get("Type") != "ACCREC"
            or record.get("Status") in GONE
            or "/invoices/" not in url
        ):
            continue
        docs[int(url.rsplit("/", 1)[-1])].append(record)
    for record in state.xero.credit_notes.values():
        if record.get("Status") in GONE:
            continue
        number = (record.get("CreditNoteNumber") or "").lower()
        reference = (record.get("Reference") or "").lower()
        if reference.startswith("harvest #"):
            number = reference.removeprefix("harvest #").split(" / ")[0]
        if number in by_number:
            docs[by_number[number]].append(record)
    return docs


def invoices_verify(*, state, numbering: str, trigger: str = "open") -> dict[str, Any]:
    harvest = state.harvest.invoices
    docs = _documents(state)
    # Numbers the seed deliberately took in Xero go to review when Harvest's number is kept.
    seeded = getattr(state.xero, "seed_info", {})
    taken = {n.lower() for n in seeded.get("colliding_invoice_numbers", [])}
    collisions = {
        i
        for i, inv in harvest.items()
        if numbering != "xero" and str(inv["number"]).lower() in taken
    }
    eligible = [
        i for i, inv in harvest.items() if inv["state"] in ELIGIBLE[trigger] and i not in collisions
    ]
    mismatched = []
    for harvest_id, found in docs.items():
        invoice = harvest[harvest_id]
        sign = -1 if invoice["amount"] < 0 else 1
        total = Decimal(str(invoice["amount"])) * sign
        tax = (Decimal(str(invoice["tax_amount"])) + Decimal(str(invoice["tax2_amount"]))) * sign
        if any((record["Total"], record["TotalTax"]) != (total, tax) for record in found):
            mismatched.append(harvest_id)
    lost = [i for i in eligible if i not in docs]
    return {
        "eligible": len(eligible),
        "in_xero": len(docs),
        "invoice_duplicates": sum(len(found) - 1 for found in docs.values()),
        "invoices_lost": len(lost),
        "lost_ids": lost[:20],
        "mismatched_totals": len(mismatched),
        "mismatched_ids": mismatched[:20],
    }


def payments_verify(*, state, xero_payment_ids: set[str]) -> dict[str, Any]:
    """Duplicates both ways; lost: a payment finance made in Xero that never reached Harvest."""
    in_xero = Counter(
        p["Reference"]
        for p in state.xero.payments.values()
        if p.get("Status") not in GONE and str(p.get("Reference") or "").startswith(HARVEST_MARKER)
    )
    in_harvest: Counter = Counter()
    for invoice in state.harvest.invoices.values():
        for payment in invoice["_payments"]:
            notes = payment.get("notes") or ""
            if NOTE_TAG in notes:
                tag = notes.split(NOTE_TAG, 1)[1].rstrip(")").lower()
                in_harvest[(invoice["id"], tag)] += 1
    mirrored = {tag for _, tag in in_harvest}
    lost = [p for p in xero_payment_ids if p.lower() not in mirrored]
    return {
        "payments_to_xero": len(in_xero),
        "payments_to_harvest": len(in_harvest),
        "payment_duplicates": sum(n - 1 for n in in_xero.values())
        + sum(n - 1 for n in in_harvest.values()),
        "payments_lost": len(lost),
        "lost_payment_ids": lost[:20],
    }


def case_verify(*, state, numbering: str, xero_payment_ids: set[str]) -> dict[str, Any]:
    invoices = invoices_verify(state=state, numbering=numbering)
    payments = payments_verify(state=state, xero_payment_ids=xero_payment_ids)
    return {
        "duplicates": invoices["invoice_duplicates"] + payments["payment_duplicates"],
        "lost": invoices["invoices_lost"] + payments["payments_lost"],
        **invoices,
        **payments,
    }

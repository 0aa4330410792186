"""Write off in Xero an invoice that was closed in Harvest without full payment, once finance
approved it (or chose the policy): what Xero allows depends on what it already holds, so the
invoice is read first.

- Draft or submitted: deleted. Approved with nothing paid or credited: voided (the invoices
  flow's ordinary VOID write).
- Something paid: Xero forbids voiding it, so a credit note for what is still due is created and
  allocated to it (PUT /CreditNotes, then PUT /CreditNotes/{id}/Allocations). The invoice's ledger
  row is SENDING with a deterministic Idempotency-Key before either request; a row left SENDING
  is repaired by searching Xero for the credit note (by Reference) before creating one again.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from syncapp.flows.invoices.ledger import links_send, links_write
from syncapp.flows.invoices.plan import VOID, Operation
from syncapp.models import SyncEvent, SyncLink
from syncapp.providers.errors import ApiError, AuthExpired

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _reference(op: Operation) -> str:
    return f"Write-off of {op.label} (closed in Harvest)"


def credit_note_lines(*, invoice: dict, amount: Decimal) -> tuple[str, list[dict]]:
    """Lines crediting `amount` (tax included) in proportion to the invoice's own lines, grouped
    by account and tax rate, so the tax written back is the invoice's own. Returns the credit
    note's LineAmountTypes and its lines; their total is exactly `amount`."""
    amounts_are = invoice.get("LineAmountTypes") or "Exclusive"
    groups: dict[tuple[str, str], Decimal] = {}
    for line in invoice.get("LineItems") or ():
        gross = Decimal(str(line.get("LineAmount") or 0))
        if amounts_are == "Exclusive":
            gross += Decimal(str(line.get("TaxAmount") or 0))
        key = (line.get("AccountCode") or "", line.get("TaxType") or "")
        groups[key] = groups.get(key, ZERO) + gross
    whole = sum(groups.values(), ZERO)
    keys = [k for k, v in groups.items() if v] or list(groups)
    lines, left = [], amount
    for index, key in enumerate(keys):
        if index == len(keys) - 1 or not whole:
            share = left
        else:
            share = (amount * groups[key] / whole).quantize(CENT, rounding=ROUND_HALF_UP)
        left -= share
        line = {"Description": "Written off (closed in Harvest)", "Quantity": Decimal(1)}
        line["UnitAmount"] = share
        if key[0]:
            line["AccountCode"] = key[0]
        if key[1]:
            line["TaxType"] = key[1]
        lines.append(line)
    return ("NoTax" if amounts_are == "NoTax" else "Inclusive"), lines


def write_offs_apply(*, applier, operations: list[Operation]) -> None:
    xero = applier.xero
    wanted = [op for op in operations if op.kind == "invoice" and op.link and op.link.xero_id]
    for op in operations:
        if op not in wanted:
            applier._record(
                SyncEvent.Action.CONFLICT,
                op,
                message="hxsync writes off invoices only; handle this credit note in Xero.",
            )
    if not wanted:
        return
    found = {i.invoice_id: i for i in xero.list_invoices(ids=[op.link.xero_id for op in wanted])}
    voids = []
    for op in wanted:
        invoice = found.get(op.link.xero_id)
        if invoice is None:
            applier._record(SyncEvent.Action.FAIL, op, message="Not found in Xero any more.")
            continue
        paid = (invoice.amount_paid or ZERO) + (invoice.amount_credited or ZERO)
        due = invoice.amount_due or ZERO
        if invoice.status in ("DRAFT", "SUBMITTED") or (
            invoice.status == "AUTHORISED" and not paid
        ):
            op.link.snapshot = {**(op.link.snapshot or {}), "status": invoice.status}
            voids.append(
                replace(
                    op,
                    action=VOID,
                    reason="Voided in Xero: closed in Harvest without payment (written off).",
                )
            )
        elif invoice.status == "AUTHORISED" and due > 0:
            _credit_rest(applier=applier, op=op, invoice=invoice, due=due)
        else:
            _settle(
                applier,
                op,
                op.link,
                done=f"Nothing left to write off: {invoice.status.lower()} in Xero.",
                action=SyncEvent.Action.SKIP,
            )
    if voids:
        applier._write(voids, VOID)
        for op in voids:
            if op.link.state == SyncLink.State.VOIDED:
                op.link.snapshot["write_off"] = {"done": op.reason}
                links_write(links=[op.link])


def _credit_rest(*, applier, op: Operation, invoice, due: Decimal) -> None:
    xero = applier.xero
    repairing = op.link.state == SyncLink.State.SENDING
    sending = replace(op, reason=f"write-off credit note {invoice.currency_code} {due}")
    link = links_send(integration=applier.integration, operations=[sending])[op.harvest_id]
    key = link.idempotency_key
    credit_id = ""
    if repairing:
        # An earlier attempt's answer was lost: the credit note may exist; never create two.
        where = f'Reference=="{_reference(op)}" AND Status!="VOIDED" AND Status!="DELETED"'
        existing = next(iter(xero.list_credit_notes(where=where)), None)
        credit_id = existing.credit_note_id if existing else ""
    amounts_are, lines = credit_note_lines(invoice=invoice.raw, amount=due)
    today = timezone.localdate().isoformat()
    try:
        if not credit_id:
            result = xero.create_credit_notes(
                credit_notes=[
                    {
                        "Type": "ACCRECCREDIT",
                        "Contact": {"ContactID": invoice.contact_id},
                        "Date": today,
                        "Status": "AUTHORISED",
                        "CurrencyCode": invoice.currency_code,
                        "Reference": _reference(op),
                        "LineAmountTypes": amounts_are,
                        "LineItems": lines,
                    }
                ],
                idempotency_key=f"{key[:120]}:cn",
            )
            record = result.results[0]
            if not record.ok:
                _refused(applier, op, link, record.error_text)
                return
            credit_id = record.xero_id
        xero.allocate_credit_note(
            credit_note_id=credit_id,
            allocations=[
                {"Invoice": {"InvoiceID": invoice.invoice_id}, "Amount": due, "Date": today}
            ],
            idempotency_key=f"{key[:117]}:alloc",
        )
    except AuthExpired:
        raise
    except ApiError as exc:
        if exc.retryable or exc.maybe_applied:
            applier._record(
                SyncEvent.Action.FAIL,
                op,
                message="Xero's answer never arrived; the next run checks Xero before resending.",
                link=link,
            )
            return
        _refused(applier, op, link, str(exc))
        return
    done = (
        f"Written off in Xero: credit note for {invoice.currency_code} {due} (what was still "
        "due) allocated to the invoice."
    )
    link.snapshot = {**(link.snapshot or {}), "write_off_credit_note": credit_id}
    _settle(applier, op, link, done=done, action=SyncEvent.Action.UPDATE)


def _settle(applier, op: Operation, link: SyncLink, *, done: str, action: str) -> None:
    link.state = SyncLink.State.SYNCED
    link.last_error = ""
    link.synced_at = timezone.now()
    link.snapshot = {**(link.snapshot or {}), "write_off": {"done": done}}
    links_write(links=[link])
    applier._record(action, op, message=done, link=link)


def _refused(applier, op: Operation, link: SyncLink, error: str) -> None:
    link.state = SyncLink.State.CONFLICT
    link.last_error = error
    write_off = {**(link.snapshot or {}).get("write_off", {}), "flagged": True}
    write_off.pop("approved_by", None)
    link.snapshot = {**(link.snapshot or {}), "write_off": write_off}
    links_write(links=[link])
    applier._record(
        SyncEvent.Action.CONFLICT,
        op,
        message="Xero refused the write-off; it needs finance's decision.",
        api_error=error,
        link=link,
    )

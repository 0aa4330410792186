"""One Harvest invoice -> the Xero invoice (or credit note) to send, and what Xero must total
(no I/O: every input is plain data, see MappingContext).

Lines keep Harvest's Description, Quantity and UnitAmount; the invoice discount becomes the same
DiscountRate on each line; taxes become each line's TaxType (tax.py); accounts follow the
documented precedence (accounts.py). Where Xero's per-line rounding would land a cent away from
Harvest's invoice-level rounding, the exact figure is spread over the lines (money.py): a
DiscountAmount per line instead of the rate, or a TaxAmount on the lines concerned (Xero lets a
line's TaxAmount be overridden: LineItem.TaxAmount in the Accounting API). So Xero's SubTotal,
TotalTax and Total equal Harvest's by construction; the apply step still compares them after
every write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from syncapp.flows.invoices.accounts import (
    AccountRules,
    EntryFact,
    line_account_choose,
    line_task_infer,
)
from syncapp.flows.invoices.money import (
    ZERO,
    cents_allocate,
    money,
    places,
    xero_line_net,
    xero_line_tax,
)
from syncapp.flows.invoices.tax import (
    TaxRule,
    TaxUnmapped,
    XeroRate,
    tax_applies,
    tax_choose,
)
from syncapp.flows.xero_text import (
    DOCUMENT_NUMBER,
    LINE_DESCRIPTION,
    too_long_reason,
    xero_clip,
)

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
MAX_TRACKING = 2  # Xero accepts at most two tracking categories per line


@dataclass(frozen=True)
class MappingContext:
    """Everything the mapping reads besides the invoice itself."""

    xero_status: str = "DRAFT"
    numbering: str = "keep_harvest"  # or "xero"
    number_prefix: str = ""
    default_tax_type: str = ""
    accounts: AccountRules | None = None
    tax_rules: Sequence[TaxRule] = ()
    tax_rates: Mapping[str, XeroRate] = field(default_factory=dict)
    # (scope, harvest id) -> ((category, option), ...)
    tracking: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    currencies: Mapping[str, str] = field(default_factory=dict)  # Harvest -> Xero code
    harvest_url: str = ""  # e.g. https://acme.harvestapp.com
    entries: Mapping[str, Sequence[EntryFact]] = field(default_factory=dict)  # by invoice id


@dataclass(frozen=True)
class Expected:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "SubTotal": str(self.sub_total),
            "TotalTax": str(self.total_tax),
            "Total": str(self.total),
        }


@dataclass
class MappedDocument:
    harvest_id: str
    kind: str  # INVOICE or CREDIT_NOTE
    label: str
    payload: dict[str, Any]
    expected: Expected
    explain: list[dict[str, Any]]
    errors: list[str]
    # Harvest tax combinations no Xero rate covers yet: the invoice waits (not a failure).
    tax_missing: list[tuple] = field(default_factory=list)

    @property
    def number_field(self) -> str:
        return "InvoiceNumber" if self.kind == INVOICE else "CreditNoteNumber"


def _number(value: Decimal) -> Decimal:
    """A canonical Decimal (no trailing zeros), so the payload hash depends on value only."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def _rounding_only(difference: Decimal, lines: int, what: str, errors: list[str]) -> bool:
    """Per-line rounding moves a total by at most half a cent per line (plus Harvest's own
    half cent); anything larger is a real difference that must not be papered over."""
    if abs(difference) <= Decimal("0.01") * (lines + 1):
        return True
    errors.append(
        f"Xero would compute a {what} {abs(difference)} away from Harvest's; this is not "
        "rounding. Check the tax and discount mappings."
    )
    return False


def _exact(line) -> bool:
    """Xero keeps 4 decimals of Quantity and 2 of UnitAmount: can it hold this line as is?"""
    return (
        places(line.quantity) <= 4
        and places(line.unit_price) <= 2
        and money(line.quantity * line.unit_price) == money(line.amount)
    )


def invoice_is_credit(*, invoice) -> bool:
    return invoice.amount < 0


def invoice_reference(*, invoice, numbering: str) -> str:
    if numbering == "xero":
        reference = f"Harvest #{invoice.number}"
        return f"{reference} / {invoice.purchase_order}" if invoice.purchase_order else reference
    return invoice.purchase_order


def invoice_map(
    *, invoice, contact_id: str, ctx: MappingContext, discount_rate_ok: bool = True
) -> MappedDocument:
    """Map one HarvestInvoice (providers.harvest.invoice_types) to a Xero document payload."""
    credit = invoice_is_credit(invoice=invoice)
    sign = Decimal(-1) if credit else Decimal(1)
    errors: list[str] = []
    explain: list[dict[str, Any]] = []
    currency = ctx.currencies.get(invoice.currency, invoice.currency)
    client_id = str(invoice.client.id) if invoice.client else ""
    entries = ctx.entries.get(str(invoice.id), ())

    target_total = money(sign * invoice.amount)
    target_tax = money(sign * (invoice.tax_amount + invoice.tax2_amount))
    target_net = target_total - target_tax
    lines = invoice.line_items
    gross = [money(sign * line.amount) for line in lines]

    # Xero discounts Quantity x UnitAmount before rounding it, so predict from the product.
    exact = [_exact(line) for line in lines]
    raw = [
        sign * line.quantity * line.unit_price if ok else g
        for line, ok, g in zip(lines, exact, gross, strict=True)
    ]
    discount = invoice.discount or ZERO
    use_rate = bool(discount) and discount_rate_ok and not credit
    nets = [xero_line_net(gross=r, discount_rate=discount or None) for r in raw]
    if bool(discount) and (not use_rate or sum(nets, ZERO) != target_net):
        # Per-line rates land a cent or two away from Harvest's single rounding: send each
        # line's discount as an amount, spread so the lines add up to Harvest's figure.
        use_rate = False
        _rounding_only(sum(nets, ZERO) - target_net, len(lines), "subtotal", errors)
        nets = cents_allocate(target=target_net, amounts=nets, weights=gross)
        # Xero subtracts DiscountAmount from the unrounded Quantity x UnitAmount; a line whose
        # product has more than 2 decimals goes as its rounded amount so nothing re-rounds.
        exact = [ok and r == g for ok, r, g in zip(exact, raw, gross, strict=True)]
    elif not discount and sum(nets, ZERO) != target_net:
        errors.append(
            f"Harvest's line amounts add up to {sum(nets, ZERO)} but its subtotal is "
            f"{target_net}; the invoice is not sent until Harvest's figures agree."
        )

    taxes: list = []
    tax_missing: list[tuple] = []
    for index, line in enumerate(lines):
        applies = tax_applies(
            taxed=line.taxed, taxed2=line.taxed2, tax=invoice.tax, tax2=invoice.tax2
        )
        try:
            taxes.append(
                tax_choose(
                    applies=applies,
                    tax=invoice.tax,
                    tax2=invoice.tax2,
                    rules=ctx.tax_rules,
                    rates=ctx.tax_rates,
                    default_tax_type=ctx.default_tax_type,
                )
            )
        except TaxUnmapped as exc:
            if exc.missing is None:
                errors.append(f"Line {index + 1}: {exc}")
            elif exc.missing not in tax_missing:
                tax_missing.append(exc.missing)
            taxes.append(None)
    computed_tax = [
        xero_line_tax(net=net, rate=choice.rate) if choice else ZERO
        for net, choice in zip(nets, taxes, strict=True)
    ]
    line_tax = computed_tax
    if sum(computed_tax, ZERO) != target_tax and None not in taxes:
        weights = [
            net if (choice and choice.rate) else ZERO
            for net, choice in zip(nets, taxes, strict=True)
        ]
        if _rounding_only(sum(computed_tax, ZERO) - target_tax, len(lines), "tax", errors):
            line_tax = cents_allocate(target=target_tax, amounts=computed_tax, weights=weights)

    items = []
    for index, line in enumerate(lines):
        project_id = str(line.project.id) if line.project else ""
        task_id = (
            line_task_infer(
                project_id=project_id,
                description=line.description,
                quantity=line.quantity,
                entries=entries,
            )
            if entries and project_id
            else ""
        )
        account = (
            line_account_choose(
                rules=ctx.accounts,
                project_id=project_id,
                task_id=task_id,
                item_category=line.kind,
                client_id=client_id,
                currency=currency,
            )
            if ctx.accounts is not None
            else None
        )
        if account is None or not account.code:
            errors.append(
                f"Line {index + 1}: no account: no mapping rule applies and the integration has "
                "no default account. Set one in Integrations or add an account mapping."
            )
        # Free text (LineItem Description, 4000 characters in Xero): shortened, never refused.
        description = xero_clip(
            (line.description or line.kind or "Harvest invoice line").strip(), LINE_DESCRIPTION
        )
        quantity, unit = line.quantity, line.unit_price
        if credit or not exact[index]:
            # Credit notes take no discount fields, and Xero keeps 2 decimals on UnitAmount:
            # send the line's own amount so nothing is lost to rounding.
            if exact[index] and (quantity != 1 or discount):
                note = f"{_number(quantity)} × {_number(unit)}"
                if discount:
                    note += f", less {_number(discount)} % discount"
                description = xero_clip(f"{description} ({note})", LINE_DESCRIPTION)
            quantity, unit = Decimal(1), (nets[index] if credit else gross[index])
        item: dict[str, Any] = {
            "Description": description,
            "Quantity": _number(quantity),
            "UnitAmount": _number(unit),
        }
        if not credit and discount:
            if use_rate:
                item["DiscountRate"] = _number(discount)
            else:
                item["DiscountAmount"] = money(gross[index] - nets[index])
        if account is not None and account.code:
            item["AccountCode"] = account.code
            if account.item_code:
                item["ItemCode"] = account.item_code
        choice = taxes[index]
        if choice is not None:
            item["TaxType"] = choice.tax_type
            if line_tax[index] != computed_tax[index]:
                item["TaxAmount"] = line_tax[index]
        tracking = _tracking(ctx=ctx, project_id=project_id, client_id=client_id)
        if len(tracking) > MAX_TRACKING:
            errors.append(
                f"Line {index + 1}: {len(tracking)} tracking categories map to this line; "
                f"Xero takes at most {MAX_TRACKING}."
            )
        elif tracking:
            item["Tracking"] = [{"Name": name, "Option": option} for name, option in tracking]
        items.append(item)
        explain.append(
            {
                "line": index + 1,
                "description": description[:120],
                "amount": str(nets[index]),
                "project_id": project_id,
                "task_id": task_id,
                "item_category": line.kind,
                "account_code": account.code if account else "",
                "account_scope": account.scope if account else "",
                "account_rule": account.explanation if account else "",
                "account_rule_id": account.rule_id if account else None,
                "tax_type": choice.tax_type if choice else "",
                "tax_rule": choice.rule if choice else "",
                "tax_amount": str(line_tax[index]),
            }
        )
    if not lines:
        errors.append("The Harvest invoice has no line items.")

    payload = _header(
        invoice=invoice, contact_id=contact_id, ctx=ctx, credit=credit, currency=currency
    )
    number = payload.get("CreditNoteNumber" if credit else "InvoiceNumber", "")
    # The number identifies the document (Xero searches and de-duplicates on it): an over-long
    # one (InvoiceNumber maxLength 255) fails this invoice with what to fix, never shortened.
    too_long = too_long_reason(
        what="credit note number" if credit else "invoice number",
        value=number,
        limit=DOCUMENT_NUMBER,
        fix="Shorten it in Harvest." if not ctx.number_prefix else
        "Shorten it in Harvest or the integration's number prefix.",
    )
    if too_long:
        errors.append(too_long)
    payload["LineItems"] = items
    return MappedDocument(
        harvest_id=str(invoice.id),
        kind=CREDIT_NOTE if credit else INVOICE,
        label=f"{ctx.number_prefix}{invoice.number}",
        payload=payload,
        expected=Expected(sub_total=target_net, total_tax=target_tax, total=target_total),
        explain=explain,
        errors=errors,
        tax_missing=tax_missing,
    )


def _tracking(*, ctx: MappingContext, project_id: str, client_id: str) -> list[tuple[str, str]]:
    """Project mappings win over client mappings for the same tracking category."""
    chosen: dict[str, str] = {}
    for scope, key in (("client", client_id), ("project", project_id)):
        for category, option in ctx.tracking.get((scope, key), ()) if key else ():
            chosen[category] = option
    return sorted(chosen.items())


def _header(*, invoice, contact_id: str, ctx: MappingContext, credit: bool, currency: str) -> dict:
    header: dict[str, Any] = {
        "Type": "ACCRECCREDIT" if credit else "ACCREC",
        "Contact": {"ContactID": contact_id},
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": currency,
        "Status": ctx.xero_status,
    }
    if invoice.issue_date:
        header["Date"] = invoice.issue_date.isoformat()
    if invoice.due_date and not credit:
        header["DueDate"] = invoice.due_date.isoformat()
    if ctx.numbering != "xero":
        header["CreditNoteNumber" if credit else "InvoiceNumber"] = (
            f"{ctx.number_prefix}{invoice.number}"
        )
    reference = invoice_reference(invoice=invoice, numbering=ctx.numbering)
    if reference:
        header["Reference"] = reference[:255]
    if invoice.sent_at and ctx.xero_status == "AUTHORISED" and not credit:
        # Xero only sends its own reminders for invoices it believes were sent.
        header["SentToContact"] = True
    if ctx.harvest_url and not credit:
        header["Url"] = f"{ctx.harvest_url.rstrip('/')}/invoices/{invoice.id}"
    return header

"""What to do with each Harvest invoice (pure: invoices + ledger + contacts + policies ->
operations; no I/O).

- Not in a trigger state: skipped, unless it was synced and went back to draft: then "removed".
- Its client has no Xero contact yet, or is in review: HOLD with the contacts flow's reason.
- A currency Xero has not enabled (policy "fail"), a date on or before Xero's lock date for an
  approved invoice, an action the organisation may not perform: HOLD with what to do.
- Mapping errors: FAIL with the reason; not sent again until the payload changes.
- Ledger row SENDING (outcome unknown after a crash or a lost answer): REPAIR (search, then send).
- Synced and the payload hash unchanged: SKIP. Changed: UPDATE (unless Xero already refused this
  exact payload: then it waits for finance, no loop).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from syncapp.flows.invoices.mapping import (
    MappedDocument,
    MappingContext,
    invoice_is_credit,
    invoice_map,
)
from syncapp.models import SyncLink
from syncapp.services.ledger import payload_hash

CREATE, UPDATE, REPAIR, VOID, HOLD, SKIP, FAIL, FLAG, WRITE_OFF = (
    "create",
    "update",
    "repair",
    "void",
    "hold",
    "skip",
    "fail",
    "flag",
    "write_off",
)
# Harvest's "closed" is closed without full payment (a write-off); a paid invoice is "paid".
CLOSED_REASON = "Closed in Harvest without full payment (written off); not sent to Xero."
TRIGGER_STATES = {
    "open": frozenset({"open", "paid", "closed"}),
    "draft": frozenset({"draft", "open", "paid", "closed"}),
}


@dataclass(frozen=True)
class PlanPolicy:
    trigger: str = "open"
    currency_policy: str = "fail"  # or "enable"
    removed_policy: str = "flag"  # or "void"
    closed_policy: str = "flag"  # or "write_off"
    currency_codes: frozenset[str] = frozenset()
    lock_date: date | None = None
    allowed_actions: Mapping[str, bool] = field(default_factory=dict)
    # Xero's chart (code -> status) when known: unknown or archived codes fail before any write.
    account_status: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Operation:
    action: str
    harvest_id: str
    label: str
    kind: str = "invoice"
    doc: MappedDocument | None = None
    link: SyncLink | None = None
    reason: str = ""
    raw: dict | None = None  # the Harvest invoice as read, kept on held/failed ledger rows
    # What a held invoice waits for in Xero ({"currency": "EUR"} or {"taxes": [[applies, tax %,
    # tax2 %], ...]}), kept on its ledger row for the preflight page's fixes.
    wait: dict | None = None

    @property
    def payload_hash(self) -> str:
        return payload_hash(self.doc.payload) if self.doc else ""


def invoice_plan(
    *,
    invoice,
    link: SyncLink | None,
    contact: tuple[str | None, str | None],
    ctx: MappingContext,
    policy: PlanPolicy,
) -> Operation:
    harvest_id = str(invoice.id)
    label = f"{ctx.number_prefix}{invoice.number}"
    base = {
        "harvest_id": harvest_id,
        "label": label,
        "link": link,
        "raw": invoice.raw,
        "kind": "credit_note" if invoice_is_credit(invoice=invoice) else "invoice",
    }
    if invoice.state not in TRIGGER_STATES.get(policy.trigger, TRIGGER_STATES["open"]):
        if link is not None and link.state == SyncLink.State.CONFLICT:
            return Operation(SKIP, reason=link.last_error or "waiting for finance", **base)
        if link is not None and link.xero_id and link.state != SyncLink.State.VOIDED:
            base["kind"] = link.kind
            return _removed(policy=policy, why=f"it is back to {invoice.state} in Harvest", **base)
        return Operation(SKIP, reason=f"{invoice.state} in Harvest: not synced yet", **base)
    if invoice.state == "closed":
        closed = _closed(invoice=invoice, link=link, policy=policy, base=base)
        if closed is not None:
            return closed
    contact_id, hold_reason = contact
    if not contact_id:
        return Operation(HOLD, reason=hold_reason or "The client has no Xero contact yet.", **base)
    doc = invoice_map(invoice=invoice, contact_id=contact_id, ctx=ctx)
    currency = doc.payload.get("CurrencyCode", "")
    if currency not in policy.currency_codes and policy.currency_policy != "enable":
        return Operation(
            HOLD,
            doc=doc,
            reason=(
                f"Xero has no {currency} enabled. Enable it from the invoice preflight page (or "
                "in Xero, Settings › Currencies), or set the integration's currency policy to "
                "'Enable the currency in Xero'; the invoice waits until then."
            ),
            wait={"currency": currency},
            **base,
        )
    held = _org_hold(doc=doc, policy=policy, ctx=ctx, invoice=invoice)
    if held:
        return Operation(HOLD, doc=doc, reason=held, **base)
    errors = doc.errors + _account_errors(doc=doc, policy=policy)
    if doc.tax_missing:
        combos = "; ".join(tax_combination_label(*combo) for combo in doc.tax_missing)
        return Operation(
            HOLD,
            doc=doc,
            reason=(
                f"No Xero tax rate for {combos}: create the rate in Xero or map it to an "
                "existing one on the invoice preflight page; the invoice waits until then."
                + (f" Also: {' '.join(errors)}" if errors else "")
            ),
            wait={
                "taxes": [
                    [a, f"{t.normalize():f}", f"{t2.normalize():f}"] for a, t, t2 in doc.tax_missing
                ]
            },
            **base,
        )
    if errors:
        return Operation(FAIL, doc=doc, reason=" ".join(errors), **base)
    hashed = payload_hash(doc.payload)
    if link is None or not link.xero_id:
        if link is not None and link.state == SyncLink.State.SENDING:
            return Operation(REPAIR, doc=doc, **base)
        if link is not None and (link.snapshot or {}).get("failed_hash") == hashed:
            return Operation(
                SKIP, doc=doc, reason="Xero refused this version; see the ledger", **base
            )
        return Operation(CREATE, doc=doc, **base)
    if link.kind != doc.kind:
        return Operation(
            FLAG,
            doc=doc,
            reason=(
                f"The Harvest invoice changed sign: it was sent as a {link.get_kind_display()} "
                f"and is now a {'credit note' if doc.kind == 'credit_note' else 'invoice'}. "
                "Void the Xero document and resync."
            ),
            **base,
        )
    if link.state == SyncLink.State.SENDING:
        return Operation(UPDATE, doc=doc, **base)
    if link.payload_hash == hashed:
        return Operation(SKIP, doc=doc, reason="unchanged", **base)
    if (link.snapshot or {}).get("refused_hash") == hashed:
        return Operation(
            SKIP, doc=doc, reason="Xero refused this change; waiting for finance", **base
        )
    return Operation(UPDATE, doc=doc, **base)


def _closed(*, invoice, link: SyncLink | None, policy: PlanPolicy, base: dict):
    """A closed Harvest invoice never creates a Xero one; one already in Xero is written off
    there only when finance approved it (or chose the write-off policy). An unanswered create
    (SENDING, no Xero id) goes on to the repair, which finds it before anything is resent."""
    if link is None or not link.xero_id:
        if link is not None and link.state == SyncLink.State.SENDING:
            return None
        return Operation(HOLD, reason=CLOSED_REASON, **base)
    if link.state == SyncLink.State.VOIDED:
        return Operation(SKIP, reason="closed in Harvest; void in Xero", **base)
    base["kind"] = link.kind
    write_off = (link.snapshot or {}).get("write_off") or {}
    if write_off.get("done"):
        return Operation(SKIP, reason=write_off.get("done"), **base)
    if write_off.get("approved_by") or policy.closed_policy == "write_off":
        who = write_off.get("approved_by") or "the integration's closed-invoice policy"
        return Operation(WRITE_OFF, reason=f"Written off in Harvest; approved by {who}", **base)
    if link.state == SyncLink.State.CONFLICT and write_off.get("flagged"):
        return Operation(SKIP, reason=link.last_error or "waiting for finance", **base)
    due = f" with {invoice.currency} {invoice.due_amount} unpaid" if invoice.due_amount else ""
    return Operation(
        FLAG,
        reason=(
            f"Closed in Harvest{due} (written off), but it is open in Xero. Finance decides: "
            "'Write off in Xero' voids it when nothing is paid there, otherwise adds a credit "
            "note for what is still due."
        ),
        **base,
    )


def tax_combination_label(applies: str, tax, tax2) -> str:
    """How finance reads a Harvest tax combination: "tax 7.5 %", "tax 5 % + tax2 9.975 %"."""

    def pct(value) -> str:
        return f"{Decimal(str(value)).normalize():f} %"

    return {
        "none": "untaxed lines",
        "tax": f"tax {pct(tax)}",
        "tax2": f"tax2 {pct(tax2)}",
        "both": f"tax {pct(tax)} + tax2 {pct(tax2)}",
    }.get(applies, applies)


def _account_errors(*, doc: MappedDocument, policy: PlanPolicy) -> list[str]:
    if not policy.account_status:
        return []
    errors = []
    for code in sorted({line.get("AccountCode", "") for line in doc.payload["LineItems"]} - {""}):
        status = policy.account_status.get(code)
        if status is None:
            errors.append(
                f"Account {code} is not in Xero's chart of accounts: fix the mapping (or refresh "
                "Xero's settings on the preflight page if it was just added)."
            )
        elif status == "ARCHIVED":
            errors.append(
                f"Account {code} is archived in Xero: restore it there or map these lines to "
                "another account."
            )
    return errors


def _org_hold(*, doc: MappedDocument, policy: PlanPolicy, ctx: MappingContext, invoice) -> str:
    approved = ctx.xero_status == "AUTHORISED"
    if doc.kind == "credit_note":
        action = "CreateApprovedSalesCreditNote" if approved else "CreateDraftSalesCreditNote"
    else:
        action = "CreateApprovedInvoice" if approved else "CreateDraftInvoice"
    if policy.allowed_actions.get(action, True) is False:
        return (
            f"This Xero organisation may not {action} through the API (Organisation/Actions); "
            "check its plan or edition, or send invoices as drafts."
        )
    if (
        approved
        and policy.lock_date
        and invoice.issue_date
        and invoice.issue_date <= policy.lock_date
    ):
        return (
            f"Dated {invoice.issue_date.isoformat()}, on or before Xero's lock date "
            f"{policy.lock_date.isoformat()}: approved invoices cannot be posted there. Move the "
            "lock date in Xero (Advisor › Financial settings) or send invoices as drafts."
        )
    return ""


def _removed(*, policy: PlanPolicy, why: str, **base) -> Operation:
    if policy.removed_policy == "void":
        return Operation(VOID, reason=f"Voided in Xero because {why}", **base)
    return Operation(FLAG, reason=f"Left in Xero although {why} (policy: flag)", **base)


def removed_plan(
    *, links: Iterable[SyncLink], seen: set[str], policy: PlanPolicy
) -> list[Operation]:
    """After a complete read of Harvest's invoices only (ARCHITECTURE rule 7): synced ledger
    rows whose Harvest invoice no longer exists."""
    operations = []
    for link in links:
        if link.harvest_id in seen or not link.xero_id:
            continue
        if link.state in (SyncLink.State.VOIDED, SyncLink.State.CONFLICT):
            continue
        operations.append(
            _removed(
                policy=policy,
                why="it was deleted in Harvest",
                harvest_id=link.harvest_id,
                label=link.label,
                link=link,
                kind=link.kind,
                raw=None,
            )
        )
    return operations

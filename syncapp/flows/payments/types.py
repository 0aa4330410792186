"""The payments flow's value types: what the plan reads and what it decides (no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")

SOURCE_PAYMENT = "payment"
SOURCE_CREDIT_NOTE = "credit_note"
SOURCE_OVERPAYMENT = "overpayment"
SOURCE_PREPAYMENT = "prepayment"

DIRECTION_FROM_XERO = "xero_to_harvest"
DIRECTION_FROM_HARVEST = "harvest_to_xero"

# Written into the Reference of a Xero payment hxsync records from Harvest (the other direction),
# so the Xero -> Harvest pass never mirrors it back.
HARVEST_MARKER = "Harvest payment "
HARVEST_MARKER_RE = re.compile(r"Harvest payment (\d+)")
# Every note hxsync writes on a Harvest payment carries this tag followed by the ledger key.
NOTE_TAG = "hxsync:"

# Allocation kinds on a Xero invoice: (list field, id field, key prefix, source, label)
ALLOCATIONS = (
    ("CreditNotes", "CreditNoteID", "cn", SOURCE_CREDIT_NOTE, "Xero credit note"),
    ("Overpayments", "OverpaymentID", "op", SOURCE_OVERPAYMENT, "Xero overpayment"),
    ("Prepayments", "PrepaymentID", "pp", SOURCE_PREPAYMENT, "Xero prepayment"),
)


@dataclass(frozen=True)
class Settlement:
    """One thing that lowered a Xero invoice's AmountDue."""

    key: str
    source: str
    amount: Decimal
    paid_on: date | None
    label: str
    reference: str = ""

    @property
    def from_harvest(self) -> bool:
        """A payment hxsync itself recorded in Xero from a Harvest payment."""
        return bool(HARVEST_MARKER_RE.search(self.reference))

    def note(self) -> str:
        detail = f" — {self.reference}" if self.reference and self.source == SOURCE_PAYMENT else ""
        return f"{self.label}{detail} ({NOTE_TAG}{self.key})"


@dataclass(frozen=True)
class XeroInvoiceView:
    """The facts the plan needs from a Xero invoice (built from its raw JSON)."""

    invoice_id: str
    number: str
    status: str
    currency: str
    total: Decimal | None
    amount_due: Decimal | None
    settlements: tuple[Settlement, ...]
    # False when the answer did not list the payments (a summary): nothing may be removed then.
    complete: bool
    reference: str = ""


@dataclass(frozen=True)
class HarvestInvoiceView:
    invoice_id: int
    number: str
    state: str
    currency: str
    amount: Decimal
    due_amount: Decimal


@dataclass(frozen=True)
class HarvestPaymentView:
    payment_id: int
    amount: Decimal
    notes: str


@dataclass(frozen=True)
class LinkView:
    """A payment row of the ledger, as the plan sees it."""

    xero_key: str
    state: str
    harvest_payment_id: str | None
    amount: Decimal | None
    direction: str = DIRECTION_FROM_XERO


@dataclass(frozen=True)
class PaymentOp:
    """One thing to do. action: create, adopt, remove, replace, hold, drop, skip."""

    action: str
    key: str
    label: str
    harvest_invoice_id: int | None = None
    settlement: Settlement | None = None
    harvest_payment_id: str | None = None
    reason: str = ""


@dataclass
class InvoicePlan:
    xero_invoice_id: str
    number: str
    ops: list[PaymentOp] = field(default_factory=list)
    # Invoice-level findings for finance (Xero paid but Harvest not, currencies differ, ...).
    flags: list[str] = field(default_factory=list)
    harvest_due_after: Decimal | None = None

    @property
    def writes(self) -> list[PaymentOp]:
        return [op for op in self.ops if op.action in ("create", "remove", "replace", "adopt")]

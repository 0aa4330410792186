"""What each Harvest expense becomes in Xero: pure (no Django, no I/O), where most tests live.

An expense is sent as a line on a bill to the person who spent it (reimbursable), as its own
spend-money transaction from the card's bank account (company card), or left for the client's
invoice (billable to the client: Harvest puts it on the invoice as a line). Harvest's
`total_cost` is what the receipt says, tax included, so lines go in with LineAmountTypes
"Inclusive" and the line amount equals `total_cost` to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from syncapp.flows.xero_text import LINE_DESCRIPTION, xero_clip

BILL = "bill"
SPEND = "spend_money"
CLIENT_INVOICE = "client_invoice"
OFF = "off"

SEND = "send"
HOLD = "hold"
SKIP = "skip"
CLIENT = "client"  # left for the client's invoice, nothing to write
FLAG = "flag"  # finance must look (uninvoiced billable, changed after payment)
INVOICED = "invoiced"  # reached Xero on the client's invoice

CENT = Decimal("0.01")
RECEIPTS_PER_DOCUMENT = 10  # Xero: at most 10 attachments on one record
REFERENCE_PREFIX = "HX-E-"


@dataclass(frozen=True)
class CategoryRule:
    """One expense category's mapping, as plain data."""

    category_id: str
    name: str
    account_code: str = ""
    tax_type: str = ""
    mode: str = ""
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class ExpensePolicy:
    mode: str = BILL
    approval: str = "approved"
    grouping: str = "month"
    card_account: str = ""
    start: date | None = None
    uninvoiced_days: int = 30
    today: date | None = None
    lock_date: date | None = None
    # Xero account code -> status ("ACTIVE", "ARCHIVED"); empty when the chart was never read.
    account_status: Mapping[str, str] = field(default_factory=dict)
    bank_accounts: frozenset[str] = frozenset()
    base_currency: str = ""
    currencies: frozenset[str] = frozenset()  # enabled in Xero (the base one included)
    currency_map: Mapping[str, str] = field(default_factory=dict)  # Harvest -> Xero code
    card_currency: str = ""  # the card bank account's currency, "" when unknown
    # (scope, harvest id) -> ((category, option), ...), as TrackingMapping says.
    tracking: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Expense:
    """The facts of one Harvest expense the plan reads."""

    expense_id: str
    user_id: str
    user_name: str
    category_id: str
    category_name: str
    spent_date: date | None
    total: Decimal
    units: Decimal | None = None
    notes: str = ""
    project_id: str = ""
    project_name: str = ""
    client_id: str = ""
    client_name: str = ""
    billable: bool = False
    is_billed: bool = False
    invoice_number: str = ""
    approved: bool = False
    receipt_name: str = ""
    receipt_size: int | None = None
    # The client's currency: Harvest records an expense in it (no conversion).
    currency: str = ""


@dataclass(frozen=True)
class Decision:
    """One expense's fate: `action`, the reason a person reads, and for SEND what to write."""

    expense_id: str
    action: str
    reason: str = ""
    mode: str = ""
    group: str = ""  # which document it belongs in (before parts): see `expense_group`
    line: dict | None = None
    receipt: str = ""  # the attachment's file name in Xero, "" when none
    spent: str = ""  # ISO date
    user_id: str = ""
    currency: str = ""  # Xero currency code when not the organisation's base currency


def expense_mode(expense: Expense, *, category: CategoryRule | None, policy: ExpensePolicy) -> str:
    return (category.mode if category and category.mode else "") or policy.mode


def period_of(spent: date, grouping: str) -> str:
    if grouping == "week":
        year, week, _ = spent.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{spent.year}-{spent.month:02d}"


def expense_group(expense: Expense, *, mode: str, grouping: str, currency: str = "") -> str:
    """The document an expense goes in, before splitting into parts of 10 receipts: one spend
    money transaction per expense (a card statement line reconciles one to one), and a bill per
    expense or per person and period, in one currency (`currency`: "" for the base one)."""
    if mode == SPEND:
        return f"spend:E{expense.expense_id}"
    if grouping in ("week", "month") and expense.spent_date is not None:
        period = period_of(expense.spent_date, grouping)
        return f"bill:U{expense.user_id}:{period}" + (f":{currency}" if currency else "")
    return f"bill:E{expense.expense_id}"


def group_currency(group: str) -> str:
    """The currency a per-period group is in ("" for the base one); others say it per line."""
    last = group.rsplit(":", 1)[-1]
    return last if len(last) == 3 and last.isalpha() and last.isupper() else ""


def group_reference(group: str, part: int = 1) -> str:
    """What finance sees in Xero and what a repair searches by: the bill's InvoiceNumber, the
    spend money's Reference. HX-E-123, HX-E-U7-2026-11, HX-E-U7-2026-11-2."""
    kind, who, *period = group.split(":")
    body = who[1:] if who.startswith("E") else "-".join([who, *period])
    return f"{REFERENCE_PREFIX}{body}" + (f"-{part}" if part > 1 else "")


def receipt_file_name(expense: Expense) -> str:
    """Unique on the document (several receipts named receipt.pdf share a monthly bill)."""
    if not expense.receipt_name:
        return ""
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in expense.receipt_name)
    return f"expense-{expense.expense_id}-{safe.strip('-') or 'receipt'}"[:200]


def line_build(expense: Expense, *, category: CategoryRule, policy: ExpensePolicy) -> dict:
    """One Xero line item, equal to Harvest's total to the cent. A category priced by unit
    (mileage) keeps its units and price when they make the total; otherwise one of the total."""
    total = expense.total.quantize(CENT, ROUND_HALF_UP)
    quantity, unit_amount = Decimal(1), total
    price = category.unit_price
    if price is not None and expense.units:
        if (expense.units * price).quantize(CENT, ROUND_HALF_UP) == total:
            quantity, unit_amount = expense.units, price
    what = expense.notes.strip() or category.name
    where = f" for {expense.client_name} / {expense.project_name}" if expense.project_name else ""
    suffix = f" ({expense.user_name}, {expense.spent_date}) (Harvest expense {expense.expense_id})"
    head = xero_clip(f"{category.name}: {what}{where}", LINE_DESCRIPTION - len(suffix))
    # Plain strings, as the ledger stores them, so an unchanged line compares equal on rerun;
    # the document's payload turns them back into Decimal numbers.
    line = {
        "Description": head + suffix,
        "Quantity": format(quantity.normalize(), "f"),
        "UnitAmount": format(unit_amount, "f"),
        "AccountCode": category.account_code,
    }
    if category.tax_type:
        line["TaxType"] = category.tax_type
    tracking = _tracking(policy, project_id=expense.project_id, client_id=expense.client_id)
    if tracking:
        line["Tracking"] = [{"Name": name, "Option": option} for name, option in tracking]
    return line


def line_total(line: Mapping) -> Decimal:
    return (Decimal(str(line["Quantity"])) * Decimal(str(line["UnitAmount"]))).quantize(
        CENT, ROUND_HALF_UP
    )


def _tracking(policy: ExpensePolicy, *, project_id: str, client_id: str) -> list[tuple[str, str]]:
    chosen: dict[str, str] = {}
    for scope, key in (("client", client_id), ("project", project_id)):
        for name, option in policy.tracking.get((scope, key), ()) if key else ():
            chosen[name] = option
    return sorted(chosen.items())


def _uninvoiced(expense: Expense, policy: ExpensePolicy) -> Decision | None:
    if not expense.billable:
        return None
    if expense.is_billed:
        return Decision(
            expense.expense_id,
            INVOICED,
            f"On Harvest invoice {expense.invoice_number}".strip()
            + "; it reaches Xero with that invoice.",
            mode=CLIENT_INVOICE,
        )
    if policy.today and expense.spent_date:
        late = (policy.today - expense.spent_date).days
        if late > policy.uninvoiced_days:
            return Decision(
                expense.expense_id,
                FLAG,
                f"Billable to {expense.client_name or 'the client'} but still not on a Harvest "
                f"invoice {late} days after it was spent (the limit is "
                f"{policy.uninvoiced_days}): invoice it in Harvest, or make it not billable.",
                mode=CLIENT_INVOICE,
            )
    return None


def _mapping_problem(category: CategoryRule | None, expense: Expense, policy) -> str:
    name = expense.category_name or f"#{expense.category_id}"
    if category is None or not category.account_code:
        return (
            f"Expense category '{name}' has no Xero account yet: map it in Mappings › "
            "Expense categories; its expenses follow at the next run."
        )
    status = policy.account_status.get(category.account_code)
    if policy.account_status and status is None:
        return (
            f"Expense category '{name}' is mapped to account {category.account_code}, which "
            "is not in Xero's chart of accounts: choose another in Mappings › Expense categories."
        )
    if status and status.upper() != "ACTIVE":
        return (
            f"Expense category '{name}' is mapped to account {category.account_code}, which is "
            f"{status.lower()} in Xero: choose another in Mappings › Expense categories."
        )
    return ""


def _currency(expense: Expense, *, mode: str, policy: ExpensePolicy) -> tuple[str, str]:
    """(Xero currency code, "" for the base one; the reason it must wait, or "")."""
    harvest = (expense.currency or "").upper()
    code = policy.currency_map.get(harvest, harvest)
    if not code or not policy.base_currency or code == policy.base_currency:
        return "", ""
    if policy.currencies and code not in policy.currencies:
        return code, (
            f"Spent in {code} (the client's currency in Harvest), which Xero does not have "
            "enabled: add it in Xero (Settings › Currencies), or map the currency under "
            "Mappings › Currencies."
        )
    if mode == SPEND and policy.card_currency and policy.card_currency != code:
        return code, (
            f"Spent in {code}, but the card account {policy.card_account} is in "
            f"{policy.card_currency}: Xero takes spend money only in the account's currency. "
            "Convert it in Harvest, or make this category reimbursable."
        )
    return code, ""


def _hold(expense: Expense, reason: str, mode: str = "") -> Decision:
    return Decision(expense.expense_id, HOLD, reason, mode=mode)


def expense_plan(
    expense: Expense, *, category: CategoryRule | None, policy: ExpensePolicy
) -> Decision:
    """SEND (with its line and document group), HOLD with the reason, SKIP, CLIENT (left for
    the client's invoice), FLAG or INVOICED."""
    mode = expense_mode(expense, category=category, policy=policy)
    if mode == OFF:
        return Decision(expense.expense_id, SKIP, "Expenses of this kind are not sent to Xero.")
    if policy.start and expense.spent_date and expense.spent_date < policy.start:
        return Decision(
            expense.expense_id, SKIP, f"Spent before {policy.start}, when syncing starts."
        )
    if mode == CLIENT_INVOICE:
        return _uninvoiced(expense, policy) or Decision(
            expense.expense_id,
            CLIENT,
            "Billable to the client: Harvest puts it on the client's invoice.",
            mode=mode,
        )
    if policy.approval == "approved" and not expense.approved:
        return Decision(expense.expense_id, SKIP, "Not approved in Harvest yet.", mode=mode)
    problem = _mapping_problem(category, expense, policy)
    if problem:
        return _hold(expense, problem, mode)
    if expense.spent_date is None:
        return _hold(expense, "The expense has no date in Harvest.", mode)
    if policy.lock_date and expense.spent_date <= policy.lock_date:
        return _hold(
            expense,
            f"Spent on {expense.spent_date}, on or before Xero's lock date "
            f"{policy.lock_date}: move the lock date in Xero, or post it by hand.",
            mode,
        )
    if mode == SPEND and not policy.card_account:
        return _hold(
            expense,
            "Company-card expenses need the card's Xero bank account: set it on the "
            "integration (Expenses › card account).",
            mode,
        )
    if mode == SPEND and policy.bank_accounts and policy.card_account not in policy.bank_accounts:
        return _hold(
            expense,
            f"The card account {policy.card_account} is not a bank account in Xero: choose "
            "the card's bank account on the integration.",
            mode,
        )
    if expense.total <= 0:
        return Decision(expense.expense_id, SKIP, "Nothing to pay: the total is zero.", mode=mode)
    currency, problem = _currency(expense, mode=mode, policy=policy)
    if problem:
        return _hold(expense, problem, mode)
    return Decision(
        expense.expense_id,
        SEND,
        mode=mode,
        group=expense_group(expense, mode=mode, grouping=policy.grouping, currency=currency),
        currency=currency,
        line=line_build(expense, category=category, policy=policy),
        receipt=receipt_file_name(expense),
        spent=expense.spent_date.isoformat(),
        user_id=expense.user_id,
    )

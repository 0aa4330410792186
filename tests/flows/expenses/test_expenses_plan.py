"""The pure part of the expenses flow: what each expense becomes and which document it goes in."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from syncapp.flows.expenses.assign import Document, documents_assign
from syncapp.flows.expenses.plan import (
    CLIENT,
    FLAG,
    HOLD,
    INVOICED,
    SEND,
    SKIP,
    CategoryRule,
    Expense,
    ExpensePolicy,
    expense_group,
    expense_plan,
    group_reference,
    line_total,
    receipt_file_name,
)

TRAVEL = CategoryRule("7", "Travel", account_code="493", tax_type="INPUT")
MILEAGE = CategoryRule("8", "Mileage", account_code="493", unit_price=Decimal("0.67"))
POLICY = ExpensePolicy(
    mode="bill",
    grouping="month",
    card_account="095",
    today=date(2026, 12, 7),
    account_status={"493": "ACTIVE", "429": "ARCHIVED", "095": "ACTIVE"},
    bank_accounts=frozenset({"095"}),
)


def expense(n: int = 1, **fields) -> Expense:
    base = Expense(
        expense_id=str(n),
        user_id="42",
        user_name="Jordan Blake",
        category_id="7",
        category_name="Travel",
        spent_date=date(2026, 11, 3),
        total=Decimal("56.07"),
        notes="Train to client",
        approved=True,
        receipt_name="ticket.pdf",
        receipt_size=1200,
    )
    return replace(base, **fields)


def test_an_approved_expense_becomes_a_line_equal_to_the_receipt():
    decision = expense_plan(expense(), category=TRAVEL, policy=POLICY)

    assert decision.action == SEND
    assert decision.group == "bill:U42:2026-11"
    assert decision.line["AccountCode"] == "493" and decision.line["TaxType"] == "INPUT"
    assert line_total(decision.line) == Decimal("56.07")
    assert decision.line["Description"].endswith("(Harvest expense 1)")
    assert decision.receipt == "expense-1-ticket.pdf"


def test_a_category_priced_by_unit_keeps_units_and_price_when_they_make_the_total():
    mileage = expense(category_id="8", units=Decimal("12.5"), total=Decimal("8.38"))

    line = expense_plan(mileage, category=MILEAGE, policy=POLICY).line

    assert (line["Quantity"], line["UnitAmount"]) == ("12.5", "0.67")
    assert line_total(line) == Decimal("8.38")
    # Harvest's total wins when units x price does not make it (the price changed since).
    odd = expense_plan(replace(mileage, total=Decimal("9.00")), category=MILEAGE, policy=POLICY)
    assert (odd.line["Quantity"], line_total(odd.line)) == ("1", Decimal("9.00"))


@given(
    units=st.decimals(min_value="0.01", max_value="99999", places=2),
    price=st.decimals(min_value="0.01", max_value="999", places=4),
    total=st.decimals(min_value="0.01", max_value="999999", places=2),
)
def test_any_line_totals_harvest_to_the_cent(units, price, total):
    category = replace(MILEAGE, unit_price=price)
    decision = expense_plan(
        expense(category_id="8", units=units, total=total), category=category, policy=POLICY
    )

    assert line_total(decision.line) == total


def test_what_waits_or_stays_out_says_why():
    cases = {
        "unmapped": (expense(), None, HOLD, "Mappings › Expense categories"),
        "archived account": (
            expense(),
            replace(TRAVEL, account_code="429"),
            HOLD,
            "archived in Xero",
        ),
        "not approved": (expense(approved=False), TRAVEL, SKIP, "Not approved"),
        "locked period": (expense(spent_date=date(2026, 6, 1)), TRAVEL, HOLD, "lock date"),
        "card without account": (expense(), replace(TRAVEL, mode="spend_money"), SEND, ""),
    }
    policy = replace(POLICY, lock_date=date(2026, 6, 30))
    for name, (item, category, action, words) in cases.items():
        decision = expense_plan(item, category=category, policy=policy)
        assert decision.action == action, name
        assert words in decision.reason, name
    no_card = replace(policy, card_account="")
    held = expense_plan(expense(), category=replace(TRAVEL, mode="spend_money"), policy=no_card)
    assert held.action == HOLD and "card" in held.reason


def test_billable_to_the_client_waits_for_the_invoice_and_is_flagged_when_late():
    category = replace(TRAVEL, mode="client_invoice")
    fresh = expense(billable=True, spent_date=date(2026, 12, 1))
    late = expense(billable=True, spent_date=date(2026, 10, 1), client_name="Acme")
    billed = expense(billable=True, is_billed=True, invoice_number="2026-041")

    assert expense_plan(fresh, category=category, policy=POLICY).action == CLIENT
    flagged = expense_plan(late, category=category, policy=POLICY)
    assert flagged.action == FLAG and "67 days" in flagged.reason and "Acme" in flagged.reason
    invoiced = expense_plan(billed, category=category, policy=POLICY)
    assert invoiced.action == INVOICED and "2026-041" in invoiced.reason


def test_groups_and_references():
    assert expense_group(expense(), mode="spend_money", grouping="month") == "spend:E1"
    assert expense_group(expense(), mode="bill", grouping="expense") == "bill:E1"
    assert expense_group(expense(), mode="bill", grouping="week") == "bill:U42:2026-W45"
    assert group_reference("bill:U42:2026-11") == "HX-E-U42-2026-11"
    assert group_reference("bill:U42:2026-11", 2) == "HX-E-U42-2026-11-2"
    assert group_reference("spend:E1") == "HX-E-1"
    assert receipt_file_name(expense(receipt_name="taxi receipt (1).png")) == (
        "expense-1-taxi-receipt--1-.png"
    )


def _sends(count: int, *, receipts: bool = True):
    return [
        expense_plan(
            expense(n, receipt_name="r.pdf" if receipts else ""), category=TRAVEL, policy=POLICY
        )
        for n in range(1, count + 1)
    ]


def test_a_busy_month_splits_at_ten_receipts_and_a_rerun_moves_nothing():
    documents: dict[str, Document] = {}
    first = documents_assign(_sends(13), current={}, documents=documents)

    parts = sorted(documents)
    assert parts == ["bill:U42:2026-11#1", "bill:U42:2026-11#2"]
    assert len(documents[parts[0]].receipts) == 10 and len(documents[parts[1]].receipts) == 3

    for document in documents.values():
        document.changed = False
    again = documents_assign(_sends(13), current=first.placed, documents=documents)

    assert again.placed == first.placed
    assert again.unchanged == set(first.placed)
    assert not again.changed(documents)


def test_a_change_to_a_paid_document_is_flagged_and_a_new_expense_goes_elsewhere():
    documents: dict[str, Document] = {}
    first = documents_assign(_sends(2), current={}, documents=documents)
    (key,) = set(first.placed.values())
    documents[key].locked = "paid (in part or in full)"
    documents[key].changed = False
    edited = replace(expense(1), total=Decimal("60.00"))
    sends = [expense_plan(edited, category=TRAVEL, policy=POLICY), *_sends(3)[1:]]

    out = documents_assign(sends, current=first.placed, documents=documents)

    assert "paid" in out.flagged["1"] and "does not change it" in out.flagged["1"]
    assert out.placed["3"] == "bill:U42:2026-11#2", "a new expense never joins a paid bill"
    assert not documents[key].changed


def test_a_deleted_expense_leaves_its_document_and_an_emptied_one_is_marked_empty():
    documents: dict[str, Document] = {}
    first = documents_assign(_sends(2), current={}, documents=documents)
    for document in documents.values():
        document.changed = False

    out = documents_assign([], current=first.placed, documents=documents, removed=["1", "2"])

    (document,) = documents.values()
    assert document.changed and document.empty
    assert out.flagged == {}

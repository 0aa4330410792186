"""ACCPAY bills as the reimbursable mode uses them: repeatable numbers, found by number, edits,
voids and deletions, and paid bills frozen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body, money


def _bill(contact: str, number: str, amount: float = 84.5, **overrides) -> dict:
    return invoice_body(contact, Type="ACCPAY", InvoiceNumber=number, LineAmountTypes="Inclusive", LineItems=[
        {"Description": "Train fare", "Quantity": 1, "UnitAmount": amount, "AccountCode": "493",
         "TaxType": "INPUT"}], **overrides)


def _refusal(answer) -> str:
    assert answer.status_code == 400
    return answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]


@pytest.fixture
def bill(xero, customer) -> dict:
    return xero.put(f"{API}/Invoices", json={"Invoices": [_bill(customer, "HX-EXP-2026-W02")]}).json()["Invoices"][0]


def test_bill_numbers_may_repeat_and_are_found_by_number(xero, customer, bill):
    again = xero.put(f"{API}/Invoices", json={"Invoices": [_bill(customer, "HX-EXP-2026-W02", 10)]})
    assert again.status_code == 200
    found = xero.get(f"{API}/Invoices", params={"InvoiceNumbers": "HX-EXP-2026-W02"}).json()["Invoices"]
    assert sorted(money(i["Total"]) for i in found) == [Decimal("10.00"), Decimal("84.50")]
    assert {i["Type"] for i in found} == {"ACCPAY"}


def test_an_unpaid_bill_is_edited_in_place_then_voided(xero, customer, bill):
    url = f"{API}/Invoices/{bill['InvoiceID']}"
    edited = xero.post(url, json={"Invoices": [_bill(customer, "HX-EXP-2026-W02", 90.25)]}).json()["Invoices"][0]
    assert (edited["InvoiceID"], money(edited["Total"])) == (bill["InvoiceID"], Decimal("90.25"))
    voided = xero.post(url, json={"Invoices": [{"InvoiceID": bill["InvoiceID"], "Status": "VOIDED"}]})
    assert voided.json()["Invoices"][0]["Status"] == "VOIDED"


def test_a_draft_bill_is_deleted(xero, customer):
    draft = xero.put(f"{API}/Invoices", json={"Invoices": [_bill(customer, "HX-1", Status="DRAFT")]}).json()
    url = f"{API}/Invoices/{draft['Invoices'][0]['InvoiceID']}"
    deleted = xero.post(url, json={"Invoices": [{"Status": "DELETED"}]})
    assert deleted.json()["Invoices"][0]["Status"] == "DELETED"


def test_a_paid_bill_refuses_changes(xero, xraw, customer, bill):
    paid = xraw.post(f"/_sandbox/xero/invoices/{bill['InvoiceID']}/pay", json={})
    assert paid.status_code == 200
    url = f"{API}/Invoices/{bill['InvoiceID']}"
    assert xero.get(url).json()["Invoices"][0]["Status"] == "PAID"
    for body in (_bill(customer, "HX-EXP-2026-W02", 1), {"InvoiceID": bill["InvoiceID"], "Status": "VOIDED"}):
        refused = xero.post(url, json={"Invoices": [body]})
        assert _refusal(refused) == "Invoice not of valid status for modification"
    assert xero.get(url).json()["Invoices"][0]["Status"] == "PAID"


def test_the_seed_has_a_claimant_supplier_and_a_company_card(xero, xstate):
    claimant = xstate.xero.seed_info["expense_claimant"]
    user = xstate.harvest.users[claimant["harvest_user_id"]]
    contact = xero.get(f"{API}/Contacts/{claimant['contact_id']}").json()["Contacts"][0]
    assert contact["Name"] == f"{user['first_name']} {user['last_name']}"
    assert contact["EmailAddress"] == user["email"]
    assert contact["IsSupplier"] is True
    assert any(e["_user_id"] == user["id"] for e in xstate.harvest.expenses.values())
    bills = xero.get(f"{API}/Invoices", params={"ContactIDs": claimant["contact_id"]}).json()["Invoices"]
    assert [(b["Type"], b["Status"]) for b in bills] == [("ACCPAY", "PAID")]
    banks = xero.get(f"{API}/Accounts", params={"where": 'Type=="BANK"'}).json()["Accounts"]
    card = next(a for a in banks if a["BankAccountType"] == "CREDITCARD")
    spend = {"Type": "SPEND", "BankAccount": {"Code": card["Code"]}, "Date": "2026-01-12",
             "LineItems": [{"Description": "Software", "Quantity": 1, "UnitAmount": 49, "AccountCode": "453",
                            "TaxType": "INPUT"}]}
    answer = xero.put(f"{API}/BankTransactions", json={"BankTransactions": [spend]})
    assert answer.json()["BankTransactions"][0]["BankAccount"]["Code"] == card["Code"]

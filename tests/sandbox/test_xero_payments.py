"""Payments move AmountDue/AmountPaid/Status; deletion reverses; credit notes allocate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncapp.sandbox.xero.control import XeroSandboxError, xero_invoice_pay
from syncapp.sandbox.xero.webhooks import webhook_add_hook
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body, money


@pytest.fixture
def invoice(xero, customer):
    response = xero.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer)]})
    return response.json()["Invoices"][0]  # 300.00 + 8.875 % = 326.63


def pay(client, invoice_id, amount, **extra):
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Date": "2026-01-14",
               "Amount": amount, **extra}
    return client.put(f"{API}/Payments", params={"summarizeErrors": "false"}, json={"Payments": [payment]})


def get_invoice(client, invoice_id):
    return client.get(f"{API}/Invoices/{invoice_id}").json()["Invoices"][0]


def test_partial_then_full_payment(xero, invoice):
    assert money(invoice["Total"]) == Decimal("326.63")
    first = pay(xero, invoice["InvoiceID"], 100.5, Reference="first")
    payment = first.json()["Payments"][0]
    assert payment["StatusAttributeString"] == "OK" and payment["PaymentType"] == "ACCRECPAYMENT"
    after = get_invoice(xero, invoice["InvoiceID"])
    assert (money(after["AmountPaid"]), money(after["AmountDue"]), after["Status"]) == (
        Decimal("100.50"), Decimal("226.13"), "AUTHORISED")
    pay(xero, invoice["InvoiceID"], 226.13)
    paid = get_invoice(xero, invoice["InvoiceID"])
    assert (money(paid["AmountDue"]), paid["Status"]) == (Decimal("0.00"), "PAID")
    assert paid["FullyPaidOnDate"] == "/Date(1768348800000+0000)/"
    assert len(paid["Payments"]) == 2


def test_payment_refusals(xero, invoice, customer, xstate):
    over = pay(xero, invoice["InvoiceID"], 1000).json()["Payments"][0]
    assert [e["Message"] for e in over["ValidationErrors"]] == [
        "Payment amount exceeds the amount outstanding on this document"]
    negative = pay(xero, invoice["InvoiceID"], -5).json()["Payments"][0]
    assert "Payment amounts must be positive amounts" in [e["Message"] for e in negative["ValidationErrors"]]
    draft = xero.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer, Status="DRAFT")]}).json()["Invoices"][0]
    refused = pay(xero, draft["InvoiceID"], 10).json()["Payments"][0]
    assert [e["Message"] for e in refused["ValidationErrors"]] == [
        "Payments can only be made against Authorised documents"]
    locked = pay(xero, invoice["InvoiceID"], 10, Date=xstate.xero.seed_info["lock_date"]).json()["Payments"][0]
    assert locked["ValidationErrors"][0]["Message"].startswith("The document date cannot be before the period lock date")
    summarized = xero.put(f"{API}/Payments", json={"Payments": [
        {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "200"}, "Amount": 1}]})
    assert summarized.status_code == 400
    assert "Account type is invalid" in summarized.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_payment_by_invoice_number_and_single_post(xero, invoice):
    single = {"Invoice": {"InvoiceNumber": invoice["InvoiceNumber"]}, "Account": {"Code": "615"},
              "Date": "2026-01-14", "Amount": 26.63}
    response = xero.post(f"{API}/Payments", json=single)
    assert response.status_code == 200
    assert money(get_invoice(xero, invoice["InvoiceID"])["AmountDue"]) == Decimal("300.00")


def test_deleting_a_payment_reopens_the_invoice(xero, invoice):
    payment = pay(xero, invoice["InvoiceID"], 326.63).json()["Payments"][0]
    assert get_invoice(xero, invoice["InvoiceID"])["Status"] == "PAID"
    deleted = xero.post(f"{API}/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
    assert deleted.status_code == 200
    assert deleted.json()["Payments"][0]["Status"] == "DELETED"
    reopened = get_invoice(xero, invoice["InvoiceID"])
    assert (reopened["Status"], money(reopened["AmountDue"]), reopened["Payments"]) == (
        "AUTHORISED", Decimal("326.63"), [])
    listed = xero.get(f"{API}/Payments", params={"where": 'Status=="DELETED"'}).json()["Payments"]
    assert [p["PaymentID"] for p in listed] == [payment["PaymentID"]]


def test_payments_list_filters_by_invoice(xero, invoice):
    pay(xero, invoice["InvoiceID"], 10)
    found = xero.get(f"{API}/Payments",
                     params={"where": f'Invoice.InvoiceID==guid("{invoice["InvoiceID"]}")'}).json()["Payments"]
    assert [money(p["Amount"]) for p in found] == [Decimal("10.00")]
    assert found[0]["Invoice"]["InvoiceNumber"] == invoice["InvoiceNumber"]


def test_credit_note_allocation(xero, invoice, customer):
    note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": customer}, "Date": "2026-01-12", "Status": "AUTHORISED",
            "LineItems": [{"Description": "Goodwill", "Quantity": 1, "UnitAmount": 50, "AccountCode": "200",
                           "TaxType": "NONE"}]}
    created = xero.put(f"{API}/CreditNotes", json={"CreditNotes": [note]}).json()["CreditNotes"][0]
    assert created["CreditNoteNumber"].startswith("CN-") and money(created["RemainingCredit"]) == Decimal("50.00")
    allocation = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 50, "Date": "2026-01-13"}
    response = xero.put(f"{API}/CreditNotes/{created['CreditNoteID']}/Allocations",
                        json={"Allocations": [allocation]})
    assert response.status_code == 200
    after = get_invoice(xero, invoice["InvoiceID"])
    assert money(after["AmountCredited"]) == Decimal("50.00")
    assert money(after["AmountDue"]) == Decimal("276.63")
    assert after["CreditNotes"][0]["CreditNoteID"] == created["CreditNoteID"]
    spent = xero.get(f"{API}/CreditNotes/{created['CreditNoteID']}").json()["CreditNotes"][0]
    assert (spent["Status"], money(spent["RemainingCredit"])) == ("PAID", Decimal("0.00"))


def test_sandbox_pay_helper_fires_the_invoice_webhook(xstate, xclock, invoice):
    seen = []
    webhook_add_hook(xstate.xero, lambda body, headers: seen.append((body, headers)))
    with pytest.raises(XeroSandboxError):
        xero_invoice_pay(xstate.xero, invoice_ref="NOPE-1", now=xclock.now())
    payment = xero_invoice_pay(xstate.xero, invoice_ref=invoice["InvoiceNumber"], now=xclock.now())
    assert payment["Amount"] == Decimal("326.63")
    assert xstate.xero.invoices[invoice["InvoiceID"]]["Status"] == "PAID"
    # Outside a request the caller flushes; inside the simulator every request does it.
    from syncapp.sandbox.xero.webhooks import webhook_flush

    webhook_flush(xstate.xero)
    assert len(seen) == 1
    assert b'"eventCategory":"INVOICE"' in seen[0][0] and b'"eventType":"UPDATE"' in seen[0][0]


def test_pay_through_the_control_route(xero, xstate, invoice):
    seen = []
    webhook_add_hook(xstate.xero, lambda body, headers: seen.append(body))
    response = xero.post(f"/_sandbox/xero/invoices/{invoice['InvoiceID']}/pay", json={"amount": "26.63"})
    assert response.status_code == 200
    assert money(get_invoice(xero, invoice["InvoiceID"])["AmountDue"]) == Decimal("300.00")
    assert len(seen) == 1
    refused = xero.post(f"/_sandbox/xero/invoices/{invoice['InvoiceID']}/pay", json={"amount": "5000"})
    assert refused.status_code == 400


def test_allocation_refusals(xero, invoice, customer):
    note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": customer}, "Date": "2026-01-12", "Status": "AUTHORISED",
            "LineItems": [{"Description": "Goodwill", "Quantity": 1, "UnitAmount": 30, "AccountCode": "200",
                           "TaxType": "NONE"}]}
    created = xero.put(f"{API}/CreditNotes", json={"CreditNotes": [note]}).json()["CreditNotes"][0]
    url = f"{API}/CreditNotes/{created['CreditNoteID']}/Allocations"
    too_much = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 31, "Date": "2026-01-13"}
    refused = xero.put(url, json={"Allocations": [too_much]})
    assert refused.status_code == 400
    assert refused.json()["Elements"][0]["ValidationErrors"][0]["Message"] == (
        "The amount applied exceeds the remaining credit on this credit note")
    mixed = xero.put(url, json={"Allocations": [{**too_much, "Amount": 10}, too_much]})
    assert mixed.status_code == 200
    ok, failed = mixed.json()["Allocations"]
    assert money(ok["Amount"]) == Decimal("10.00") and failed["StatusAttributeString"] == "ERROR"


def test_overview_lists_payable_invoices(xero, invoice):
    rows = xero.get("/_sandbox/xero/invoices", params={"status": "AUTHORISED"}).json()
    row = next(r for r in rows if r["InvoiceID"] == invoice["InvoiceID"])
    assert (row["Status"], row["AmountDue"], row["CurrencyCode"]) == ("AUTHORISED", "326.63", "USD")
    assert all(r["Status"] == "AUTHORISED" for r in rows)


def test_overpayment_credit_is_allocated_to_an_invoice(xero, invoice, customer):
    receive = {"Type": "RECEIVE-OVERPAYMENT", "Contact": {"ContactID": customer}, "BankAccount": {"Code": "090"},
               "Date": "2026-01-14", "LineAmountTypes": "NoTax",
               "LineItems": [{"Description": "Paid twice by mistake", "LineAmount": 50}]}
    tx = xero.put(f"{API}/BankTransactions", json={"BankTransactions": [receive]}).json()["BankTransactions"][0]
    overpayment_id = tx["OverpaymentID"]
    listed = xero.get(f"{API}/Overpayments", params={"where": f'Contact.ContactID==guid("{customer}")'}).json()
    overpayment = next(o for o in listed["Overpayments"] if o["OverpaymentID"] == overpayment_id)
    assert (overpayment["Status"], money(overpayment["RemainingCredit"])) == ("AUTHORISED", Decimal("50.00"))
    allocated = xero.put(f"{API}/Overpayments/{overpayment_id}/Allocations",
                         json={"Allocations": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 20,
                                                "Date": "2026-01-14"}]})
    assert allocated.status_code == 200
    assert allocated.json()["Allocations"][0]["Overpayment"]["OverpaymentID"] == overpayment_id
    after = get_invoice(xero, invoice["InvoiceID"])
    assert (money(after["AmountCredited"]), money(after["AmountDue"])) == (Decimal("20.00"), Decimal("306.63"))
    assert after["Overpayments"][0]["OverpaymentID"] == overpayment_id
    remaining = xero.get(f"{API}/Overpayments/{overpayment_id}").json()["Overpayments"][0]
    assert (money(remaining["RemainingCredit"]), money(remaining["AppliedAmount"])) == (
        Decimal("30.00"), Decimal("20.00"))
    too_much = xero.put(f"{API}/Overpayments/{overpayment_id}/Allocations",
                        json={"Allocations": [{"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Amount": 31,
                                               "Date": "2026-01-14"}]})
    assert too_much.status_code == 400

"""Refunding a sales credit note: a payment with `CreditNote` (Xero's "Refund a credit note",
https://developer.xero.com/documentation/api/accounting/payments) lowers RemainingCredit, the note
is PAID once nothing is left, an amount over the remaining credit is refused as Xero refuses it,
and deleting the refund gives the credit back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, money


@pytest.fixture
def credit_note(xero, customer):
    note = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": customer}, "Date": "2026-01-12",
            "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Refund for cancelled workshop", "Quantity": 1, "UnitAmount": 120,
                           "AccountCode": "200", "TaxType": "NONE"}]}
    return xero.put(f"{API}/CreditNotes", json={"CreditNotes": [note]}).json()["CreditNotes"][0]


def refund(client, credit_note_id, amount, **extra):
    payment = {"CreditNote": {"CreditNoteID": credit_note_id}, "Account": {"Code": "090"},
               "Date": "2026-01-14", "Amount": amount, **extra}
    return client.put(f"{API}/Payments", params={"summarizeErrors": "false"}, json={"Payments": [payment]})


def get_note(client, credit_note_id):
    return client.get(f"{API}/CreditNotes/{credit_note_id}").json()["CreditNotes"][0]


def test_partial_then_full_refund_of_a_credit_note(xero, credit_note):
    note_id = credit_note["CreditNoteID"]
    first = refund(xero, note_id, 20, Reference="Harvest payment 7").json()["Payments"][0]
    assert first["StatusAttributeString"] == "OK" and first["PaymentType"] == "ARCREDITPAYMENT"
    assert first["CreditNote"]["CreditNoteID"] == note_id and "Invoice" not in first
    after = get_note(xero, note_id)
    assert (after["Status"], money(after["RemainingCredit"])) == ("AUTHORISED", Decimal("100.00"))
    assert [(p["PaymentID"], p["Reference"]) for p in after["Payments"]] == [
        (first["PaymentID"], "Harvest payment 7")]
    listed = xero.get(f"{API}/Payments", params={"where": 'Reference=="Harvest payment 7"'}).json()
    assert [p["PaymentID"] for p in listed["Payments"]] == [first["PaymentID"]]

    rest = refund(xero, note_id, 100).json()["Payments"][0]
    assert rest["StatusAttributeString"] == "OK"
    paid = get_note(xero, note_id)
    assert (paid["Status"], money(paid["RemainingCredit"])) == ("PAID", Decimal("0.00"))
    assert paid["FullyPaidOnDate"] == "/Date(1768348800000+0000)/"


def test_a_refund_over_the_remaining_credit_is_refused(xero, credit_note):
    note_id = credit_note["CreditNoteID"]
    refund(xero, note_id, 100)
    over = refund(xero, note_id, 20.01)
    element = over.json()["Payments"][0]
    assert element["StatusAttributeString"] == "ERROR"
    assert [e["Message"] for e in element["ValidationErrors"]] == [
        "Payment amount exceeds the amount outstanding on this document"]
    summarized = xero.put(f"{API}/Payments", json={"Payments": [
        {"CreditNote": {"CreditNoteID": note_id}, "Account": {"Code": "090"}, "Amount": 25}]})
    assert summarized.status_code == 400
    assert summarized.json()["Type"] == "ValidationException"
    assert money(get_note(xero, note_id)["RemainingCredit"]) == Decimal("20.00")


def test_deleting_a_refund_gives_the_credit_back(xero, credit_note):
    note_id = credit_note["CreditNoteID"]
    payment = refund(xero, note_id, 120).json()["Payments"][0]
    assert get_note(xero, note_id)["Status"] == "PAID"
    deleted = xero.post(f"{API}/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
    assert deleted.status_code == 200 and deleted.json()["Payments"][0]["Status"] == "DELETED"
    back = get_note(xero, note_id)
    assert (back["Status"], money(back["RemainingCredit"]), back["Payments"]) == (
        "AUTHORISED", Decimal("120.00"), [])


def test_credit_notes_by_ids_list_their_refunds(xero, credit_note, customer):
    note_id = credit_note["CreditNoteID"]
    payment = refund(xero, note_id, 30, Reference="Harvest payment 9").json()["Payments"][0]
    where = f'CreditNoteID==guid("{note_id}") OR CreditNoteID==guid("{customer}")'
    (listed,) = xero.get(f"{API}/CreditNotes", params={"where": where}).json()["CreditNotes"]
    assert listed["CreditNoteID"] == note_id and money(listed["RemainingCredit"]) == Decimal("90.00")
    assert [(p["PaymentID"], money(p["Amount"])) for p in listed["Payments"]] == [
        (payment["PaymentID"], Decimal("30.00"))]

"""Spend-money transactions as the company-card mode uses them: find, edit, delete, reconciled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from syncapp.sandbox.xero.ledger import RECONCILED_MESSAGE
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, money


def _spend(reference: str, amount: float = 49, **overrides) -> dict:
    body = {"Type": "SPEND", "BankAccount": {"Code": "090"}, "Date": "2026-01-12", "Reference": reference,
            "LineAmountTypes": "Inclusive",
            "LineItems": [{"Description": "Design tool licence", "Quantity": 1, "UnitAmount": amount,
                           "AccountCode": "453", "TaxType": "INPUT"}]}
    body.update(overrides)
    return body


def _refusal(answer) -> str:
    # A write to one record's URL answers a summarised 400 ValidationException.
    assert answer.status_code == 400
    assert answer.json()["Type"] == "ValidationException"
    return answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]


@pytest.fixture
def spend(xero) -> dict:
    answer = xero.put(f"{API}/BankTransactions", json={"BankTransactions": [_spend("HX-EXP-15296001")]})
    assert answer.status_code == 200
    return answer.json()["BankTransactions"][0]


def test_a_spend_is_found_by_its_reference_with_cent_exact_totals(xero, spend):
    found = xero.get(f"{API}/BankTransactions", params={"where": 'Reference=="HX-EXP-15296001"'})
    [tx] = found.json()["BankTransactions"]
    assert (tx["BankTransactionID"], tx["Type"], tx["BankAccount"]["Code"]) == (
        spend["BankTransactionID"], "SPEND", "090")
    assert money(tx["Total"]) == Decimal("49.00")
    assert money(tx["SubTotal"]) + money(tx["TotalTax"]) == Decimal("49.00")
    assert xero.get(f"{API}/BankTransactions", params={"where": 'Reference=="HX-EXP-1"'}).json()[
        "BankTransactions"] == []


def test_an_unreconciled_spend_is_edited_in_place_then_deleted(xero, spend):
    # The contract requires Type, BankAccount and LineItems even to delete, so the whole body goes.
    url = f"{API}/BankTransactions/{spend['BankTransactionID']}"
    edited = xero.post(url, json={"BankTransactions": [_spend("HX-EXP-15296001", 52.1)]})
    assert edited.status_code == 200
    assert money(edited.json()["BankTransactions"][0]["Total"]) == Decimal("52.10")
    deleted = xero.post(url, json={"BankTransactions": [_spend("HX-EXP-15296001", Status="DELETED")]})
    assert deleted.json()["BankTransactions"][0]["Status"] == "DELETED"
    again = xero.post(url, json={"BankTransactions": [_spend("HX-EXP-15296001", 1)]})
    assert _refusal(again) == "Bank Transaction not of valid status for modification"


def test_a_reconciled_spend_refuses_edits_and_deletion(xero, xraw, spend):
    tx_id = spend["BankTransactionID"]
    assert xraw.post(f"/_sandbox/xero/bank-transactions/{tx_id}/reconcile").json()["IsReconciled"] is True
    url = f"{API}/BankTransactions/{tx_id}"
    assert xero.get(url).json()["BankTransactions"][0]["IsReconciled"] is True
    for body in (_spend("HX-EXP-15296001", 60), _spend("HX-EXP-15296001", Status="DELETED")):
        refused = xero.post(url, json={"BankTransactions": [body]})
        assert _refusal(refused) == RECONCILED_MESSAGE
    tx = xero.get(url).json()["BankTransactions"][0]
    assert (tx["Status"], money(tx["Total"])) == ("AUTHORISED", Decimal("49.00"))
    xraw.post(f"/_sandbox/xero/bank-transactions/{tx_id}/unreconcile")
    assert xero.post(url, json={"BankTransactions": [_spend("HX-EXP-15296001", Status="DELETED")]}).status_code == 200


def test_reconciling_an_unknown_transaction_is_a_404(xraw):
    answer = xraw.post("/_sandbox/xero/bank-transactions/00000000-0000-4000-8000-000000000001/reconcile")
    assert answer.status_code == 404

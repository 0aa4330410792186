"""Attachments on bills and spend-money transactions, with Xero's per-record count, size and types."""

from __future__ import annotations

import pytest

from syncapp.sandbox.xero.attachments import ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_RECORD
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def bill(xero, customer) -> str:
    body = invoice_body(customer, Type="ACCPAY", InvoiceNumber="Receipt 4711", LineItems=[
        {"Description": "Train fare", "Quantity": 1, "UnitAmount": 84.5, "AccountCode": "493", "TaxType": "INPUT"}])
    answer = xero.put(f"{API}/Invoices", json={"Invoices": [body]})
    assert answer.status_code == 200
    return answer.json()["Invoices"][0]["InvoiceID"]


@pytest.fixture
def spend(xero) -> str:
    body = {"Type": "SPEND", "BankAccount": {"Code": "090"}, "Date": "2026-01-12",
            "LineItems": [{"Description": "Software", "Quantity": 1, "UnitAmount": 49, "AccountCode": "453",
                           "TaxType": "INPUT"}]}
    answer = xero.put(f"{API}/BankTransactions", json={"BankTransactions": [body]})
    assert answer.status_code == 200
    return answer.json()["BankTransactions"][0]["BankTransactionID"]


def _upload(xraw, xero, url: str, content: bytes, content_type: str = "application/pdf"):
    # Raw bytes as clients send them (the contract validator cannot check octet bodies).
    return xraw.put(url, content=content, headers={**xero.headers, "Content-Type": content_type})


@pytest.mark.parametrize("owner", ["bill", "spend"])
def test_receipt_uploads_and_reads_back_on_bills_and_spend_money(owner, request, xero, xraw):
    object_id = request.getfixturevalue(owner)
    endpoint = "Invoices" if owner == "bill" else "BankTransactions"
    url = f"{API}/{endpoint}/{object_id}/Attachments"
    answer = _upload(xraw, xero, f"{url}/receipt-15296001.pdf", PDF)
    assert answer.status_code == 200
    listed = xero.get(url).json()["Attachments"]  # validated against the contract
    assert [(a["FileName"], a["MimeType"], a["ContentLength"]) for a in listed] == [
        ("receipt-15296001.pdf", "application/pdf", len(PDF))]
    assert xraw.get(f"{url}/receipt-15296001.pdf", headers=xero.headers).content == PDF
    record = xero.get(f"{API}/{endpoint}/{object_id}").json()[endpoint][0]
    assert record["HasAttachments"] is True


def test_an_eleventh_file_is_refused_but_a_replacement_is_not(xero, xraw, bill):
    url = f"{API}/Invoices/{bill}/Attachments"
    for n in range(ATTACHMENTS_PER_RECORD):
        assert _upload(xraw, xero, f"{url}/r{n}.pdf", PDF).status_code == 200
    refused = _upload(xraw, xero, f"{url}/r10.pdf", PDF)
    assert refused.status_code == 400
    body = refused.json()
    assert body["Type"] == "ValidationException"
    assert "maximum of 10 attachments" in body["Elements"][0]["ValidationErrors"][0]["Message"]
    replaced = _upload(xraw, xero, f"{url}/r3.pdf", PDF + b"v2")
    assert replaced.status_code == 200
    listed = xero.get(url).json()["Attachments"]
    assert len(listed) == ATTACHMENTS_PER_RECORD
    assert {a["FileName"]: a["ContentLength"] for a in listed}["r3.pdf"] == len(PDF) + 2


def test_a_file_over_the_size_limit_gets_the_gateway_413(xero, xraw, spend):
    url = f"{API}/BankTransactions/{spend}/Attachments/scan.png"
    refused = _upload(xraw, xero, url, b"\x89PNG" + b"0" * ATTACHMENT_MAX_BYTES, "image/png")
    assert refused.status_code == 413
    assert (refused.json()["Title"], refused.json()["Detail"]) == ("RequestEntityTooLarge", "PayloadTooLarge")
    at_limit = _upload(xraw, xero, url, b"0" * ATTACHMENT_MAX_BYTES, "image/png")
    assert at_limit.status_code == 200
    assert xero.get(f"{API}/BankTransactions/{spend}/Attachments").json()["Attachments"][0][
        "ContentLength"] == ATTACHMENT_MAX_BYTES


def test_a_file_type_xero_does_not_take_is_refused(xero, xraw, bill):
    refused = _upload(xraw, xero, f"{API}/Invoices/{bill}/Attachments/receipt.heic", b"ftypheic", "image/heic")
    assert refused.status_code == 400
    assert "'heic' is not supported" in refused.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert xero.get(f"{API}/Invoices/{bill}/Attachments").json()["Attachments"] == []
    record = xero.get(f"{API}/Invoices/{bill}").json()["Invoices"][0]
    assert record["HasAttachments"] is False


def test_an_upload_replayed_with_its_idempotency_key_is_stored_once(xero, xraw, bill):
    url = f"{API}/Invoices/{bill}/Attachments/receipt.pdf"
    headers = {**xero.headers, "Content-Type": "application/pdf", "Idempotency-Key": "att-1"}
    first = xraw.put(url, content=PDF, headers=headers)
    again = xraw.put(url, content=PDF, headers=headers)
    assert first.json()["Attachments"][0]["AttachmentID"] == again.json()["Attachments"][0]["AttachmentID"]
    assert len(xero.get(f"{API}/Invoices/{bill}/Attachments").json()["Attachments"]) == 1

"""Xero's length limits: the value at the limit is accepted, one character more is refused with
Xero's ValidationException (per element with summarizeErrors=false)."""

from __future__ import annotations

import copy

import pytest

from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body


def _contact():
    return {
        "Name": "Limits Ltd",
        "Addresses": [{"AddressType": "POBOX"}],
        "Phones": [{"PhoneType": "DEFAULT"}],
    }


def _invoice(cid):
    return invoice_body(cid)


def _credit_note(cid):
    return {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": cid},
        "Date": "2026-01-12",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Goodwill",
                "Quantity": 1,
                "UnitAmount": 20,
                "AccountCode": "200",
                "TaxType": "TAX001",
            }
        ],
    }


def _bank_transaction(cid):
    return {
        "Type": "SPEND",
        "Contact": {"ContactID": cid},
        "BankAccount": {"Code": "090"},
        "Date": "2026-01-11",
        "LineItems": [
            {"Description": "Coffee", "Quantity": 1, "UnitAmount": 4.5, "AccountCode": "429"}
        ],
    }


def _account(_cid):
    return {"Code": "298", "Name": "Limits", "Type": "REVENUE"}


def _text(length: int, field: str) -> str:
    if field == "EmailAddress":
        return "a" * (length - len("@example.com")) + "@example.com"
    if field == "Code":
        return "2" * length
    return "x" * length


# endpoint, collection key, body factory, path to the field, limit, label in Xero's message
FREE_TEXT = [
    ("Contacts", "Contacts", lambda cid: _contact(), ("Name",), 255, "Contact Name"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("FirstName",), 255, "First Name"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("LastName",), 255, "Last Name"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("EmailAddress",), 255, "Email Address"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("ContactNumber",), 50, "Contact Number"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("AccountNumber",), 50, "Account Number"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("CompanyNumber",), 50, "Company Number"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("TaxNumber",), 50, "Tax Number"),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Addresses", 0, "AddressLine1"),
        500,
        "Address Line 1",
    ),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Addresses", 0, "AddressLine4"),
        500,
        "Address Line 4",
    ),
    ("Contacts", "Contacts", lambda cid: _contact(), ("Addresses", 0, "City"), 255, "City"),
    ("Contacts", "Contacts", lambda cid: _contact(), ("Addresses", 0, "Region"), 255, "Region"),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Addresses", 0, "PostalCode"),
        50,
        "Postal Code",
    ),
    ("Contacts", "Contacts", lambda cid: _contact(), ("Addresses", 0, "Country"), 50, "Country"),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Addresses", 0, "AttentionTo"),
        255,
        "Attention To",
    ),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Phones", 0, "PhoneNumber"),
        50,
        "Phone Number",
    ),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Phones", 0, "PhoneAreaCode"),
        10,
        "Phone Area Code",
    ),
    (
        "Contacts",
        "Contacts",
        lambda cid: _contact(),
        ("Phones", 0, "PhoneCountryCode"),
        20,
        "Phone Country Code",
    ),
    ("Invoices", "Invoices", _invoice, ("InvoiceNumber",), 255, "Invoice Number"),
    ("Invoices", "Invoices", _invoice, ("Reference",), 255, "Reference"),
    ("Invoices", "Invoices", _invoice, ("LineItems", 0, "Description"), 4000, "Description"),
    (
        "Invoices",
        "Invoices",
        lambda cid: invoice_body(cid, Contact={}),
        ("Contact", "Name"),
        255,
        "Contact Name",
    ),
    ("CreditNotes", "CreditNotes", _credit_note, ("CreditNoteNumber",), 255, "Credit Note Number"),
    ("CreditNotes", "CreditNotes", _credit_note, ("Reference",), 255, "Reference"),
    (
        "CreditNotes",
        "CreditNotes",
        _credit_note,
        ("LineItems", 0, "Description"),
        4000,
        "Description",
    ),
    (
        "BankTransactions",
        "BankTransactions",
        _bank_transaction,
        ("LineItems", 0, "Description"),
        4000,
        "Description",
    ),
    ("Accounts", "Accounts", _account, ("Code",), 10, "Account Code"),
    ("Accounts", "Accounts", _account, ("Name",), 150, "Account Name"),
    ("Accounts", "Accounts", _account, ("Description",), 4000, "Account Description"),
]


def _set(body: dict, path: tuple, value: str) -> dict:
    body = copy.deepcopy(body)
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def _send(xero, endpoint: str, key: str, body: dict, **kw):
    payload = body if endpoint == "Accounts" else {key: [body]}
    return xero.put(f"{API}/{endpoint}", json=payload, **kw)


@pytest.mark.parametrize(
    ("endpoint", "key", "make", "path", "limit", "label"),
    FREE_TEXT,
    ids=[f"{e}-{'.'.join(map(str, p))}" for e, _k, _m, p, _l, _b in FREE_TEXT],
)
def test_at_the_limit_is_accepted_one_more_is_refused(
    xero, xapp, customer, endpoint, key, make, path, limit, label
):
    at_limit = _set(make(customer), path, _text(limit, path[-1]))
    accepted = _send(xero, endpoint, key, at_limit)
    assert accepted.status_code == 200, accepted.text[-400:]
    assert xapp.validator.violations == []

    over = _set(make(customer), path, _text(limit + 1, path[-1]))
    with xapp.validator.invalid_requests_expected():  # the contract forbids it too
        refused = _send(xero, endpoint, key, over)
    assert refused.status_code == 400, refused.text[-400:]
    body = refused.json()
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
        10,
        "ValidationException",
        "A validation exception occurred",
    )
    messages = [e["Message"] for element in body["Elements"] for e in element["ValidationErrors"]]
    assert f"{label} is too long. Maximum of {limit} characters allowed" in messages


def test_per_element_errors_with_summarize_errors_false(xero, xapp, xstate):
    long_name = "N" * 256
    with xapp.validator.invalid_requests_expected():
        response = xero.put(
            f"{API}/Contacts",
            params={"summarizeErrors": "false"},
            json={"Contacts": [{"Name": long_name}, {"Name": "Short Name Ltd"}]},
        )
    assert response.status_code == 200
    first, second = response.json()["Contacts"]
    assert first["StatusAttributeString"] == "ERROR"
    assert first["ValidationErrors"] == [
        {"Message": "Contact Name is too long. Maximum of 255 characters allowed"}
    ]
    assert second["StatusAttributeString"] == "OK"
    names = {c["Name"] for c in xstate.xero.contacts.values()}
    assert "Short Name Ltd" in names and long_name not in names


def test_invoice_batch_keeps_the_good_ones(xero, xapp, customer, xstate):
    long_number = "INV-" + "9" * 296
    with xapp.validator.invalid_requests_expected():
        response = xero.put(
            f"{API}/Invoices",
            params={"summarizeErrors": "false"},
            json={
                "Invoices": [
                    invoice_body(customer, InvoiceNumber=long_number),
                    invoice_body(customer, InvoiceNumber="INV-OK-1"),
                ]
            },
        )
    failed, made = response.json()["Invoices"]
    assert failed["ValidationErrors"] == [
        {"Message": "Invoice Number is too long. Maximum of 255 characters allowed"}
    ]
    assert made["StatusAttributeString"] == "OK"
    assert long_number.lower() not in xstate.xero.invoice_by_number


def test_references_to_other_records_are_checked_too(xero, xapp, customer):
    cases = [
        (
            "Payments",
            {
                "Payments": [
                    {
                        "Invoice": {"InvoiceNumber": "I" * 256},
                        "Account": {"Code": "090"},
                        "Date": "2026-01-14",
                        "Amount": 1,
                    }
                ]
            },
            "Invoice Number is too long. Maximum of 255 characters allowed",
        ),
        (
            "Invoices",
            {
                "Invoices": [
                    invoice_body(
                        customer,
                        LineItems=[
                            {
                                "Description": "x",
                                "Quantity": 1,
                                "UnitAmount": 1,
                                "AccountCode": "210",
                                "Tracking": [{"Name": "D" * 101, "Option": "Design"}],
                            }
                        ],
                    )
                ]
            },
            "Tracking Category Name is too long. Maximum of 100 characters allowed",
        ),
        (
            "Invoices",
            {
                "Invoices": [
                    invoice_body(
                        customer,
                        LineItems=[
                            {
                                "Description": "x",
                                "Quantity": 1,
                                "UnitAmount": 1,
                                "AccountCode": "210",
                                "ItemCode": "C" * 31,
                            }
                        ],
                    )
                ]
            },
            "Item Code is too long. Maximum of 30 characters allowed",
        ),
        (
            "ManualJournals",
            {
                "ManualJournals": [
                    {
                        "Narration": "n",
                        "Date": "2026-01-10",
                        "JournalLines": [
                            {
                                "LineAmount": 1,
                                "AccountCode": "429",
                                "Tracking": [{"Name": "Department", "Option": "O" * 101}],
                            },
                            {"LineAmount": -1, "AccountCode": "800"},
                        ],
                    }
                ]
            },
            "Tracking Option Name is too long. Maximum of 100 characters allowed",
        ),
    ]
    for endpoint, payload, message in cases:
        with xapp.validator.invalid_requests_expected():
            response = xero.put(f"{API}/{endpoint}", json=payload)
        assert response.status_code == 400, (endpoint, response.text[-300:])
        messages = [
            e["Message"]
            for element in response.json()["Elements"]
            for e in element["ValidationErrors"]
        ]
        assert message in messages, (endpoint, messages)


def test_length_is_counted_as_xero_counts_it(xero, xapp):
    # Xero counts UTF-16 code units: 128 emoji are 256 units, over the 255 limit (the contract's
    # JSON Schema counts code points, so the request passes it).
    response = xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": "\U0001f600" * 128}]})
    assert response.status_code == 400
    assert "Contact Name is too long" in response.text
    assert xero.put(f"{API}/Contacts", json={"Contacts": [{"Name": "é" * 255}]}).status_code == 200

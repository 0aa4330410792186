"""The `where` and `order` expressions the product and common SDKs send."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from syncapp.sandbox.xero.http import field_getter
from syncapp.sandbox.xero.where import QueryParseError, order_apply, where_compile
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API

RECORDS = [
    {"Name": "Acme Ltd", "Status": "AUTHORISED", "EmailAddress": "ap@acme.example.com", "AmountDue": Decimal("10.00"),
     "Date": date(2024, 1, 5), "ContactID": "7e5a1f4c-0000-4000-8000-000000000001", "Contact": {"Name": "Acme Ltd"},
     "UpdatedDateUTC": datetime(2024, 1, 5, 9, tzinfo=UTC), "InvoiceNumber": "INV-1"},
    {"Name": "Bravo", "Status": "DRAFT", "EmailAddress": None, "AmountDue": Decimal("0.00"),
     "Date": date(2023, 12, 31), "ContactID": "7e5a1f4c-0000-4000-8000-000000000002", "Contact": {"Name": "Bravo"},
     "UpdatedDateUTC": datetime(2023, 12, 31, 9, tzinfo=UTC), "InvoiceNumber": "INV-2"},
    {"Name": "charlie & co", "Status": "PAID", "EmailAddress": "", "AmountDue": Decimal("5.50"),
     "Date": date(2024, 2, 1), "ContactID": "7e5a1f4c-0000-4000-8000-000000000003", "Contact": {"Name": "charlie & co"},
     "UpdatedDateUTC": datetime(2024, 2, 1, 9, tzinfo=UTC), "InvoiceNumber": "INV-3"},
]


def names(expression: str) -> list[str]:
    predicate = where_compile(expression=expression, getter=field_getter)
    return [r["Name"] for r in RECORDS if predicate(r)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Status=="AUTHORISED"', ["Acme Ltd"]),
        ('Status == "DRAFT" OR Status == "PAID"', ["Bravo", "charlie & co"]),
        ('Status=="AUTHORISED" || Status=="PAID"', ["Acme Ltd", "charlie & co"]),
        ('Status!="DRAFT" AND AmountDue>5', ["Acme Ltd", "charlie & co"]),
        ('Status!="DRAFT" && AmountDue>=10.00', ["Acme Ltd"]),
        ('ContactID==guid("7E5A1F4C-0000-4000-8000-000000000002")', ["Bravo"]),
        ('InvoiceNumber=="inv-3"', ["charlie & co"]),
        ('Name.ToLower()=="acme ltd"', ["Acme Ltd"]),
        ('Name.ToUpper()=="BRAVO"', ["Bravo"]),
        ('Name.Contains("CO")', ["charlie & co"]),
        ('Name.StartsWith("br")', ["Bravo"]),
        ('EmailAddress!=null', ["Acme Ltd"]),
        ('EmailAddress==null', ["Bravo", "charlie & co"]),
        ("Date>=DateTime(2024,01,01)", ["Acme Ltd", "charlie & co"]),
        ("Date<DateTime(2024, 1, 1)", ["Bravo"]),
        ("UpdatedDateUTC>DateTime(2024,01,05,08,00,00)", ["Acme Ltd", "charlie & co"]),
        ('Contact.Name=="BRAVO"', ["Bravo"]),
        ('NOT (Status=="DRAFT")', ["Acme Ltd", "charlie & co"]),
        ('(Status=="DRAFT" OR Status=="PAID") AND AmountDue>0', ["charlie & co"]),
        ('Name="Bravo"', ["Bravo"]),
        ("", ["Acme Ltd", "Bravo", "charlie & co"]),
    ],
)
def test_where_expressions(expression, expected):
    assert names(expression) == expected


@pytest.mark.parametrize("bad", ['Status=="DRAFT', "Status==", "Name.Explode()", "(Status==1", "DateTime(2024)"])
def test_bad_where_is_a_parse_error(bad):
    with pytest.raises(QueryParseError):
        where_compile(expression=bad, getter=field_getter)


def test_order_by_several_keys():
    ordered = order_apply(records=RECORDS, order="AmountDue DESC, Name", getter=field_getter)
    assert [r["Name"] for r in ordered] == ["Acme Ltd", "charlie & co", "Bravo"]
    ordered = order_apply(records=RECORDS, order="Date", getter=field_getter)
    assert [r["Name"] for r in ordered] == ["Bravo", "Acme Ltd", "charlie & co"]
    with pytest.raises(QueryParseError):
        order_apply(records=RECORDS, order="Date SIDEWAYS", getter=field_getter)


def test_where_through_the_api(xero, xstate, customer):
    expected = {i["InvoiceNumber"] for i in xstate.xero.invoices.values()
                if i["ContactID"] == customer and i["Status"] == "AUTHORISED"}
    response = xero.get(f"{API}/Invoices",
                        params={"where": f'Status=="AUTHORISED" AND Contact.ContactID==guid("{customer}")'})
    assert response.status_code == 200
    assert {i["InvoiceNumber"] for i in response.json()["Invoices"]} == expected
    name = xstate.xero.contacts[customer]["Name"]
    found = xero.get(f"{API}/Contacts", params={"where": f'Name.ToLower()=="{name.lower()}"'}).json()["Contacts"]
    assert [c["ContactID"] for c in found] == [customer]
    with_email = xero.get(f"{API}/Contacts", params={"where": "EmailAddress!=null"}).json()["Contacts"]
    assert with_email and all(c.get("EmailAddress") for c in with_email)


def test_bad_where_answers_query_parse_exception(xero, xraw):
    # The contract lists no 400 for GET /Invoices; Xero answers a QueryParseException anyway.
    response = xraw.get(f"{API}/Invoices", params={"where": 'Status=="DRAFT'}, headers=xero.headers)
    assert response.status_code == 400
    assert response.json()["Type"] == "QueryParseException"


def test_order_through_the_api(xero):
    numbers = [i["InvoiceNumber"] for i in xero.get(f"{API}/Invoices", params={"order": "InvoiceNumber DESC"}).json()["Invoices"]
               if i.get("InvoiceNumber")]
    assert numbers == sorted(numbers, key=str.lower, reverse=True)

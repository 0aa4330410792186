"""Contract walk: every Xero endpoint the sandbox serves, request and response validated against
../shared/specs (xero_accounting.yaml, xero-identity.yaml, xero-webhooks.yaml).

The composite app runs with validation on and raising, so any call below that breaks the contract
fails the test; at the end we check that every served operation was exercised with a success (and
the batch writes with a 400 too)."""

from __future__ import annotations

import json
import re

import pytest

from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app, sandbox_client
from syncapp.sandbox.core.contract import schema_validate
from syncapp.sandbox.seed import seed_sandbox
from syncapp.sandbox.xero.webhooks import webhook_add_hook, webhook_configure
from tests.sandbox.test_xero_support import API, NOON, TODAY, invoice_body, xero_auth

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

SERVED = {
    ("GET", "/Organisation"), ("GET", "/Organisation/Actions"),
    ("GET", "/Accounts"), ("PUT", "/Accounts"), ("GET", "/Accounts/{id}"), ("POST", "/Accounts/{id}"),
    ("GET", "/TaxRates"), ("PUT", "/TaxRates"), ("POST", "/TaxRates"), ("GET", "/TaxRates/TAX001"),
    ("GET", "/Currencies"), ("PUT", "/Currencies"),
    ("GET", "/TrackingCategories"), ("GET", "/TrackingCategories/{id}"), ("GET", "/Items"), ("GET", "/Items/{id}"),
    ("GET", "/Contacts"), ("PUT", "/Contacts"), ("POST", "/Contacts"), ("GET", "/Contacts/{id}"),
    ("POST", "/Contacts/{id}"), ("GET", "/Contacts/{id}/History"), ("PUT", "/Contacts/{id}/History"),
    ("GET", "/Contacts/{id}/Attachments"), ("PUT", "/Contacts/{id}/Attachments/card.txt"),
    ("GET", "/Invoices"), ("PUT", "/Invoices"), ("POST", "/Invoices"), ("GET", "/Invoices/{id}"),
    ("POST", "/Invoices/{id}"), ("GET", "/Invoices/{id}/History"), ("PUT", "/Invoices/{id}/History"),
    ("GET", "/Invoices/{id}/Attachments"), ("PUT", "/Invoices/{id}/Attachments/timesheet.csv"),
    ("POST", "/Invoices/{id}/Attachments/timesheet.csv"),
    ("GET", "/CreditNotes"), ("PUT", "/CreditNotes"), ("POST", "/CreditNotes"), ("GET", "/CreditNotes/{id}"),
    ("POST", "/CreditNotes/{id}"), ("PUT", "/CreditNotes/{id}/Allocations"),
    ("GET", "/Payments"), ("PUT", "/Payments"), ("POST", "/Payments"), ("GET", "/Payments/{id}"),
    ("POST", "/Payments/{id}"), ("GET", "/Payments/{id}/History"),
    ("GET", "/Overpayments"), ("GET", "/Overpayments/{id}"), ("PUT", "/Overpayments/{id}/Allocations"),
    ("GET", "/ManualJournals"), ("PUT", "/ManualJournals"), ("POST", "/ManualJournals"),
    ("GET", "/ManualJournals/{id}"), ("POST", "/ManualJournals/{id}"),
    ("GET", "/BankTransactions"), ("PUT", "/BankTransactions"), ("POST", "/BankTransactions"),
    ("GET", "/BankTransactions/{id}"), ("POST", "/BankTransactions/{id}"),
    ("GET", "/connections"), ("GET", "/Connections"), ("DELETE", "/connections/{id}"),
}
BATCH_400 = {("PUT", "/Invoices"), ("POST", "/Invoices"), ("POST", "/Invoices/{id}"), ("PUT", "/Contacts"),
             ("POST", "/Contacts"), ("PUT", "/Payments"), ("POST", "/Payments/{id}"), ("PUT", "/CreditNotes"),
             ("PUT", "/ManualJournals"), ("PUT", "/BankTransactions"), ("PUT", "/Accounts"), ("PUT", "/TaxRates"),
             ("POST", "/TaxRates")}


def template(path: str) -> str:
    path = path.removeprefix(API).removeprefix("/api.xero.com")
    return UUID.sub("{id}", path)


@pytest.fixture
def walk():
    state = SandboxState.empty()
    seed_sandbox(state, seed=3, today=TODAY)
    clock = SimClock(frozen_at=NOON)
    app = build_sandbox_app(state, clock=clock, validate=True, rate_limits=True)
    deliveries: list[bytes] = []
    webhook_configure(state.xero, url=None, key="contract-walk-key")
    webhook_add_hook(state.xero, lambda body, headers: deliveries.append(body))
    with sandbox_client(app, headers=xero_auth(state, clock)) as client:
        yield client, app, state, deliveries, clock


def test_every_served_endpoint_honours_the_contract(walk):
    client, app, state, deliveries, clock = walk
    x = state.xero
    customer = next(c for c in x.contacts.values() if c.get("DefaultCurrency") == "USD" and c["ContactStatus"] == "ACTIVE")
    cid = customer["ContactID"]

    def ok(method, path, **kw):
        clock.advance(1.5)  # stay inside Xero's 60 calls a minute (the limits are on)
        response = client.request(method, API + path if not path.startswith("/api.xero.com") else path, **kw)
        assert response.status_code in (200, 204), (method, path, response.status_code, response.text[:400])
        return response

    def upload(method, path, **kw):
        # openapi-core hands an application/octet-stream body to the schema as bytes, and the spec
        # types it `string`/`byte`; that request check is a tool limitation, not a contract breach.
        # The answer is still validated.
        with app.validator.invalid_requests_expected():
            return ok(method, path, headers={"Content-Type": "application/octet-stream"}, **kw)

    def bad(method, path, **kw):
        clock.advance(1.5)
        response = client.request(method, API + path, **kw)
        assert response.status_code == 400, (method, path, response.status_code, response.text[:400])
        return response

    # Settings
    ok("GET", "/Organisation")
    ok("GET", "/Organisation/Actions")
    accounts = ok("GET", "/Accounts", params={"where": 'Type=="BANK"', "order": "Code"}).json()["Accounts"]
    ok("GET", f"/Accounts/{accounts[0]['AccountID']}")
    new_account = ok("PUT", "/Accounts", json={"Code": "299", "Name": "Workshops", "Type": "REVENUE",
                                               "TaxType": "TAX001"}).json()["Accounts"][0]
    bad("PUT", "/Accounts", json={"Code": "299", "Name": "Workshops again", "Type": "REVENUE"})
    ok("POST", f"/Accounts/{new_account['AccountID']}", json={"Accounts": [{"Status": "ARCHIVED"}]})
    ok("GET", "/TaxRates", params={"where": 'Status=="ACTIVE"'})
    ok("GET", "/TaxRates/TAX001")
    rate = {"Name": "CA State Tax", "ReportTaxType": "OUTPUT", "TaxComponents": [{"Name": "State Tax", "Rate": 2.25}]}
    ok("PUT", "/TaxRates", headers={"Idempotency-Key": "walk-rate"}, json={"TaxRates": [rate]})
    bad("PUT", "/TaxRates", json={"TaxRates": [rate]})
    ok("PUT", "/TaxRates", params={"summarizeErrors": "false"},
       json={"TaxRates": [rate, {**rate, "Name": "NV State Tax"}]})
    ok("POST", "/TaxRates", json={"TaxRates": [{"Name": "CA State Tax", "Status": "DELETED", "ReportTaxType": "OUTPUT",
                                                "TaxComponents": [{"Name": "State Tax", "Rate": 2.5}]}]})
    bad("POST", "/TaxRates", json={"TaxRates": [{"Name": "Tax on Sales", "Status": "DELETED"}]})
    ok("GET", "/Currencies")
    ok("PUT", "/Currencies", json={"Code": "CAD"})
    categories = ok("GET", "/TrackingCategories", params={"includeArchived": "true"}).json()["TrackingCategories"]
    ok("GET", f"/TrackingCategories/{categories[0]['TrackingCategoryID']}")
    items = ok("GET", "/Items", params={"where": 'IsSold==true', "order": "Code"}).json()["Items"]
    ok("GET", f"/Items/{items[0]['ItemID']}")

    # Contacts
    ok("GET", "/Contacts", params={"where": 'ContactStatus=="ACTIVE"', "order": "Name", "page": 1, "pageSize": 5,
                                   "includeArchived": "true", "summaryOnly": "false"},
       headers={"If-Modified-Since": "2020-02-06T12:17:43.202-08:00"})
    ok("GET", "/Contacts", params={"IDs": cid, "searchTerm": customer["Name"][:3]})
    ok("GET", f"/Contacts/{cid}")
    made = ok("PUT", "/Contacts", json={"Contacts": [{
        "Name": "Contract Walk Ltd", "FirstName": "Cora", "LastName": "Walker", "EmailAddress": "cora@walk.example.com",
        "ContactNumber": "HV-CLIENT-77", "DefaultCurrency": "EUR",
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": "1 Main St", "City": "Springfield",
                       "Region": "IL", "PostalCode": "62701", "Country": "US"}],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "5550100"}]}]}).json()["Contacts"][0]
    ok("POST", "/Contacts", params={"summarizeErrors": "false"},
       json={"Contacts": [{"ContactNumber": "HV-CLIENT-77", "LastName": "Walk"}, {"Name": customer["Name"]}]})
    bad("PUT", "/Contacts", json={"Contacts": [{"Name": customer["Name"]}]})
    bad("POST", "/Contacts", json={"Contacts": [{"Name": "Mailer", "EmailAddress": "nope"}]})
    ok("POST", f"/Contacts/{made['ContactID']}", json={"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    ok("PUT", f"/Contacts/{cid}/History", json={"HistoryRecords": [{"Details": "Spoke to AP"}]})
    ok("GET", f"/Contacts/{cid}/History")
    upload("PUT", f"/Contacts/{cid}/Attachments/card.txt", content=b"hello")
    ok("GET", f"/Contacts/{cid}/Attachments")

    # Invoices
    created = ok("PUT", "/Invoices", params={"summarizeErrors": "true", "unitdp": 4},
                 headers={"Idempotency-Key": "walk-1"},
                 json={"Invoices": [invoice_body(cid, Reference="walk", SentToContact=True, LineItems=[
                     {"Description": "Hours", "Quantity": 7.5, "UnitAmount": 152.3333, "AccountCode": "210",
                      "TaxType": "TAX002", "DiscountRate": 12.5,
                      "Tracking": [{"Name": "Department", "Option": "Design"}]},
                     {"ItemCode": "SERVICE", "Quantity": 2}])]}).json()["Invoices"][0]
    iid = created["InvoiceID"]
    ok("PUT", "/Invoices", headers={"Idempotency-Key": "walk-1"}, json={"Invoices": [invoice_body(cid)]})
    bad("PUT", "/Invoices", json={"Invoices": [invoice_body(cid, CurrencyCode="JPY")]})
    ok("POST", "/Invoices", params={"summarizeErrors": "false"},
       json={"Invoices": [invoice_body(cid, Status="DRAFT"), invoice_body(cid, InvoiceNumber=created["InvoiceNumber"],
                                                                          Reference="dup")]})
    bad("POST", "/Invoices", json={"Invoices": [invoice_body(cid, LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "250"}])]})
    ok("GET", "/Invoices", params={"where": 'Status=="AUTHORISED"', "order": "Date DESC", "page": 1, "pageSize": 10,
                                   "IDs": iid, "includeArchived": "true", "createdByMyApp": "false",
                                   "unitdp": 4, "summaryOnly": "false"},
       headers={"If-Modified-Since": "2020-02-06T12:17:43.202Z"})
    ok("GET", "/Invoices", params={"InvoiceNumbers": created["InvoiceNumber"], "ContactIDs": cid,
                                   "Statuses": "AUTHORISED,PAID", "searchTerm": "walk"})
    ok("GET", "/Invoices", params={"summaryOnly": "true"})
    ok("GET", f"/Invoices/{iid}", params={"unitdp": 4})
    ok("POST", f"/Invoices/{iid}", json={"Invoices": [{"Reference": "walk-2", "DueDate": "2026-03-01"}]})
    draft = ok("PUT", "/Invoices", json={"Invoices": [invoice_body(cid, Status="DRAFT")]}).json()["Invoices"][0]
    bad("POST", f"/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"Status": "PAID"}]})
    ok("POST", f"/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"Status": "DELETED"}]})
    ok("PUT", f"/Invoices/{iid}/History", json={"HistoryRecords": [{"Details": "Chased by phone"}]})
    ok("GET", f"/Invoices/{iid}/History")
    upload("PUT", f"/Invoices/{iid}/Attachments/timesheet.csv", params={"IncludeOnline": "true"},
           content=b"date,hours\n2026-01-05,7.5\n")
    upload("POST", f"/Invoices/{iid}/Attachments/timesheet.csv", content=b"date,hours\n2026-01-06,8\n")
    ok("GET", f"/Invoices/{iid}/Attachments")

    # Credit notes and allocations
    note_body = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": cid}, "Date": "2026-01-12", "Status": "AUTHORISED",
                 "LineItems": [{"Description": "Goodwill", "Quantity": 1, "UnitAmount": 20, "AccountCode": "200",
                                "TaxType": "TAX001"}]}
    note = ok("PUT", "/CreditNotes", json={"CreditNotes": [note_body]}).json()["CreditNotes"][0]
    bad("PUT", "/CreditNotes", json={"CreditNotes": [{**note_body, "CurrencyCode": "JPY"}]})
    ok("POST", "/CreditNotes", params={"summarizeErrors": "false"}, json={"CreditNotes": [{**note_body, "Status": "DRAFT"}]})
    ok("GET", "/CreditNotes", params={"where": 'Type=="ACCRECCREDIT"', "page": 1, "pageSize": 5})
    ok("GET", f"/CreditNotes/{note['CreditNoteID']}")
    ok("POST", f"/CreditNotes/{note['CreditNoteID']}", json={"CreditNotes": [{"Reference": "RMA-1"}]})
    ok("PUT", f"/CreditNotes/{note['CreditNoteID']}/Allocations",
       json={"Allocations": [{"Invoice": {"InvoiceID": iid}, "Amount": 10, "Date": "2026-01-13"}]})

    # Payments
    payment = ok("PUT", "/Payments", json={"Payments": [{"Invoice": {"InvoiceID": iid}, "Account": {"Code": "090"},
                                                         "Date": "2026-01-14", "Amount": 100,
                                                         "Reference": "Wire"}]}).json()["Payments"][0]
    bad("PUT", "/Payments", json={"Payments": [{"Invoice": {"InvoiceID": iid}, "Account": {"Code": "090"},
                                                "Amount": 999999}]})
    ok("POST", "/Payments", json={"Invoice": {"InvoiceNumber": created["InvoiceNumber"]}, "Account": {"Code": "615"},
                                  "Date": "2026-01-14", "Amount": 5})
    ok("GET", "/Payments", params={"where": 'Status=="AUTHORISED"', "order": "Date", "page": 1, "pageSize": 50})
    ok("GET", f"/Payments/{payment['PaymentID']}")
    ok("GET", f"/Payments/{payment['PaymentID']}/History")
    ok("POST", f"/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})
    bad("POST", f"/Payments/{payment['PaymentID']}", json={"Status": "DELETED"})

    # Overpayments (received through a bank transaction) and their allocation
    overpaid = ok("PUT", "/BankTransactions", json={"BankTransactions": [{
        "Type": "RECEIVE-OVERPAYMENT", "Contact": {"ContactID": cid}, "BankAccount": {"Code": "090"},
        "Date": "2026-01-14", "LineAmountTypes": "NoTax",
        "LineItems": [{"Description": "Overpaid", "LineAmount": 15}]}]}).json()["BankTransactions"][0]
    ok("GET", "/Overpayments", params={"where": 'Status=="AUTHORISED"', "page": 1, "pageSize": 10})
    ok("GET", f"/Overpayments/{overpaid['OverpaymentID']}")
    ok("PUT", f"/Overpayments/{overpaid['OverpaymentID']}/Allocations",
       json={"Allocations": [{"Invoice": {"InvoiceID": iid}, "Amount": 5, "Date": "2026-01-14"}]})

    # Manual journals
    journal = {"Narration": "Accrue December hosting", "Date": "2026-01-10", "Status": "POSTED",
               "JournalLines": [{"LineAmount": 120, "AccountCode": "429", "Description": "Hosting"},
                                {"LineAmount": -120, "AccountCode": "800", "Description": "Hosting"}]}
    made_journal = ok("PUT", "/ManualJournals", json={"ManualJournals": [journal]}).json()["ManualJournals"][0]
    bad("PUT", "/ManualJournals", json={"ManualJournals": [{**journal, "JournalLines": journal["JournalLines"][:1]}]})
    ok("POST", "/ManualJournals", params={"summarizeErrors": "false"}, json={"ManualJournals": [{**journal, "Status": "DRAFT"}]})
    ok("GET", "/ManualJournals", params={"where": 'Status=="POSTED"', "page": 1})
    ok("GET", f"/ManualJournals/{made_journal['ManualJournalID']}")
    ok("POST", f"/ManualJournals/{made_journal['ManualJournalID']}", json={"ManualJournals": [{"Narration": "Renamed"}]})

    # Bank transactions
    spend = {"Type": "SPEND", "Contact": {"ContactID": cid}, "BankAccount": {"Code": "090"}, "Date": "2026-01-11",
             "LineItems": [{"Description": "Coffee", "Quantity": 2, "UnitAmount": 4.5, "AccountCode": "429",
                            "TaxType": "INPUT"}]}
    tx = ok("PUT", "/BankTransactions", json={"BankTransactions": [spend]}).json()["BankTransactions"][0]
    bad("PUT", "/BankTransactions", json={"BankTransactions": [{**spend, "BankAccount": {"Code": "200"}}]})
    ok("POST", "/BankTransactions", params={"summarizeErrors": "false"}, json={"BankTransactions": [spend]})
    ok("GET", "/BankTransactions", params={"where": 'Type=="SPEND"', "page": 1, "pageSize": 10})
    ok("GET", f"/BankTransactions/{tx['BankTransactionID']}")
    ok("POST", f"/BankTransactions/{tx['BankTransactionID']}", json={"BankTransactions": [{**spend, "Reference": "Receipt 9"}]})

    # Identity
    ok("GET", "/api.xero.com/Connections")  # as the official SDKs spell it
    connection = ok("GET", "/api.xero.com/connections").json()[0]
    ok("DELETE", f"/api.xero.com/connections/{connection['id']}")

    checked = {(method, template(path)) for method, path, status in app.validator.checked if status < 300}
    missing = SERVED - checked
    assert not missing, f"served but never exercised: {sorted(missing)}"
    failures = {(method, template(path)) for method, path, status in app.validator.checked if status == 400}
    assert BATCH_400 <= failures, sorted(BATCH_400 - failures)
    unexpected = [v for v in app.validator.violations
                  if not (v.direction == "request" and "/Attachments/" in v.url
                          and all("is not of type 'string'" in e for e in v.errors))]
    assert unexpected == []

    # Every webhook delivery of the walk validates against xero-webhooks.yaml.
    assert deliveries
    for body in deliveries:
        payload = json.loads(body)
        schema = "WebhookEvent"
        assert schema_validate(spec="xero_webhooks", schema=schema, instance=payload) == [], payload

"""Settings writes, attachments, history notes, manual journals, bank transactions, rate limits."""

from __future__ import annotations

from decimal import Decimal

from syncapp.sandbox import build_sandbox_app, sandbox_client
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body, money, xero_auth


def test_archiving_an_account_refuses_its_code(xero, customer, xstate):
    account = next(a for a in xstate.xero.accounts.values() if a["Code"] == "220")
    archived = xero.post(f"{API}/Accounts/{account['AccountID']}", json={"Accounts": [{"Status": "ARCHIVED"}]})
    assert archived.json()["Accounts"][0]["Status"] == "ARCHIVED"
    body = invoice_body(customer, LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "220"}])
    response = xero.put(f"{API}/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [body]})
    assert "has been archived or deleted" in response.json()["Invoices"][0]["ValidationErrors"][0]["Message"]
    listed = xero.get(f"{API}/Accounts", params={"where": 'Status=="ACTIVE"'}).json()["Accounts"]
    assert "220" not in {a["Code"] for a in listed}


def test_enabling_a_currency(xero, customer):
    body = invoice_body(customer, CurrencyCode="CAD")
    refused = xero.put(f"{API}/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [body]})
    assert refused.json()["Invoices"][0]["StatusAttributeString"] == "ERROR"
    assert xero.put(f"{API}/Currencies", json={"Code": "CAD"}).json()["Currencies"] == [
        {"Code": "CAD", "Description": "Canadian Dollar"}]
    accepted = xero.put(f"{API}/Invoices", json={"Invoices": [body]})
    assert accepted.json()["Invoices"][0]["CurrencyCode"] == "CAD"


def test_tracking_on_lines(xero, customer):
    good = invoice_body(customer, LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "210",
                                              "Tracking": [{"Name": "Department", "Option": "design"}]}])
    line = xero.put(f"{API}/Invoices", json={"Invoices": [good]}).json()["Invoices"][0]["LineItems"][0]
    assert [(t["Name"], t["Option"]) for t in line["Tracking"]] == [("Department", "Design")]
    archived = invoice_body(customer, LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": 1,
                                                  "AccountCode": "210",
                                                  "Tracking": [{"Name": "Department", "Option": "Legacy"}]}])
    response = xero.put(f"{API}/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [archived]})
    assert response.json()["Invoices"][0]["ValidationErrors"][0]["Message"].startswith("Unknown tracking details.")


def test_attachments_round_trip(xero, xraw, customer):
    invoice = xero.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer)]}).json()["Invoices"][0]
    url = f"{API}/Invoices/{invoice['InvoiceID']}/Attachments"
    headers = {**xero.headers, "Content-Type": "application/pdf"}
    # Raw bytes, as clients send them (the validator cannot check octet bodies; see the contract walk).
    first = xraw.put(f"{url}/receipt.pdf", content=b"%PDF-1.4 one", headers=headers)
    assert first.status_code == 200
    attachment = first.json()["Attachments"][0]
    assert (attachment["FileName"], attachment["MimeType"], attachment["ContentLength"]) == (
        "receipt.pdf", "application/pdf", 12)
    xraw.post(f"{url}/receipt.pdf", content=b"%PDF-1.4 two!", headers=headers)
    listed = xero.get(url).json()["Attachments"]
    assert [(a["FileName"], a["ContentLength"]) for a in listed] == [("receipt.pdf", 13)]
    assert xraw.get(f"{url}/receipt.pdf", headers=xero.headers).content == b"%PDF-1.4 two!"
    assert xero.get(f"{API}/Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]["HasAttachments"] is True
    missing = xraw.put(f"{API}/Invoices/00000000-0000-4000-8000-000000000001/Attachments/a.pdf",
                       content=b"x", headers=headers)
    assert missing.status_code == 404


def test_history_records_changes_and_notes(xero, customer):
    invoice = xero.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer, Status="DRAFT")]}).json()["Invoices"][0]
    url = f"{API}/Invoices/{invoice['InvoiceID']}"
    xero.post(url, json={"Invoices": [{"Status": "AUTHORISED"}]})
    xero.put(f"{url}/History", json={"HistoryRecords": [{"Details": "Synced from Harvest invoice 1042"}]})
    records = xero.get(f"{url}/History").json()["HistoryRecords"]
    assert [r["Changes"] for r in records] == ["Created", "Approved", "Note"]
    assert records[-1]["Details"] == "Synced from Harvest invoice 1042"


def test_manual_journal_must_balance(xero):
    lines = [{"LineAmount": 100, "AccountCode": "477"}, {"LineAmount": -90, "AccountCode": "800"}]
    response = xero.put(f"{API}/ManualJournals", params={"summarizeErrors": "false"},
                        json={"ManualJournals": [{"Narration": "Payroll accrual", "JournalLines": lines,
                                                  "Date": "2026-01-31", "Status": "POSTED"}]})
    journal = response.json()["ManualJournals"][0]
    assert [e["Message"] for e in journal["ValidationErrors"]] == [
        "The total debits (100.00) must equal total credits (90.00)"]
    lines[1]["LineAmount"] = -100
    ok = xero.put(f"{API}/ManualJournals", json={"ManualJournals": [{"Narration": "Payroll accrual",
                                                                      "JournalLines": lines, "Date": "2026-01-31",
                                                                      "Status": "POSTED"}]})
    posted = ok.json()["ManualJournals"][0]
    assert posted["Status"] == "POSTED" and [money(line["LineAmount"]) for line in posted["JournalLines"]] == [
        Decimal("100.00"), Decimal("-100.00")]


def test_manual_journal_status_codes(xero):
    """Xero's codes: DELETED is a deleted draft, VOIDED a voided posted journal; a posted
    journal never goes back to draft."""
    lines = [{"LineAmount": 50, "AccountCode": "477"}, {"LineAmount": -50, "AccountCode": "800"}]

    def made(status):
        body = {"Narration": f"{status} accrual", "JournalLines": lines, "Date": "2026-01-31",
                "Status": status}
        return xero.put(f"{API}/ManualJournals", json={"ManualJournals": [body]}).json()[
            "ManualJournals"][0]["ManualJournalID"]

    def change(journal_id, status):
        # One record by its id: a refusal is Xero's 400 ValidationException with the element.
        body = xero.post(f"{API}/ManualJournals/{journal_id}",
                         json={"ManualJournals": [{"Narration": "Accrual", "JournalLines": lines,
                                                   "Status": status}]}).json()
        return (body.get("ManualJournals") or body["Elements"])[0]

    draft, posted = made("DRAFT"), made("POSTED")
    assert change(draft, "VOIDED")["ValidationErrors"][0]["Message"].startswith(
        "Only a posted manual journal can be voided")
    assert change(posted, "DELETED")["ValidationErrors"][0]["Message"].startswith(
        "Only a draft manual journal can be deleted")
    assert change(posted, "DRAFT")["ValidationErrors"][0]["Message"] == (
        "A posted manual journal cannot be returned to draft.")
    assert change(draft, "DELETED")["Status"] == "DELETED"
    assert change(posted, "VOIDED")["Status"] == "VOIDED"


def test_bank_transaction_totals_and_bank_account(xero, customer):
    receive = {"Type": "RECEIVE", "Contact": {"ContactID": customer}, "BankAccount": {"Code": "090"},
               "Date": "2026-01-12", "LineAmountTypes": "Inclusive",
               "LineItems": [{"Description": "Card sale", "Quantity": 1, "UnitAmount": 108.88, "AccountCode": "200",
                              "TaxType": "TAX001"}]}
    tx = xero.put(f"{API}/BankTransactions", json={"BankTransactions": [receive]}).json()["BankTransactions"][0]
    assert (money(tx["Total"]), money(tx["TotalTax"]), money(tx["SubTotal"])) == (
        Decimal("108.88"), Decimal("8.88"), Decimal("100.00"))
    assert tx["BankAccount"]["Code"] == "090"
    wrong = xero.put(f"{API}/BankTransactions", params={"summarizeErrors": "false"},
                     json={"BankTransactions": [{**receive, "BankAccount": {"Code": "200"}}]})
    assert wrong.json()["BankTransactions"][0]["ValidationErrors"][0]["Message"] == (
        "Account code '200' is not a bank account.")


def test_rate_limits_apply_per_organisation(xstate, xclock):
    app = build_sandbox_app(xstate, clock=xclock, validate=False, rate_limits=True)
    with sandbox_client(app, headers=xero_auth(xstate, xclock)) as client:
        answers = [client.get(f"{API}/Organisation") for _ in range(61)]
        assert [a.status_code for a in answers[:60]] == [200] * 60
        assert answers[59].headers["X-MinLimit-Remaining"] == "0"
        assert answers[0].headers["X-DayLimit-Remaining"] == "4999"
        refused = answers[60]
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "minute"
        assert int(refused.headers["Retry-After"]) >= 1
        xclock.advance(int(refused.headers["Retry-After"]))
        assert client.get(f"{API}/Organisation").status_code == 200


def test_organisation_actions_gate_invoice_creation(xero, xstate, customer):
    actions = {a["Name"]: a["Status"] for a in xero.get(f"{API}/Organisation/Actions").json()["Actions"]}
    assert actions["CreateApprovedInvoice"] == "ALLOWED"
    xstate.xero.actions["CreateApprovedInvoice"] = "NOT-ALLOWED"
    assert {a["Name"]: a["Status"] for a in xero.get(f"{API}/Organisation/Actions").json()["Actions"]}[
        "CreateApprovedInvoice"] == "NOT-ALLOWED"
    response = xero.put(f"{API}/Invoices", params={"summarizeErrors": "false"},
                        json={"Invoices": [invoice_body(customer), invoice_body(customer, Status="DRAFT")]})
    approved, draft = response.json()["Invoices"]
    assert approved["ValidationErrors"][0]["Message"] == (
        "This organisation is not allowed to perform the action CreateApprovedInvoice.")
    assert draft["StatusAttributeString"] == "OK"


def test_items_fill_lines_and_unknown_codes_fail(xero, xraw, customer):
    items = xero.get(f"{API}/Items").json()["Items"]
    assert {i["Code"] for i in items} == {"SERVICE", "PRODUCT", "EXPENSE"}
    body = invoice_body(customer, LineItems=[{"ItemCode": "SERVICE", "Quantity": 2},
                                             {"ItemCode": "EXPENSE", "Description": "Taxi", "UnitAmount": 30}])
    lines = xero.put(f"{API}/Invoices", json={"Invoices": [body]}).json()["Invoices"][0]["LineItems"]
    service, expense = lines
    assert (service["Description"], money(service["UnitAmount"]), service["AccountCode"], service["TaxType"]) == (
        "Consulting and design services", Decimal("165.00"), "210", "TAX001")
    assert service["Item"]["Code"] == "SERVICE"
    assert (expense["Description"], expense["AccountCode"], expense["TaxType"]) == ("Taxi", "230", "NONE")
    bad = invoice_body(customer, LineItems=[{"ItemCode": "NOPE", "Quantity": 1, "UnitAmount": 1}])
    response = xero.put(f"{API}/Invoices", params={"summarizeErrors": "false"}, json={"Invoices": [bad]})
    assert response.json()["Invoices"][0]["ValidationErrors"][0]["Message"] == "Item code 'NOPE' is not valid."
    # Xero also answers an item code in the path (the contract only describes the id).
    assert xraw.get(f"{API}/Items/service", headers=xero.headers).json()["Items"][0]["Code"] == "SERVICE"

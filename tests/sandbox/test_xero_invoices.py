"""Invoices: batch writes with per-element errors, status rules, idempotency, paging, If-Modified-Since."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body, money


def put_invoices(client, invoices, *, summarize=True, **kw):
    params = {} if summarize else {"summarizeErrors": "false"}
    return client.put(f"{API}/Invoices", params=params, json={"Invoices": invoices}, **kw)


def errors_of(element) -> list[str]:
    return [e["Message"] for e in element.get("ValidationErrors", [])]


def test_create_authorised_invoice_computes_totals(xero, customer, xstate):
    body = invoice_body(customer, LineItems=[
        {"Description": "Strategy", "Quantity": 3, "UnitAmount": 165, "AccountCode": "210", "TaxType": "TAX002",
         "DiscountRate": 10},
        {"Description": "Travel", "Quantity": 1, "UnitAmount": 80.1, "AccountCode": "230"},
    ])
    response = put_invoices(xero, [body])
    assert response.status_code == 200
    data = response.json()
    assert data["Status"] == "OK" and data["ProviderName"] and data["DateTimeUTC"].startswith("/Date(")
    invoice = data["Invoices"][0]
    assert invoice["InvoiceNumber"].startswith("INV-")
    assert invoice["Date"] == "/Date(1768003200000+0000)/"  # 2026-01-10
    # 3 x 165 = 495 less 10 % = 445.50; 10.875 % tax = 48.45; travel 80.10 untaxed (account's NONE)
    assert money(invoice["SubTotal"]) == Decimal("525.60")
    assert money(invoice["TotalTax"]) == Decimal("48.45")
    assert money(invoice["Total"]) == Decimal("574.05")
    assert money(invoice["AmountDue"]) == Decimal("574.05")
    assert money(invoice["TotalDiscount"]) == Decimal("49.50")
    assert [line["TaxType"] for line in invoice["LineItems"]] == ["TAX002", "NONE"]
    assert xstate.xero.contacts[customer]["IsCustomer"] is True
    assert '"Total":574.05' in response.text  # money is written exactly, as Xero does


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "999"}]},
         "Account code '999' is not a valid code for this document."),
        ({"LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "250"}]},
         "Account code '250' has been archived or deleted. Each line item must reference a valid account."),
        ({"LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "200", "TaxType": "INPUT"}]},
         "The TaxType code 'INPUT' cannot be used with account code '200'."),
        ({"CurrencyCode": "JPY"}, "Organisation is not subscribed to currency JPY"),
        ({"Date": "2025-07-31"}, "The document date cannot be before the period lock date, currently set at 31-Jul-2025"),
        ({"LineItems": [{"Description": "Credit", "Quantity": 1, "UnitAmount": -5, "AccountCode": "200"}]},
         "The invoice total cannot be negative."),
        ({"LineItems": [{"Quantity": 1, "UnitAmount": 5, "AccountCode": "200"}]},
         "The description field is mandatory for each line item."),
        ({"Type": "ACCPAY", "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "429",
                                           "DiscountRate": 5}]},
         "Discounts may not be applied to ACCPAY invoices."),
    ],
)
def test_validation_errors_per_element(xero, customer, change, message):
    good = invoice_body(customer)
    bad = invoice_body(customer, **change)
    response = put_invoices(xero, [good, bad, good], summarize=False)
    assert response.status_code == 200
    first, failed, third = response.json()["Invoices"]
    assert first["StatusAttributeString"] == "OK" and third["StatusAttributeString"] == "OK"
    assert failed["StatusAttributeString"] == "ERROR" and failed["HasErrors"] is True
    assert message in errors_of(failed)
    assert first["InvoiceNumber"] != third["InvoiceNumber"]


def test_invoice_number_already_used(xero, customer, xstate):
    taken = xstate.xero.seed_info["colliding_invoice_numbers"][0]
    response = put_invoices(xero, [invoice_body(customer, InvoiceNumber=taken),
                                   invoice_body(customer, InvoiceNumber="H-1"),
                                   invoice_body(customer, InvoiceNumber="h-1")], summarize=False)
    results = response.json()["Invoices"]
    assert errors_of(results[0]) == ["Invoice # must be unique."]
    assert results[1]["StatusAttributeString"] == "OK"
    assert errors_of(results[2]) == ["Invoice # must be unique."]


def test_summarize_errors_rejects_the_whole_batch(xero, customer, xstate):
    before = len(xstate.xero.invoices)
    response = put_invoices(xero, [invoice_body(customer), invoice_body(customer, CurrencyCode="JPY")])
    assert response.status_code == 400
    body = response.json()
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
        10, "ValidationException", "A validation exception occurred")
    assert [errors_of(e) for e in body["Elements"]] == [["Organisation is not subscribed to currency JPY"]]
    assert len(xstate.xero.invoices) == before


def test_a_draft_may_omit_accounts_but_approval_needs_them(xero, customer):
    draft = invoice_body(customer, Status="DRAFT", LineItems=[{"Description": "TBD", "Quantity": 1, "UnitAmount": 10}])
    created = put_invoices(xero, [draft]).json()["Invoices"][0]
    assert created["Status"] == "DRAFT"
    response = xero.post(f"{API}/Invoices/{created['InvoiceID']}", json={"Invoices": [{"Status": "AUTHORISED"}]})
    assert response.status_code == 400
    assert errors_of(response.json()["Elements"][0]) == ["Account code or ID must be specified."]


def test_status_rules(xero, customer):
    invoice = put_invoices(xero, [invoice_body(customer)]).json()["Invoices"][0]
    url = f"{API}/Invoices/{invoice['InvoiceID']}"
    # An AUTHORISED invoice cannot be deleted or sent back to draft...
    for status in ("DELETED", "DRAFT"):
        response = xero.post(url, json={"Invoices": [{"Status": status}]})
        assert errors_of(response.json()["Elements"][0]) == ["Invoice not of valid status for modification"]
    # ...but can be voided while nothing is paid; a voided invoice cannot be modified.
    voided = xero.post(url, json={"Invoices": [{"Status": "VOIDED"}]}).json()["Invoices"][0]
    assert voided["Status"] == "VOIDED" and money(voided["AmountDue"]) == 0
    response = xero.post(url, json={"Invoices": [{"Reference": "again"}]})
    assert errors_of(response.json()["Elements"][0]) == ["Invoice not of valid status for modification"]
    # Drafts (and submitted) can be deleted; the number becomes free again.
    draft = put_invoices(xero, [invoice_body(customer, Status="DRAFT", InvoiceNumber="DEL-1")]).json()["Invoices"][0]
    deleted = xero.post(f"{API}/Invoices/{draft['InvoiceID']}", json={"Invoices": [{"Status": "DELETED"}]})
    assert deleted.json()["Invoices"][0]["Status"] == "DELETED"
    assert put_invoices(xero, [invoice_body(customer, InvoiceNumber="DEL-1")]).status_code == 200


def test_void_refused_with_payment_and_paid_invoice_is_frozen(xero, customer):
    invoice = put_invoices(xero, [invoice_body(customer)]).json()["Invoices"][0]
    url = f"{API}/Invoices/{invoice['InvoiceID']}"
    pay = {"Invoice": {"InvoiceID": invoice["InvoiceID"]}, "Account": {"Code": "090"}, "Date": "2026-01-12",
           "Amount": 100}
    assert xero.put(f"{API}/Payments", json={"Payments": [pay]}).status_code == 200
    response = xero.post(url, json={"Invoices": [{"Status": "VOIDED"}]})
    assert errors_of(response.json()["Elements"][0]) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."]
    response = xero.post(url, json={"Invoices": [{"LineItems": [{"Description": "more", "Quantity": 9,
                                                                  "UnitAmount": 9, "AccountCode": "200"}]}]})
    assert "This document cannot be edited as it has a payment or credit note allocated to it." in errors_of(
        response.json()["Elements"][0])
    pay["Amount"] = float(money(invoice["Total"]) - 100)
    assert xero.put(f"{API}/Payments", json={"Payments": [pay]}).status_code == 200
    assert xero.get(url).json()["Invoices"][0]["Status"] == "PAID"
    response = xero.post(url, json={"Invoices": [{"Reference": "late change"}]})
    assert errors_of(response.json()["Elements"][0]) == ["Invoice not of valid status for modification"]


def test_update_by_number_replaces_lines_and_keeps_ids(xero, customer):
    created = put_invoices(xero, [invoice_body(customer, InvoiceNumber="UPD-1", Status="DRAFT")]).json()["Invoices"][0]
    line_id = created["LineItems"][0]["LineItemID"]
    update = {"InvoiceNumber": "UPD-1", "LineItems": [
        {"LineItemID": line_id, "Description": "Design sprint", "Quantity": 3, "UnitAmount": 150,
         "AccountCode": "210", "TaxType": "TAX001"},
        {"Description": "Extra", "Quantity": 1, "UnitAmount": 20, "AccountCode": "200", "TaxType": "NONE"}]}
    response = xero.post(f"{API}/Invoices", json={"Invoices": [update]})
    invoice = response.json()["Invoices"][0]
    assert invoice["InvoiceID"] == created["InvoiceID"]
    assert invoice["LineItems"][0]["LineItemID"] == line_id
    assert money(invoice["Total"]) == Decimal("450.00") + Decimal("39.94") + Decimal("20.00")


def test_contact_by_name_is_created_once_per_batch(xero, xstate):
    body = invoice_body("ignored")
    body["Contact"] = {"Name": "Brand New Client LLC"}
    before = len(xstate.xero.contacts)
    response = put_invoices(xero, [body, dict(body)])
    ids = {i["Contact"]["ContactID"] for i in response.json()["Invoices"]}
    assert len(ids) == 1
    assert len(xstate.xero.contacts) == before + 1


def test_archived_contact_refused(xero, xstate):
    twin = xstate.xero.seed_info["archived_twin"]["contact_id"]
    response = put_invoices(xero, [invoice_body(twin)], summarize=False)
    assert "has been archived" in errors_of(response.json()["Invoices"][0])[0]


def test_idempotency_key_replays_the_first_answer(xero, customer, xstate):
    headers = {"Idempotency-Key": "hx-invoice-batch-1"}
    first = put_invoices(xero, [invoice_body(customer)], headers=headers)
    count = len(xstate.xero.invoices)
    again = put_invoices(xero, [invoice_body(customer)], headers=headers)
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert len(xstate.xero.invoices) == count
    # A failed answer is replayed too, and a new key is a new request.
    bad = [invoice_body(customer, CurrencyCode="JPY")]
    assert put_invoices(xero, bad, headers={"Idempotency-Key": "k2"}).status_code == 400
    assert put_invoices(xero, [invoice_body(customer)], headers={"Idempotency-Key": "k2"}).status_code == 400
    assert put_invoices(xero, [invoice_body(customer)], headers={"Idempotency-Key": "k3"}).status_code == 200


def test_idempotency_survives_lost_response(xstate, xclock, customer):
    import httpx

    from syncapp.sandbox import FaultPlan, build_sandbox_app, sandbox_client
    from tests.sandbox.test_xero_support import xero_auth

    faults = FaultPlan(seed=1)
    faults.script("PUT /api.xero.com/api.xro/2.0/Invoices", "lost_response")
    app = build_sandbox_app(xstate, clock=xclock, faults=faults, rate_limits=False)
    with sandbox_client(app, headers={**xero_auth(xstate, xclock), "Idempotency-Key": "retry-me"}) as client:
        before = len(xstate.xero.invoices)
        with pytest.raises(httpx.ReadTimeout):
            put_invoices(client, [invoice_body(customer)])
        assert len(xstate.xero.invoices) == before + 1  # applied, answer lost
        retry = put_invoices(client, [invoice_body(customer)])
        assert retry.status_code == 200
        assert len(xstate.xero.invoices) == before + 1


def test_paging_and_line_items(xero, customer):
    put_invoices(xero, [invoice_body(customer, Reference=f"P{i}") for i in range(25)])
    everything = xero.get(f"{API}/Invoices").json()
    assert "pagination" not in everything and "LineItems" not in everything["Invoices"][0]
    total = len(everything["Invoices"])
    page = xero.get(f"{API}/Invoices", params={"page": 2, "pageSize": 10}).json()
    assert page["pagination"] == {"page": 2, "pageSize": 10, "pageCount": -(-total // 10), "itemCount": total}
    assert len(page["Invoices"]) == 10 and "LineItems" in page["Invoices"][0]
    assert [i["InvoiceID"] for i in page["Invoices"]] == [i["InvoiceID"] for i in everything["Invoices"][10:20]]
    default = xero.get(f"{API}/Invoices", params={"page": 1}).json()
    assert default["pagination"]["pageSize"] == 100
    big = xero.get(f"{API}/Invoices", params={"page": 1, "pageSize": 5000}).json()
    assert big["pagination"]["pageSize"] == 1000
    beyond = xero.get(f"{API}/Invoices", params={"page": 99}).json()
    assert beyond["Invoices"] == []


def test_filters_ids_numbers_statuses_contacts(xero, xraw, customer, xstate):
    created = put_invoices(xero, [invoice_body(customer, InvoiceNumber=f"F-{i}") for i in range(3)]).json()["Invoices"]
    ids = ",".join(i["InvoiceID"] for i in created[:2])
    assert len(xero.get(f"{API}/Invoices", params={"IDs": ids}).json()["Invoices"]) == 2
    found = xero.get(f"{API}/Invoices", params={"InvoiceNumbers": "F-0,f-2"}).json()["Invoices"]
    assert sorted(i["InvoiceNumber"] for i in found) == ["F-0", "F-2"]
    drafts = xero.get(f"{API}/Invoices", params={"Statuses": "DRAFT,SUBMITTED"}).json()["Invoices"]
    assert drafts and {i["Status"] for i in drafts} <= {"DRAFT", "SUBMITTED"}
    mine = xero.get(f"{API}/Invoices", params={"ContactIDs": customer}).json()["Invoices"]
    assert {i["Contact"]["ContactID"] for i in mine} == {customer}
    # Xero also takes an invoice number in the path (the contract only describes the id).
    by_number = xraw.get(f"{API}/Invoices/F-1", headers=xero.headers).json()["Invoices"][0]
    assert by_number["InvoiceID"] == created[1]["InvoiceID"]
    mine_only = xero.get(f"{API}/Invoices", params={"createdByMyApp": "true"}).json()["Invoices"]
    assert {i["InvoiceID"] for i in mine_only} == {i["InvoiceID"] for i in created}


def test_if_modified_since(xero, xraw, customer, xclock):
    xclock.advance(600)
    mark = xclock.now()
    xclock.advance(60)
    created = put_invoices(xero, [invoice_body(customer)]).json()["Invoices"][0]
    since = mark.strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = xero.get(f"{API}/Invoices", headers={"If-Modified-Since": since}).json()["Invoices"]
    assert [i["InvoiceID"] for i in changed] == [created["InvoiceID"]]
    # The HTTP date form works too (outside the contract's date-time, as Xero accepts it).
    rfc = mark.strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers = {**xero.headers, "If-Modified-Since": rfc}
    assert len(xraw.get(f"{API}/Invoices", headers=headers).json()["Invoices"]) == 1


def test_unknown_invoice_is_404(xero, xraw):
    response = xraw.get(f"{API}/Invoices/00000000-0000-4000-8000-0000000000ff", headers=xero.headers)
    assert response.status_code == 404


def test_batch_of_fifty_in_one_call(xero, customer, xstate):
    before = len(xstate.xero.invoices)
    response = put_invoices(xero, [invoice_body(customer, Reference=f"B{i}") for i in range(50)], summarize=False)
    assert response.status_code == 200
    assert [i["StatusAttributeString"] for i in response.json()["Invoices"]] == ["OK"] * 50
    assert len(xstate.xero.invoices) == before + 50


def test_no_element_limit_but_a_size_limit(xero, xraw, customer, xstate):
    response = put_invoices(xero, [invoice_body(customer, Reference=f"E{i}") for i in range(120)], summarize=False)
    assert len(response.json()["Invoices"]) == 120
    padded = [invoice_body(customer, Reference="x" * 40_000) for _ in range(100)]
    too_big = xraw.put(f"{API}/Invoices", json={"Invoices": padded}, headers=xero.headers)
    assert too_big.status_code == 413


def test_approved_invoice_needs_a_due_date(xero, customer):
    body = invoice_body(customer)
    del body["DueDate"]
    response = put_invoices(xero, [body, {**body, "Status": "DRAFT"}], summarize=False)
    approved, draft = response.json()["Invoices"]
    assert [e["Message"] for e in approved["ValidationErrors"]] == ["The document DueDate field must be specified."]
    assert draft["StatusAttributeString"] == "OK"


def test_unitdp_four_keeps_four_places(xero, customer):
    body = invoice_body(customer, LineItems=[{"Description": "Tiny units", "Quantity": 1000, "UnitAmount": 0.1234,
                                              "AccountCode": "200", "TaxType": "NONE"}])
    created = xero.put(f"{API}/Invoices", params={"unitdp": 4}, json={"Invoices": [body]}).json()["Invoices"][0]
    assert money(created["LineItems"][0]["UnitAmount"]) == Decimal("0.1234")
    assert money(created["Total"]) == Decimal("123.40")
    shown = xero.get(f"{API}/Invoices/{created['InvoiceID']}").json()["Invoices"][0]["LineItems"][0]
    assert money(shown["UnitAmount"]) == Decimal("0.12")
    four = xero.get(f"{API}/Invoices/{created['InvoiceID']}", params={"unitdp": 4}).json()["Invoices"][0]
    assert money(four["LineItems"][0]["UnitAmount"]) == Decimal("0.1234")
    plain = xero.put(f"{API}/Invoices", json={"Invoices": [body]}).json()["Invoices"][0]
    assert money(plain["Total"]) == Decimal("120.00")  # without unitdp the price is 0.12

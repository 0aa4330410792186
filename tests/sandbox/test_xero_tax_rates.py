"""PUT /TaxRates creates, POST /TaxRates updates by Name; the rates are then usable on invoices."""

from __future__ import annotations

from decimal import Decimal

from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body, money

CA_STATE = {
    "Name": "CA State Tax",
    "ReportTaxType": "OUTPUT",
    "TaxComponents": [{"Name": "State Tax", "Rate": 7.25}],
}


def _line(tax_type: str) -> list[dict]:
    return [
        {
            "Description": "Design",
            "Quantity": 1,
            "UnitAmount": 1000,
            "AccountCode": "210",
            "TaxType": tax_type,
        }
    ]


def test_put_creates_a_rate_with_the_next_tax_type(xero, xstate):
    response = xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE]})
    assert response.status_code == 200, response.text
    rate = response.json()["TaxRates"][0]
    assert rate["TaxType"] == "TAX007"  # the seed holds TAX001..TAX006
    assert rate["Name"] == "CA State Tax"
    assert rate["Status"] == "ACTIVE"
    assert rate["ReportTaxType"] == "OUTPUT"
    assert rate["TaxComponents"] == [
        {"Name": "State Tax", "Rate": 7.25, "IsCompound": False, "IsNonRecoverable": False}
    ]
    assert rate["EffectiveRate"] == rate["DisplayTaxRate"] == 7.25
    assert rate["CanApplyToRevenue"] is True and rate["CanApplyToExpenses"] is False
    assert '"Rate":7.2500' in response.text  # 4 decimal places, as Xero writes rates
    listed = xero.get(f"{API}/TaxRates", params={"where": 'Name=="CA State Tax"'}).json()[
        "TaxRates"
    ]
    assert [r["TaxType"] for r in listed] == ["TAX007"]
    assert xero.get(f"{API}/TaxRates/TAX007").json()["TaxRates"][0]["Name"] == "CA State Tax"
    assert xstate.xero.tax_rates["TAX007"]["TaxComponents"][0]["Rate"] == Decimal("7.2500")


def test_an_invoice_can_use_the_new_rate(xero, customer):
    tax_type = xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE]}).json()["TaxRates"][0][
        "TaxType"
    ]
    invoice = xero.put(
        f"{API}/Invoices", json={"Invoices": [invoice_body(customer, LineItems=_line(tax_type))]}
    )
    assert invoice.status_code == 200, invoice.text
    assert money(invoice.json()["Invoices"][0]["TotalTax"]) == money("72.50")


def test_compound_components_and_purchase_report_types(xero):
    body = {
        "Name": "GST + PST",
        "ReportTaxType": "INPUT",
        "TaxComponents": [
            {"Name": "GST", "Rate": 5},
            {"Name": "PST", "Rate": 10, "IsCompound": True},
        ],
    }
    rate = xero.put(f"{API}/TaxRates", json=body).json()["TaxRates"][0]
    assert rate["EffectiveRate"] == 15.5  # 5 + 10% of 105
    assert rate["CanApplyToRevenue"] is False and rate["CanApplyToExpenses"] is True


def test_several_rates_in_one_request(xero):
    second = {
        **CA_STATE,
        "Name": "Nevada Sales Tax",
        "TaxComponents": [{"Name": "State", "Rate": 6.85}],
    }
    rates = xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE, second]}).json()["TaxRates"]
    assert [r["TaxType"] for r in rates] == ["TAX007", "TAX008"]


def test_put_refuses_a_duplicate_name_and_saves_nothing(xero, xstate):
    before = dict(xstate.xero.tax_rates)
    response = xero.put(
        f"{API}/TaxRates", json={"TaxRates": [CA_STATE, {**CA_STATE, "Name": "ca state tax "}]}
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    messages = [e["Message"] for element in body["Elements"] for e in element["ValidationErrors"]]
    assert messages == [
        "A tax rate named 'ca state tax' already exists. Tax rate names must be unique."
    ]
    assert xstate.xero.tax_rates == before
    existing = xero.put(
        f"{API}/TaxRates", json={"TaxRates": [{**CA_STATE, "Name": "NY Sales Tax 8.875%"}]}
    )
    assert existing.status_code == 400


def test_put_validation_errors_per_element(xero, xapp):
    bad = [
        {"Name": "No components", "TaxComponents": []},
        {"TaxComponents": [{"Name": "X", "Rate": 1}]},
        {"Name": "Too high", "TaxComponents": [{"Name": "X", "Rate": 120}]},
        {"Name": "Unnamed part", "TaxComponents": [{"Rate": 1}]},
        {"Name": "Five places", "TaxComponents": [{"Name": "X", "Rate": 1.23456}]},
    ]
    response = xero.put(
        f"{API}/TaxRates", params={"summarizeErrors": "false"}, json={"TaxRates": [*bad, CA_STATE]}
    )
    assert response.status_code == 200
    elements = response.json()["TaxRates"]
    assert [e.get("StatusAttributeString") for e in elements] == ["ERROR"] * 5 + ["OK"]
    assert [e["ValidationErrors"][0]["Message"] for e in elements[:5]] == [
        "At least one tax component is required.",
        "The tax rate Name is required.",
        "The tax component rate '120' must be a number between 0 and 100.",
        "Each tax component must have a Name.",
        "Tax component rates may have at most 4 decimal places.",
    ]
    assert elements[5]["TaxType"] == "TAX007"
    assert xapp.validator.violations == []


def test_report_tax_type_must_be_one_of_xeros(xero, xapp):
    with xapp.validator.invalid_requests_expected():  # the spec's enum forbids it too
        response = xero.put(
            f"{API}/TaxRates", json={"TaxRates": [{**CA_STATE, "ReportTaxType": "SALES"}]}
        )
    assert response.status_code == 400
    assert response.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "ReportTaxType 'SALES' is not valid."}
    ]


def test_report_tax_type_is_required_outside_the_us(xero, xstate):
    xstate.xero.organisation["CountryCode"] = "NZ"
    body = {"Name": "GST 15%", "TaxComponents": [{"Name": "GST", "Rate": 15}]}
    response = xero.put(f"{API}/TaxRates", json={"TaxRates": [body]})
    assert response.status_code == 400
    assert response.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "ReportTaxType is required for this organisation."}
    ]
    xstate.xero.organisation["CountryCode"] = "US"
    assert (
        xero.put(f"{API}/TaxRates", json={"TaxRates": [body]}).json()["TaxRates"][0][
            "ReportTaxType"
        ]
        == "USSALESTAX"
    )


def test_post_updates_by_name_and_replaces_components(xero, customer):
    xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE]})
    update = {
        "Name": "CA State Tax",
        "TaxComponents": [{"Name": "State Tax", "Rate": 6}, {"Name": "County", "Rate": 1.5}],
    }
    response = xero.post(f"{API}/TaxRates", json={"TaxRates": [update]})
    assert response.status_code == 200, response.text
    rate = response.json()["TaxRates"][0]
    assert (rate["TaxType"], rate["EffectiveRate"]) == ("TAX007", 7.5)
    assert [c["Name"] for c in rate["TaxComponents"]] == ["State Tax", "County"]
    invoice = xero.put(
        f"{API}/Invoices", json={"Invoices": [invoice_body(customer, LineItems=_line("TAX007"))]}
    )
    assert money(invoice.json()["Invoices"][0]["TotalTax"]) == money("75.00")


def test_post_by_tax_type_can_rename(xero):
    xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE]})
    renamed = xero.post(
        f"{API}/TaxRates", json={"TaxRates": [{"TaxType": "TAX007", "Name": "California"}]}
    )
    assert renamed.json()["TaxRates"][0]["Name"] == "California"
    assert (
        renamed.json()["TaxRates"][0]["TaxComponents"][0]["Rate"] == 7.25
    )  # left alone when not sent


def test_deleting_a_rate_stops_its_use(xero, customer):
    xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE]})
    deleted = xero.post(
        f"{API}/TaxRates", json={"TaxRates": [{"Name": "CA State Tax", "Status": "DELETED"}]}
    )
    assert deleted.json()["TaxRates"][0]["Status"] == "DELETED"
    refused = xero.put(
        f"{API}/Invoices", json={"Invoices": [invoice_body(customer, LineItems=_line("TAX007"))]}
    )
    assert refused.status_code == 400
    assert "TAX007" in refused.text
    # The name is free again once the rate is deleted.
    again = xero.put(f"{API}/TaxRates", json={"TaxRates": [CA_STATE]})
    assert again.json()["TaxRates"][0]["TaxType"] == "TAX008"


def test_post_refuses_unknown_and_system_rates(xero):
    response = xero.post(
        f"{API}/TaxRates",
        params={"summarizeErrors": "false"},
        json={
            "TaxRates": [
                {"Name": "Nowhere Tax", "Status": "DELETED"},
                {"Name": "Tax on Sales", "Status": "DELETED"},
            ]
        },
    )
    messages = [e["ValidationErrors"][0]["Message"] for e in response.json()["TaxRates"]]
    assert messages == [
        "The tax rate 'Nowhere Tax' could not be found.",
        "The tax rate 'Tax on Sales' is system defined and cannot be updated.",
    ]


def test_put_honours_the_idempotency_key(xero, xstate):
    first = xero.put(
        f"{API}/TaxRates", headers={"Idempotency-Key": "rate-1"}, json={"TaxRates": [CA_STATE]}
    )
    second = xero.put(
        f"{API}/TaxRates", headers={"Idempotency-Key": "rate-1"}, json={"TaxRates": [CA_STATE]}
    )
    assert first.content == second.content
    assert sum(1 for r in xstate.xero.tax_rates.values() if r["Name"] == "CA State Tax") == 1


def test_writing_rates_needs_the_settings_scope(xraw, xstate, xclock):
    from syncapp.sandbox.xero.identity import token_mint

    tokens = token_mint(
        xstate.xero,
        client_id="4C6E5A3B2D1F40E89A7B6C5D4E3F2A10",
        now=xclock.now(),
        scope="accounting.settings.read",
    )
    headers = {
        "Authorization": f"Bearer {tokens['access_token']}",
        "xero-tenant-id": xstate.xero.tenant_id,
    }
    assert xraw.get(f"{API}/TaxRates", headers=headers).status_code == 200
    assert (
        xraw.put(f"{API}/TaxRates", headers=headers, json={"TaxRates": [CA_STATE]}).status_code
        == 401
    )

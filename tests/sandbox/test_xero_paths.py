"""Route names match in any case on the Xero side, as on real Xero; Harvest's stay case-sensitive."""

from __future__ import annotations

import pytest

from syncapp.sandbox import build_sandbox_app, sandbox_client
from syncapp.sandbox.harvest.app import credentials
from tests.sandbox.test_xero_support import *  # noqa: F403 - shared fixtures
from tests.sandbox.test_xero_support import API, invoice_body


def test_connections_answers_the_sdks_capitalised_path(xero, xapp):
    # The official SDKs call GET https://api.xero.com/Connections.
    upper = xero.get("/api.xero.com/Connections")
    lower = xero.get("/api.xero.com/connections")
    assert upper.status_code == lower.status_code == 200
    assert upper.json() == lower.json() != []
    assert ("GET", "/api.xero.com/Connections", 200) in xapp.validator.checked
    assert xapp.validator.violations == []


def test_connection_delete_in_any_case(xero):
    connection = xero.get("/api.xero.com/CONNECTIONS").json()[0]
    assert xero.delete(f"/api.xero.com/Connections/{connection['id']}").status_code == 204
    assert xero.get("/api.xero.com/connections").json() == []


@pytest.mark.parametrize(
    "path",
    [
        "/api.xero.com/api.xro/2.0/invoices",
        "/api.xero.com/api.xro/2.0/INVOICES",
        "/api.xero.com/API.XRO/2.0/Invoices",
        "/api.xero.com/api.xro/2.0/creditnotes",
        "/api.xero.com/api.xro/2.0/taxRates",
        "/api.xero.com/api.xro/2.0/organisation/actions",
    ],
)
def test_accounting_route_names_in_any_case(xero, xapp, path):
    response = xero.get(path)
    assert response.status_code == 200, response.text[:300]
    assert xapp.validator.violations == []  # checked against the spec's spelling of the path


def test_writes_and_sub_resources_in_any_case(xero, xapp, customer):
    made = xero.put(f"{API.lower()}/invoices", json={"Invoices": [invoice_body(customer)]})
    assert made.status_code == 200, made.text[:300]
    invoice_id = made.json()["Invoices"][0]["InvoiceID"]
    assert (
        xero.get(f"{API}/INVOICES/{invoice_id.upper()}").json()["Invoices"][0]["InvoiceID"]
        == invoice_id
    )
    note = xero.put(
        f"{API}/invoices/{invoice_id}/history", json={"HistoryRecords": [{"Details": "Called"}]}
    )
    assert note.status_code == 200, note.text[:300]
    history = xero.get(f"{API}/Invoices/{invoice_id}/HISTORY").json()["HistoryRecords"]
    assert "Called" in [record["Details"] for record in history]
    assert xapp.validator.violations == []


def test_ids_keep_their_value(xero, xstate):
    # Only route names fold: the id segment is still the record's own id.
    assert xero.get(f"{API}/taxrates/TAX001").json()["TaxRates"][0]["TaxType"] == "TAX001"
    contact_id = next(iter(xstate.xero.contacts))
    assert xero.get(f"{API}/CONTACTS/{contact_id}").json()["Contacts"][0]["ContactID"] == contact_id


def test_unknown_routes_still_answer_404(xraw, xstate, xclock):
    from tests.sandbox.test_xero_support import xero_auth

    headers = xero_auth(xstate, xclock)
    assert xraw.get(f"{API}/Invoicez", headers=headers).status_code == 404
    assert xraw.get("/api.xero.com/Connectionz", headers=headers).status_code == 404


def test_harvest_paths_stay_case_sensitive(seeded_state, clock):
    # Harvest's API is case-sensitive: /v2/Clients is not a route
    # (https://help.getharvest.com/api-v2/clients-api/clients/clients/).
    app = build_sandbox_app(seeded_state, clock=clock, validate=False)
    creds = credentials(seeded_state.harvest)
    headers = {
        "Authorization": f"Bearer {creds['personal_access_token']}",
        "Harvest-Account-Id": str(creds["account_id"]),
        "User-Agent": "hxsync tests (dev@example.com)",
    }
    with sandbox_client(app, headers=headers) as client:
        assert client.get("/api.harvestapp.com/v2/clients").status_code == 200
        assert client.get("/api.harvestapp.com/v2/Clients").status_code == 404

"""The Xero half of the demo seed: deterministic, mirrors Harvest's near-duplicates, realistic settings."""

from __future__ import annotations

import pickle
from decimal import Decimal

from syncapp.sandbox import SandboxState
from syncapp.sandbox.seed import seed_sandbox
from syncapp.sandbox.xero.money import ZERO
from syncapp.sandbox.xero.seed import seed_xero
from tests.sandbox.test_xero_support import TODAY


def seeded(seed: int) -> SandboxState:
    state = SandboxState.empty()
    seed_sandbox(state, seed=seed, today=TODAY)
    return state


def test_same_seed_same_organisation():
    a, b = seeded(4).xero, seeded(4).xero
    assert a.tenant_id == b.tenant_id
    assert list(a.contacts) == list(b.contacts)
    assert [(i["InvoiceNumber"], i["Total"], i["Status"]) for i in a.invoices.values()] == [
        (i["InvoiceNumber"], i["Total"], i["Status"]) for i in b.invoices.values()]
    assert seeded(5).xero.tenant_id != a.tenant_id


def test_near_duplicates_mirror_the_harvest_clients():
    state = seeded(0)
    near = state.harvest.seed_info["near_duplicates"]
    mirrored = state.xero.seed_info["near_duplicates"]
    assert len(mirrored) == len(near) >= 5
    harvest_names = {c["name"] for c in state.harvest.clients.values()}
    for entry, harvest_entry in zip(mirrored, near, strict=True):
        contact = state.xero.contacts[entry["contact_id"]]
        assert contact["Name"] == harvest_entry["xero_name"] != harvest_entry["name"]
        assert contact["EmailAddress"] == harvest_entry["xero_email"]
        assert contact["DefaultCurrency"] == harvest_entry["currency"]
        assert contact["Name"] not in harvest_names  # near, never exact
    twin = state.xero.contacts[state.xero.seed_info["archived_twin"]["contact_id"]]
    assert twin["ContactStatus"] == "ARCHIVED" and twin["Name"] in harvest_names


def test_settings_cover_what_the_flows_check():
    x = seeded(0).xero
    assert x.base_currency == "USD" and set(x.currencies) == {"USD", "EUR", "GBP"}
    archived = [a for a in x.accounts.values() if a["Status"] == "ARCHIVED"]
    assert [a["Code"] for a in archived] == [x.seed_info["archived_account_code"]]
    assert x.organisation["PeriodLockDate"].isoformat() == x.seed_info["lock_date"]
    compound = [t for t in x.tax_rates.values() if any(c["IsCompound"] for c in t["TaxComponents"])]
    assert compound and compound[0]["EffectiveRate"] == Decimal("15.4738")
    two_part = x.tax_rates["TAX002"]
    assert [c["Rate"] for c in two_part["TaxComponents"]] == [Decimal("8.875"), Decimal("2")]
    assert not x.tax_rates["GSTONIMPORTS"]["CanApplyToRevenue"]
    assert {c["Name"] for c in x.tracking.values()} == {"Department", "Region"}
    assert any(o["Status"] == "ARCHIVED" for c in x.tracking.values() for o in c["Options"])


def test_existing_invoices_in_every_status_and_consistent():
    x = seeded(0).xero
    statuses = {i["Status"] for i in x.invoices.values()}
    assert {"DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED"} <= statuses
    assert x.seed_info["colliding_invoice_numbers"] == ["1003"]
    for invoice in x.invoices.values():
        if invoice["Status"] in ("VOIDED", "DELETED"):
            assert invoice["AmountDue"] == ZERO
            continue
        assert invoice["Total"] == invoice["SubTotal"] + invoice["TotalTax"]
        assert invoice["AmountDue"] == invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
        assert (invoice["Status"] == "PAID") == (invoice["AmountDue"] == ZERO)
        assert invoice["Date"] > x.organisation["PeriodLockDate"]
    partly = [i for i in x.invoices.values() if i["Status"] == "AUTHORISED" and i["AmountPaid"] > 0]
    assert partly
    assert x.webhook_outbox == []


def test_state_pickles_without_hooks():
    state = seeded(0)
    state.xero.webhook_hooks.append(lambda body, headers: None)
    restored = pickle.loads(pickle.dumps(state))
    assert restored.xero.webhook_hooks == []
    assert restored.xero.invoices == state.xero.invoices
    with restored.xero.lock:
        pass


def test_seed_without_harvest_still_builds_an_organisation():
    x = seed_xero(SandboxState(), seed=2, harvest=None, today=TODAY)
    assert x.contacts and x.invoices and "archived_twin" not in x.seed_info


def test_a_restart_keeps_ledger_tokens_and_idempotency(tmp_path):
    from datetime import UTC, datetime

    from syncapp.sandbox import SimClock, StateStore, build_sandbox_app, sandbox_client
    from tests.sandbox.test_xero_support import API, invoice_body, xero_auth

    clock = SimClock(frozen_at=datetime(2026, 1, 15, 12, tzinfo=UTC))
    state = seeded(0)
    headers = {**xero_auth(state, clock), "Idempotency-Key": "before-restart"}
    customer = state.xero.seed_info["near_duplicates"][0]["contact_id"]
    with sandbox_client(build_sandbox_app(state, clock=clock, rate_limits=False), headers=headers) as client:
        first = client.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer)]})
    store = StateStore(tmp_path / "state.pickle")
    store.save(state)
    restored = store.load()
    with sandbox_client(build_sandbox_app(restored, clock=clock, rate_limits=False), headers=headers) as client:
        again = client.put(f"{API}/Invoices", json={"Invoices": [invoice_body(customer)]})
        assert again.status_code == 200 and again.content == first.content
        invoice_id = first.json()["Invoices"][0]["InvoiceID"]
        assert client.get(f"{API}/Invoices/{invoice_id}").json()["Invoices"][0]["Total"] == 326.63
    assert len(restored.xero.invoices) == len(state.xero.invoices)

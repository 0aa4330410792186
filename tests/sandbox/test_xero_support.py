"""Shared fixtures and helpers for the Xero simulator tests (imported by the test_xero_* modules)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app, sandbox_client
from syncapp.sandbox.seed import seed_sandbox
from syncapp.sandbox.xero.control import DEFAULT_CLIENT_ID
from syncapp.sandbox.xero.identity import token_mint

API = "/api.xero.com/api.xro/2.0"
TODAY = date(2026, 1, 15)
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def xero_auth(state: SandboxState, clock: SimClock, *, lifetime: int = 1800) -> dict[str, str]:
    tokens = token_mint(state.xero, client_id=DEFAULT_CLIENT_ID, now=clock.now(), lifetime=lifetime)
    return {"Authorization": f"Bearer {tokens['access_token']}", "xero-tenant-id": state.xero.tenant_id}


def money(value) -> Decimal:
    return Decimal(str(value))


def invoice_body(contact_id: str, **overrides) -> dict:
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Date": "2026-01-10",
        "DueDate": "2026-02-09",
        "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED",
        "LineItems": [
            {"Description": "Design sprint", "Quantity": 2, "UnitAmount": 150, "AccountCode": "210",
             "TaxType": "TAX001"},
        ],
    }
    invoice.update(overrides)
    return invoice


@pytest.fixture
def xclock() -> SimClock:
    return SimClock(frozen_at=NOON)


@pytest.fixture
def xstate() -> SandboxState:
    state = SandboxState.empty()
    seed_sandbox(state, seed=0, today=TODAY)
    return state


@pytest.fixture
def xapp(xstate, xclock):
    """Contract validation on (every behaviour test also checks the contract), limits off."""
    return build_sandbox_app(xstate, clock=xclock, validate=True, rate_limits=False)


@pytest.fixture
def xero(xapp, xstate, xclock):
    with sandbox_client(xapp, headers=xero_auth(xstate, xclock)) as client:
        yield client


@pytest.fixture
def xraw(xstate, xclock):
    """No contract validation: for answers the spec does not describe (401, 403, 404, 429)."""
    app = build_sandbox_app(xstate, clock=xclock, validate=False, rate_limits=False)
    with sandbox_client(app) as client:
        yield client


@pytest.fixture
def customer(xstate) -> str:
    """An active customer contact id (a near-duplicate of a Harvest client, USD)."""
    for entry in xstate.xero.seed_info["near_duplicates"]:
        contact = xstate.xero.contacts[entry["contact_id"]]
        if contact.get("DefaultCurrency") == "USD":
            return contact["ContactID"]
    raise AssertionError("seed has no USD customer")

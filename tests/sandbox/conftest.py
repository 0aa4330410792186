"""Fixtures for the sandbox simulators. None of them touches hxsync's database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app, sandbox_client
from syncapp.sandbox.harvest.app import credentials
from syncapp.sandbox.seed import seed_sandbox

SEED_TODAY = date(2026, 1, 15)
NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
HARVEST = "/api.harvestapp.com/v2"


@pytest.fixture
def clock() -> SimClock:
    return SimClock(frozen_at=NOON)


@pytest.fixture
def seeded_state() -> SandboxState:
    state = SandboxState.empty()
    seed_sandbox(state, seed=0, today=SEED_TODAY)
    return state


@pytest.fixture
def app(seeded_state, clock):
    """The composite app with contract validation on: every behaviour test is also a contract check."""
    return build_sandbox_app(seeded_state, clock=clock, validate=True)


@pytest.fixture
def harvest_headers(seeded_state) -> dict[str, str]:
    creds = credentials(seeded_state.harvest)
    return {
        "Authorization": f"Bearer {creds['personal_access_token']}",
        "Harvest-Account-Id": str(creds["account_id"]),
        "User-Agent": "hxsync tests (dev@example.com)",
    }


@pytest.fixture
def harvest(app, harvest_headers):
    with sandbox_client(app, headers=harvest_headers) as client:
        yield client


@pytest.fixture
def anonymous(app):
    with sandbox_client(app) as client:
        yield client

import httpx
import pytest

from syncapp.sandbox import FaultPlan, StateStore, build_sandbox_app, sandbox_client

from .conftest import HARVEST


@pytest.fixture
def faulty(seeded_state, clock, harvest_headers):
    plan = FaultPlan(seed=0)
    app = build_sandbox_app(seeded_state, clock=clock, faults=plan, validate=True)
    with sandbox_client(app, headers=harvest_headers) as client:
        yield plan, client, seeded_state


def test_unknown_host_prefix_is_404(anonymous):
    response = anonymous.get("/api.example.com/v1/things")
    assert response.status_code == 404


def test_state_summary_counts_both_simulators(anonymous, seeded_state):
    summary = anonymous.get("/_sandbox/state").json()
    assert summary["seed"] == 0
    assert summary["harvest"]["clients"] == 40
    assert summary["harvest"]["invoices"] == len(seeded_state.harvest.invoices)


def test_429_fault_carries_retry_after_and_touches_nothing(faulty):
    plan, client, state = faulty
    plan.script(f"POST {HARVEST}/clients", "429")
    before = len(state.harvest.clients)
    response = client.post(f"{HARVEST}/clients", json={"name": "New Client"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(plan.retry_after)
    assert len(state.harvest.clients) == before


@pytest.mark.parametrize("kind,status", [("500", 500), ("503", 503)])
def test_server_error_faults(faulty, kind, status):
    plan, client, _ = faulty
    plan.script(f"GET {HARVEST}/company", kind)
    assert client.get(f"{HARVEST}/company").status_code == status
    assert client.get(f"{HARVEST}/company").status_code == 200


def test_timeout_and_reset_raise_what_httpx_would(faulty):
    plan, client, state = faulty
    plan.script(f"POST {HARVEST}/clients", "timeout", "reset")
    before = len(state.harvest.clients)
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"{HARVEST}/clients", json={"name": "Timeout Co"})
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"{HARVEST}/clients", json={"name": "Reset Co"})
    assert len(state.harvest.clients) == before


def test_lost_response_applies_the_write(faulty):
    plan, client, state = faulty
    plan.script(f"POST {HARVEST}/clients", "lost_response")
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"{HARVEST}/clients", json={"name": "Applied But Lost"})
    names = {c["name"] for c in state.harvest.clients.values()}
    assert "Applied But Lost" in names
    # The retry then meets Harvest's own duplicate-name rule.
    again = client.post(f"{HARVEST}/clients", json={"name": "Applied But Lost"})
    assert again.status_code == 422
    assert again.json() == {"message": "Name has already been taken"}


def test_harvest_rate_limit_on_the_controlled_clock(seeded_state, clock, harvest_headers):
    app = build_sandbox_app(seeded_state, clock=clock)
    with sandbox_client(app, headers=harvest_headers) as client:
        for _ in range(100):
            assert client.get(f"{HARVEST}/company").status_code == 200
        refused = client.get(f"{HARVEST}/company")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == 15
        clock.advance(15)
        assert client.get(f"{HARVEST}/company").status_code == 200


def test_rate_limits_off_for_benchmarks(seeded_state, clock, harvest_headers):
    app = build_sandbox_app(seeded_state, clock=clock, rate_limits=False)
    with sandbox_client(app, headers=harvest_headers) as client:
        assert all(client.get(f"{HARVEST}/company").status_code == 200 for _ in range(150))
    assert app.limiters.harvest.calls[str(seeded_state.harvest.account_id)] == 150


def test_writes_are_saved_to_the_store(seeded_state, clock, harvest_headers, tmp_path):
    store = StateStore(tmp_path / "state.pickle", debounce_seconds=0.01)
    app = build_sandbox_app(seeded_state, clock=clock, store=store)
    with sandbox_client(app, headers=harvest_headers) as client:
        created = client.post(f"{HARVEST}/clients", json={"name": "Persisted Ltd"}).json()
    store.flush(seeded_state, lock=app.lock)
    assert store.load().harvest.clients[created["id"]]["name"] == "Persisted Ltd"

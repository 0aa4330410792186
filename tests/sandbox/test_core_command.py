"""`manage.py sandbox` and the served (socket) mode. No database involved."""

import json
import threading

import httpx
import pytest
from django.core.management import call_command

from syncapp.sandbox import FaultPlan, StateStore
from syncapp.sandbox.core.runner import sandbox_server


@pytest.fixture
def state_path(tmp_path, monkeypatch):
    path = tmp_path / "state.pickle"
    monkeypatch.setenv("HXSYNC_SANDBOX_STATE", str(path))
    return path


def _last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_seed_then_reset(state_path, capsys):
    call_command("sandbox", "seed", "--seed", "4", "--invoices", "30")
    result = _last_json(capsys)
    assert result["seed"] == 4 and result["harvest"]["invoices"] == 30
    assert StateStore(state_path).load().seed == 4
    call_command("sandbox", "reset")
    assert not state_path.exists()
    call_command("sandbox", "reset")
    assert "Nothing to delete" in capsys.readouterr().out


def test_bench_prints_json_last(capsys):
    call_command("sandbox", "bench", "--requests", "50", "--batches", "2")
    result = _last_json(capsys)
    assert result["requests_per_second"] > 0
    assert result["batch50_ms"] > 0


@pytest.fixture
def served(state_path):
    plan = FaultPlan(seed=0, hold_seconds=0.2)
    server, app, info = sandbox_server(port=0, store=StateStore(state_path), faults=plan)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield plan, app, info
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_served_sandbox_answers_real_clients_and_persists(served, state_path):
    plan, app, info = served
    harvest = info["harvest"]
    headers = {
        "Authorization": f"Bearer {harvest['personal_access_token']}",
        "Harvest-Account-Id": str(harvest["account_id"]),
    }
    with httpx.Client(base_url=info["urls"]["harvest_api"], headers=headers, timeout=5) as client:
        assert client.get("/company").json()["name"].startswith("Northwind")
        created = client.post("/clients", json={"name": "Over The Wire"}).json()
    app.store.flush(app.state, lock=app.lock)
    assert StateStore(state_path).load().harvest.clients[created["id"]]["name"] == "Over The Wire"


def test_faults_on_a_socket_drop_the_connection(served):
    plan, _, info = served
    harvest = info["harvest"]
    headers = {
        "Authorization": f"Bearer {harvest['personal_access_token']}",
        "Harvest-Account-Id": str(harvest["account_id"]),
    }
    plan.script("GET /api.harvestapp.com/v2/company", "reset", "timeout")
    with httpx.Client(base_url=info["urls"]["harvest_api"], headers=headers, timeout=5) as client:
        with pytest.raises(httpx.TransportError):
            client.get("/company")
        with pytest.raises(httpx.TransportError):
            client.get("/company")
        assert client.get("/company").status_code == 200

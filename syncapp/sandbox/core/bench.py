"""In-process throughput of the sandbox (validation off), for `manage.py sandbox bench`.

The figures say whether the simulators are fast enough not to dominate hxsync's own benchmark:
at least 2,000 simple requests per second on one core, and a 50-invoice batch write well under
50 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from syncapp.sandbox.core.app import build_sandbox_app, sandbox_client
from syncapp.sandbox.core.clock import SimClock
from syncapp.sandbox.core.store import SandboxState


def _timed(fn: Callable[[], Any], *, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def _harvest_headers(state: SandboxState) -> dict[str, str]:
    from syncapp.sandbox.harvest.app import credentials

    creds = credentials(state.harvest)
    return {
        "Authorization": f"Bearer {creds['personal_access_token']}",
        "Harvest-Account-Id": str(creds["account_id"]),
        "User-Agent": "hxsync-sandbox-bench",
    }


def _xero_batch(state: SandboxState, client: httpx.Client) -> Callable[[], httpx.Response] | None:
    """A 50-invoice Xero batch write, if the Xero simulator and its credentials exist."""
    try:
        from syncapp.sandbox.xero.bench import xero_batch_request
    except ImportError:
        return None
    return xero_batch_request(state, client=client, size=50)


def _harvest_batch(state: SandboxState, client: httpx.Client, headers: dict[str, str]):
    """Harvest has no batch endpoint: 50 invoice creations in a row stand in for one batch."""
    client_id = next(iter(state.harvest.clients))
    body = {
        "client_id": client_id,
        "tax": 5,
        "tax2": 2,
        "discount": 10,
        "line_items": [
            {
                "kind": "Service",
                "description": "Bench",
                "quantity": 2,
                "unit_price": 100,
                "taxed": True,
                "taxed2": True,
            }
        ],
    }

    def run() -> None:
        for _ in range(50):
            response = client.post("/api.harvestapp.com/v2/invoices", json=body, headers=headers)
            assert response.status_code == 201, response.text

    return run


def sandbox_bench(*, requests: int = 3000, batches: int = 20, seed: int = 0) -> dict[str, Any]:
    from syncapp.sandbox.seed import seed_sandbox

    state = SandboxState.empty()
    seeded_at = time.perf_counter()
    seed_sandbox(state, seed=seed, today=date(2026, 1, 15))
    seed_seconds = time.perf_counter() - seeded_at
    clock = SimClock()
    app = build_sandbox_app(state, clock=clock, validate=False, rate_limits=False)
    client = sandbox_client(app)
    headers = _harvest_headers(state)

    def simple() -> None:
        response = client.get("/api.harvestapp.com/v2/company", headers=headers)
        assert response.status_code == 200, response.text

    for _ in range(200):
        simple()
    started = time.perf_counter()
    for _ in range(requests):
        simple()
    elapsed = time.perf_counter() - started

    invoice_id = next(iter(state.harvest.invoices))
    single = _timed(
        lambda: client.get(f"/api.harvestapp.com/v2/invoices/{invoice_id}", headers=headers),
        repeat=500,
    )
    page = _timed(
        lambda: client.get("/api.harvestapp.com/v2/invoices?per_page=100", headers=headers),
        repeat=50,
    )
    result: dict[str, Any] = {
        "requests_per_second": round(requests / elapsed, 1),
        "simple_request_ms": round(elapsed / requests * 1000, 3),
        "harvest_invoice_get_ms": round(statistics.median(single) * 1000, 3),
        "harvest_invoice_page100_ms": round(statistics.median(page) * 1000, 3),
        "seed_seconds": round(seed_seconds, 3),
    }
    xero = _xero_batch(state, client)
    if xero is not None:
        samples = _timed(xero, repeat=batches)
        result["batch50_ms"] = round(statistics.median(samples) * 1000, 3)
        result["batch50_source"] = "xero PUT /Invoices?summarizeErrors=false, 50 invoices"
    harvest50 = _timed(_harvest_batch(state, client, headers), repeat=max(3, batches // 4))
    result["harvest_create50_ms"] = round(statistics.median(harvest50) * 1000, 3)
    if "batch50_ms" not in result:
        result["batch50_ms"] = result["harvest_create50_ms"]
        result["batch50_source"] = "harvest: 50 invoice POSTs (Xero simulator not installed)"
    return result

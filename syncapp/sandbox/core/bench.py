"""In-process throughput of the sandbox (validation off), for `manage.py sandbox bench`.

`requests_per_second` goes through httpx.WSGITransport, as hxsync's clients do in tests (most of
that time is httpx's own); `app_only_requests_per_second` calls the WSGI app directly.

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


def _xero_batch(
    state: SandboxState, client: httpx.Client, clock: SimClock
) -> Callable[[], None] | None:
    """A 50-invoice `PUT /Invoices?summarizeErrors=false`, if the Xero simulator is installed."""
    try:
        from syncapp.sandbox.xero.control import DEFAULT_CLIENT_ID
        from syncapp.sandbox.xero.identity import token_mint
    except ImportError:
        return None
    xero = state.xero
    token = token_mint(xero, client_id=DEFAULT_CLIENT_ID, now=clock.now(), lifetime=86400)
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "xero-tenant-id": xero.tenant_id,
        "Accept": "application/json",
    }
    contact_ids = [
        cid for cid, c in xero.contacts.items() if c.get("ContactStatus", "ACTIVE") == "ACTIVE"
    ]
    counter = iter(range(10**9))

    def run() -> None:
        invoices = []
        for _ in range(50):
            n = next(counter)
            invoices.append(
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact_ids[n % len(contact_ids)]},
                    "InvoiceNumber": f"BENCH-{n:07d}",
                    "Date": "2026-01-10",
                    "DueDate": "2026-02-09",
                    "LineAmountTypes": "Exclusive",
                    "Status": "AUTHORISED",
                    "LineItems": [
                        {
                            "Description": "Consulting",
                            "Quantity": 2,
                            "UnitAmount": 100,
                            "AccountCode": "200",
                            "TaxType": "TAX001",
                        },
                        {
                            "Description": "Design",
                            "Quantity": 1.5,
                            "UnitAmount": 140,
                            "AccountCode": "220",
                            "TaxType": "TAX001",
                        },
                    ],
                }
            )
        response = client.put(
            "/api.xero.com/api.xro/2.0/Invoices",
            params={"summarizeErrors": "false"},
            json={"Invoices": invoices},
            headers=headers,
        )
        assert response.status_code == 200, response.text[:500]
        statuses = {i.get("StatusAttributeString") for i in response.json()["Invoices"]}
        assert statuses == {"OK"}, response.text[:500]

    return run


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

    # The same request straight into the WSGI app (no httpx): what the simulator itself costs.
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/api.harvestapp.com/v2/company", headers=headers).get_environ()
    started = time.perf_counter()
    for _ in range(requests):
        app.respond(dict(environ))
    app_elapsed = time.perf_counter() - started

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
        "app_only_requests_per_second": round(requests / app_elapsed, 1),
        "harvest_invoice_get_ms": round(statistics.median(single) * 1000, 3),
        "harvest_invoice_page100_ms": round(statistics.median(page) * 1000, 3),
        "seed_seconds": round(seed_seconds, 3),
    }
    xero = _xero_batch(state, client, clock)
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

"""`bench idle`, CI-sized: an hour of simulated idling each way on a Starter organisation."""

from __future__ import annotations

import pytest

from syncapp.demo.bench import idle

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("webhooks", ["on", "off"])
def test_an_idle_hour_stays_cheap_and_payments_arrive(webhooks):
    figures = idle.run(hours=1, webhooks=webhooks, payments=2, seed=3)
    assert figures["first_run_status"] == "succeeded"
    assert figures["payments"] == figures["payments_arrived"] == 2
    assert figures["day_limit_429s"] == 0 and figures["other_429s"] == 0
    # Counted three ways: at the transport, by the sandbox, and in the runs' own counters.
    assert figures["xero_calls"] == figures["sandbox_xero_calls_day"]
    assert figures["xero_calls"] == figures["counters_xero_calls"]
    assert figures["xero_bytes_read"] == figures["counters_xero_bytes_read"] > 0
    if webhooks == "on":
        # One catch-up poll of each flow, the contacts read, one call per webhook run.
        assert figures["xero_calls"] <= 6
        assert figures["payment_latency_p95_seconds"] < 5
    else:
        # Payments polled every 8 minutes (8 in an hour), contacts read from Xero once.
        assert figures["xero_calls"] <= 12
        assert figures["payment_latency_p95_seconds"] < 8 * 60 + 30

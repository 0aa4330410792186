"""`manage.py bench payments` runs end to end (figures only; no timing is asserted)."""

import io
import json

import pytest
from django.core.management import call_command

from syncapp.models import Integration


@pytest.mark.django_db(transaction=True)
def test_bench_payments_inline_prints_its_figures_and_cleans_up():
    out = io.StringIO()
    call_command("bench", "payments", "--samples", "1", "--worker", "inline", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["intent_to_receive"]["status"] == "OK"
    assert figures["webhook_missed"] == 0 and figures["poll_missed"] == 0
    assert figures["webhook_latency_seconds"]["count"] == 1
    assert figures["calls_per_webhook_run"] == {"xero": 1, "harvest": 3}
    assert {"poll_latency_seconds", "poll_interval_seconds", "webhook_target_met"} <= set(figures)
    assert not Integration.objects.filter(name__startswith="bench payments").exists()

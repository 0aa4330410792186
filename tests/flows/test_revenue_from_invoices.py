"""Revenue on the profitability dashboard comes from what a real invoices run sent to Xero: every
synced invoice keeps the facts revenue needs, and the fold counts each one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from syncapp.demo.bench.invoices import SharedClock
from syncapp.models import ProjectMonth, SyncLink, SyncRun
from syncapp.services.profitability import profitability_refresh
from syncapp.services.runs import sync_run_execute
from tests.flows.conftest import sandbox_build, sandbox_integration_create

pytestmark = pytest.mark.django_db


def test_every_invoice_a_run_sent_is_counted_as_revenue():
    sandbox = sandbox_build(invoices=40)
    integration = sandbox_integration_create(sandbox)
    for flow in ("contacts", "invoices"):
        run = SyncRun.objects.create(integration=integration, flow=flow)
        run = sync_run_execute(
            run_id=run.pk, transport=sandbox.transport, clock=SharedClock(sandbox.clock)
        )
        assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.WITH_FAILURES), run.error
    synced = SyncLink.objects.filter(
        integration=integration, kind="invoice", state=SyncLink.State.SYNCED
    )
    assert synced.count() > 10
    assert all((s.snapshot or {}).get("revenue", {}).get("line_items") for s in synced)

    outcome = profitability_refresh(integration=integration)

    assert outcome.without_copy == 0, "no synced document is left out"
    revenue = ProjectMonth.objects.filter(integration=integration).aggregate(Sum("revenue"))
    assert revenue["revenue__sum"] > Decimal(0)

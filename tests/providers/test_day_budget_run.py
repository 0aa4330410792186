"""A run against a sandbox that enforces a tiny Xero day allowance: hxsync stops short of it
(never a day-limit 429), says why, and finishes over the following simulated days."""

from contextlib import ExitStack

import pytest

from syncapp import engine
from syncapp.demo.bench.invoices import (
    SharedClock,
    contacts_prelink,
    governor_reset,
    run_until_done,
    sandbox_invoices_verify,
    sandbox_rig_day_limited,
)
from syncapp.demo.sandbox_rig import sandbox_integration_connect
from syncapp.models import SyncRun
from syncapp.providers.governor import DayBudgetWait

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def limited():
    def build(*, invoices: int, day_limit: int):
        rig = sandbox_rig_day_limited(seed=3, invoices=invoices, day_limit=day_limit)
        integration = sandbox_integration_connect(rig, name="Northwind")
        contacts_prelink(state=rig.state, integration=integration)
        governor_reset(rig)
        return rig, integration, SharedClock(rig.clock)

    return build


def test_bulk_run_stops_before_the_day_limit_with_the_reason(limited):
    rig, integration, clock = limited(invoices=200, day_limit=12)
    run = SyncRun.objects.create(
        integration=integration, flow=SyncRun.Flow.INVOICES, trigger=SyncRun.Trigger.MANUAL
    )
    with pytest.raises(DayBudgetWait) as caught:
        engine.run_flows(run=run, transport=rig.transport, clock=clock)
    message = str(caught.value)
    assert message.startswith("Xero's daily allowance for Sandbox Xero is used up; resumes at ")
    assert caught.value.resumes_at.strftime("%H:%M UTC") in message
    # learned 12 from Xero's headers (the tier said 1,000): 4 kept for polls, 5 never used
    assert sum(rig.app.limiters.xero.calls.values()) <= 12 - 5
    assert rig.transport.refused == {}


def test_invoices_reach_xero_over_several_days_without_a_429(limited):
    rig, integration, clock = limited(invoices=400, day_limit=25)
    run = SyncRun.objects.create(
        integration=integration, flow=SyncRun.Flow.INVOICES, trigger=SyncRun.Trigger.COMMAND
    )
    finished, passes = run_until_done(run_row=run, rig=rig, clock=clock)
    assert finished.status in SyncRun.COMPLETED, finished.error
    assert passes >= 2 and clock.elapsed > 86400
    assert rig.transport.refused.get("daily", 0) == 0
    verified = sandbox_invoices_verify(state=rig.state)
    assert verified["lost"] == 0 and verified["duplicates"] == 0
    assert verified["in_xero"] > 0


def test_a_poll_run_uses_the_poll_share_bulk_left(limited):
    rig, integration, clock = limited(invoices=200, day_limit=12)
    bulk = SyncRun.objects.create(
        integration=integration, flow=SyncRun.Flow.INVOICES, trigger=SyncRun.Trigger.MANUAL
    )
    with pytest.raises(DayBudgetWait):
        engine.run_flows(run=bulk, transport=rig.transport, clock=clock)
    used = sum(rig.app.limiters.xero.calls.values())
    poll = SyncRun.objects.create(
        integration=integration, flow=SyncRun.Flow.INVOICES, trigger=SyncRun.Trigger.SCHEDULE
    )
    connections = engine.run_preflight(run=poll)
    with ExitStack() as stack:
        _, xero = engine.run_clients(
            connections=connections, stack=stack, run=poll, transport=rig.transport, clock=clock
        )
        assert xero.governor.purpose == "poll"
        xero.get_organisation()
    assert sum(rig.app.limiters.xero.calls.values()) == used + 1
    assert rig.transport.refused == {}

import pytest

from syncapp.sandbox.core.faults import FAULT_KINDS, FaultPlan

REQUESTS = [("GET", f"/api.harvestapp.com/v2/invoices/{n}") for n in range(300)] + [
    ("POST", "/api.xero.com/api.xro/2.0/Invoices") for _ in range(300)
]


def _run(plan: FaultPlan) -> list[str | None]:
    return [plan.decide(method, path) for method, path in REQUESTS]


def test_same_seed_same_faults():
    first = _run(FaultPlan(seed=42, rate=0.2))
    second = _run(FaultPlan(seed=42, rate=0.2))
    assert first == second
    injected = [k for k in first if k]
    assert 60 <= len(injected) <= 180  # about 20 % of 600
    assert set(injected) <= set(FAULT_KINDS)


def test_other_seed_other_faults():
    assert _run(FaultPlan(seed=1, rate=0.2)) != _run(FaultPlan(seed=2, rate=0.2))


def test_rate_zero_never_injects_and_rate_one_always_does():
    assert not any(_run(FaultPlan(seed=3)))
    assert all(_run(FaultPlan(seed=3, rate=1.0, kinds=("503",))))


def test_route_rates_override_the_overall_rate():
    plan = FaultPlan(seed=7, rate=0.0, routes={"POST /api.xero.com/*": 1.0}, kinds=("429",))
    decisions = _run(plan)
    assert not any(decisions[:300])
    assert decisions[300:] == ["429"] * 300
    assert len(plan.injected) == 300
    assert plan.injected[0].path == "/api.xero.com/api.xro/2.0/Invoices"


def test_scripted_faults_come_first_and_only_once():
    plan = FaultPlan(seed=0)
    plan.script("PUT /api.xero.com/api.xro/2.0/Invoices", "lost_response", "500")
    assert plan.decide("GET", "/api.xero.com/api.xro/2.0/Invoices") is None
    assert plan.decide("PUT", "/api.xero.com/api.xro/2.0/Invoices") == "lost_response"
    assert plan.decide("PUT", "/api.xero.com/api.xro/2.0/Invoices") == "500"
    assert plan.decide("PUT", "/api.xero.com/api.xro/2.0/Invoices") is None


def test_adding_a_route_does_not_shift_other_routes():
    base = FaultPlan(seed=5, rate=0.3)
    routed = FaultPlan(seed=5, rate=0.3, routes={"POST /api.xero.com/*": 0.0})
    assert _run(base)[:300] == _run(routed)[:300]


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError):
        FaultPlan(seed=0, kinds=("explode",))
    with pytest.raises(ValueError):
        FaultPlan(seed=0, rate=1.5)
    with pytest.raises(ValueError):
        FaultPlan(seed=0).script("no-method-here", "500")

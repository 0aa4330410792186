"""The seeded agency's cost shapes: a pay rise in the middle of its history and a project over
its hours budget, for the cost journals, the budget alerts and the dashboard to show."""

from collections import defaultdict
from decimal import Decimal


def test_one_person_has_a_pay_rise_that_earlier_entries_keep(seeded_state):
    hs = seeded_state.harvest
    rates: dict[int, set] = defaultdict(set)
    for entry in hs.time_entries.values():
        rates[entry["_user_id"]].add(Decimal(str(entry["cost_rate"])))
    (raised,) = [user for user, seen in rates.items() if len(seen) > 1]
    now = Decimal(str(hs.users[raised]["cost_rate"]))
    assert rates[raised] == {now, (now * Decimal("0.9")).quantize(Decimal("0.01"))}


def test_one_project_is_over_its_hours_budget(seeded_state):
    hs = seeded_state.harvest
    used: dict[int, Decimal] = defaultdict(Decimal)
    for entry in hs.time_entries.values():
        used[entry["_project_id"]] += Decimal(str(entry["hours"]))
    over = [
        p
        for p in hs.projects.values()
        if p["budget_by"] == "project" and p["budget"] and used[p["id"]] > p["budget"]
    ]
    assert len(over) == 1
    assert used[over[0]["id"]] / over[0]["budget"] > Decimal("1.1")

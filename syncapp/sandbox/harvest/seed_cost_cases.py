"""Cost shapes the demo shows, set from the seeded records after them without drawing from the
seed's random sequence (so every other seeded record stays as it was):

- a pay rise: one person's time before the first day of last month carries the cost rate they had
  then (10 % lower), as Harvest keeps each entry's rate when a rate changes;
- a project over budget: the hours-budgeted project that used most of its budget gets a budget
  of 85 % of its hours, so the budget alerts and the dashboard's burn chart have one to show.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

RAISE_FACTOR = Decimal("0.9")
OVER_BUDGET_SHARE = Decimal("0.85")


def seed_cost_cases(s: Any) -> None:
    _rate_change(s)
    _over_budget(s)


def _rate_change(s: Any) -> None:
    hs = s.hs
    entries = sorted(hs.time_entries.values(), key=lambda e: e["id"])
    if not entries:
        return
    user_id = entries[0]["_user_id"]
    raised_on = (s.today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for entry in entries:
        if entry["_user_id"] == user_id and entry["spent_date"] < raised_on.isoformat():
            rate = entry.get("cost_rate")
            if rate is not None:
                entry["cost_rate"] = (Decimal(str(rate)) * RAISE_FACTOR).quantize(
                    Decimal("0.01"), ROUND_HALF_UP
                )


def _over_budget(s: Any) -> None:
    hs = s.hs
    used: dict[int, Decimal] = defaultdict(Decimal)
    for entry in hs.time_entries.values():
        used[entry["_project_id"]] += Decimal(str(entry["hours"]))
    candidates = [
        p
        for p in hs.projects.values()
        if p.get("budget_by") == "project"
        and not p.get("budget_is_monthly")
        and p.get("budget")
        and used.get(p["id"])
    ]
    if not candidates:
        return
    chosen = max(candidates, key=lambda p: used[p["id"]] / Decimal(str(p["budget"])))
    chosen["budget"] = (used[chosen["id"]] * OVER_BUDGET_SHARE).quantize(Decimal("1"))

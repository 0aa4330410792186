"""The seeded demo: one agency in Harvest and its Xero organisation, deterministic per seed."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from typing import Any

from syncapp.sandbox.core.store import SandboxState
from syncapp.sandbox.harvest.seed import seed_harvest


def seed_sandbox(
    state: SandboxState,
    *,
    seed: int = 0,
    invoices: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Replace both simulators' data with the demo agency; returns what was seeded (counts)."""
    today = today or datetime.now(tz=UTC).date()
    state.seed = seed
    state.meta["seeded_for"] = today.isoformat()
    seed_harvest(state, seed=seed, invoices=invoices, today=today)
    result: dict[str, Any] = {"seed": seed, "harvest": state.harvest.counts()}
    seed_xero = _xero_seed()
    if seed_xero is not None:
        accepted = inspect.signature(seed_xero).parameters
        extra = {k: v for k, v in {"today": today, "invoices": invoices}.items() if k in accepted}
        seed_xero(state, seed=seed, harvest=state.harvest, **extra)
        counts = getattr(state.xero, "counts", None)
        result["xero"] = counts() if callable(counts) else True
    else:
        result["xero"] = None
    return result


def _xero_seed():
    try:
        from syncapp.sandbox.xero.seed import seed_xero
    except ImportError:
        return None
    return seed_xero

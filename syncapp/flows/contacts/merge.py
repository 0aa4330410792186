"""Three-way merge of one linked contact against the ledger's last-synced snapshot (pure).

The snapshot keeps each side's own form of every field as last synced: {"harvest": {...},
"xero": {...}}. A field changed on one side flows to the other; changed on both sides to
different values, finance decides ("review", the default) unless finance set an owner for the
field ("harvest"/"xero"), which then wins. Without a snapshot (a contact just linked) blanks are
filled both ways and a difference goes the owner's way; a "review" field is left as each side
has it until one of them changes. Every value an owner or finance's pick replaced is listed in
`overridden`, so the run can say what was lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncapp.flows.contacts.records import (
    FIELDS,
    value_equal,
    value_is_empty,
    value_to_harvest,
    value_to_xero,
)


@dataclass
class MergeResult:
    to_xero: dict[str, Any] = field(default_factory=dict)  # field -> Xero-form value to send
    to_harvest: dict[str, Any] = field(default_factory=dict)  # field -> Harvest-form value
    diverged: list[dict[str, Any]] = field(default_factory=list)
    # A value that differed on the other side and was replaced: {"field", "winner" ("harvest"
    # or "xero"), "kept", "lost" (each in its own side's form), "why" ("owner" or "finance")}.
    overridden: list[dict[str, Any]] = field(default_factory=list)
    apart: list[str] = field(default_factory=list)  # differ at linking, no owner: left as they are
    snapshot: dict[str, dict[str, Any]] = field(default_factory=dict)  # after the writes succeed

    @property
    def changes_anything(self) -> bool:
        return bool(self.to_xero or self.to_harvest)


def contact_merge(
    *,
    harvest: dict[str, Any],
    xero: dict[str, Any],
    snapshot: dict | None,
    owners: dict[str, str],
    force: dict[str, str] | None = None,
    frozen: set[str] | frozenset[str] = frozenset(),
) -> MergeResult:
    """`force` maps a field to the side finance picked ("harvest", "xero", or "keep" both as
    they are); `frozen` fields are waiting in review."""
    snapshot = snapshot or {}
    base_h, base_x = snapshot.get("harvest"), snapshot.get("xero")
    initial = not isinstance(base_h, dict) or not isinstance(base_x, dict)
    force = force or {}
    result = MergeResult(snapshot={"harvest": {}, "xero": {}})
    for name in FIELDS:
        h, x = harvest.get(name, ""), xero.get(name, "")
        new_h, new_x = h, x
        side = force.get(name)
        why = ""  # set where one side's differing value gives way to the other's
        if side == "harvest":
            new_x, why = value_to_xero(name, h), "finance"
        elif side == "xero":
            new_h, why = value_to_harvest(name, x), "finance"
        elif side == "keep":
            pass  # finance chose to leave both sides as they are: only the snapshot moves
        elif name in frozen:
            new_h, new_x = (base_h or {}).get(name, h), (base_x or {}).get(name, x)
            result.snapshot["harvest"][name], result.snapshot["xero"][name] = new_h, new_x
            continue
        elif value_equal(name, value_to_xero(name, h), x):
            pass
        elif initial:
            new_h, new_x = _first_link(name, h, x, owners.get(name, "review"))
            why = "owner"
            if value_equal(name, new_h, h) and value_equal(name, new_x, x):
                result.apart.append(name)
        else:
            h_changed = not value_equal(name, h, base_h.get(name, ""))
            x_changed = not value_equal(name, x, base_x.get(name, ""))
            if h_changed and not x_changed:
                new_x = value_to_xero(name, h)
            elif x_changed and not h_changed:
                new_h = value_to_harvest(name, x)
            elif h_changed and x_changed:
                owner = owners.get(name, "review")
                why = "owner"
                if owner == "harvest":
                    new_x = value_to_xero(name, h)
                elif owner == "xero":
                    new_h = value_to_harvest(name, x)
                else:
                    result.diverged.append(
                        {
                            "field": name,
                            "harvest": h,
                            "xero": x,
                            "base_harvest": base_h.get(name, ""),
                            "base_xero": base_x.get(name, ""),
                        }
                    )
                    # Nothing written; the snapshot keeps the base so it stays diverged.
                    result.snapshot["harvest"][name] = base_h.get(name, "")
                    result.snapshot["xero"][name] = base_x.get(name, "")
                    continue
            # Neither changed yet they differ: an earlier review left them apart on purpose.
        if not value_equal(name, new_x, x):
            result.to_xero[name] = new_x
            if why and not value_is_empty(x):
                result.overridden.append(_lost(name, "harvest", h, x, why))
        if not value_equal(name, new_h, h):
            result.to_harvest[name] = new_h
            if why and not value_is_empty(h):
                result.overridden.append(_lost(name, "xero", x, h, why))
        result.snapshot["harvest"][name] = new_h
        result.snapshot["xero"][name] = new_x
    return result


def _lost(name: str, winner: str, kept: Any, lost: Any, why: str) -> dict[str, Any]:
    return {"field": name, "winner": winner, "kept": kept, "lost": lost, "why": why}


def _first_link(name: str, h: Any, x: Any, owner: str) -> tuple[Any, Any]:
    if value_is_empty(x):
        return h, value_to_xero(name, h)
    if value_is_empty(h):
        return value_to_harvest(name, x), x
    if owner == "harvest":
        return h, value_to_xero(name, h)
    if owner == "xero":
        return value_to_harvest(name, x), x
    return h, x

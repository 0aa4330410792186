"""What a merge replaced or left apart, in words for the run's events (pure).

A value that gives way to the other side's is never lost silently: the event of that record
names the field, the value kept and the value replaced, and why (finance's owner, finance's
pick in review). A field changed differently on both sides with no owner goes to review, and
its event carries both values.
"""

from __future__ import annotations

from typing import Any

from syncapp.flows.contacts.address import address_join
from syncapp.flows.contacts.records import FIELD_LABELS, value_is_empty

SIDES = {"harvest": "Harvest", "xero": "Xero"}


def value_shown(name: str, value: Any) -> str:
    if value_is_empty(value):
        return "(blank)"
    if name == "address":
        text = address_join(value) if isinstance(value, dict) else str(value)
        return ", ".join(line.strip() for line in text.splitlines() if line.strip())
    return str(value).strip()


def loss_note(lost: dict[str, Any]) -> str:
    name, winner = lost["field"], lost["winner"]
    loser = "xero" if winner == "harvest" else "harvest"
    why = (
        "picked by finance in review"
        if lost["why"] == "finance"
        else f"owner: {SIDES[winner]}, set by finance"
    )
    return (
        f"{FIELD_LABELS[name]}: kept {SIDES[winner]}'s {value_shown(name, lost['kept'])} "
        f"({why}); {SIDES[loser]}'s {value_shown(name, lost['lost'])} was replaced."
    )


def losses_note(
    overridden: list[dict[str, Any]], *, to_xero: set[str], to_harvest: set[str]
) -> str:
    """Notes for the replaced values that are really written (`to_xero`/`to_harvest`: the
    fields sent; one refused or with nowhere to go in Harvest replaced nothing)."""
    written = {"harvest": to_xero, "xero": to_harvest}  # Harvest's value wins: Xero is written
    return " ".join(loss_note(o) for o in overridden if o["field"] in written[o["winner"]])


def diverged_note(diverged: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{FIELD_LABELS[d['field']]}: Harvest's {value_shown(d['field'], d['harvest'])}, "
        f"Xero's {value_shown(d['field'], d['xero'])}"
        for d in diverged
    )


def apart_note(apart: list[str]) -> str:
    if not apart:
        return ""
    labels = ", ".join(FIELD_LABELS[name] for name in apart)
    return f"Left as each side has it (they differ and finance set no owner): {labels}."

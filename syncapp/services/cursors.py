"""Cursors: per integration and stream, the watermark the next incremental read starts from.

Every flow reads and moves its cursors here (its streams are declared in its registry entry). A
cursor moves only after a read that got through, to the newest timestamp the remote side
reported (never our clock: the two systems' clocks are not ours)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils.dateparse import parse_datetime

from syncapp.models import Cursor, Integration


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None  # a damaged cursor means "read everything", never a crash


def cursors_get(*, integration: Integration, streams: Iterable[str]) -> dict[str, datetime | None]:
    streams = list(streams)
    values = dict(
        Cursor.objects.filter(integration=integration, stream__in=streams).values_list(
            "stream", "value"
        )
    )
    return {stream: _parse(values.get(stream)) for stream in streams}


def cursor_get(*, integration: Integration, stream: str) -> datetime | None:
    return cursors_get(integration=integration, streams=[stream])[stream]


def cursors_set(*, integration: Integration, values: dict[str, datetime | None]) -> None:
    """Move the given cursors (None: leave that one where it is) in one statement."""
    rows = [
        Cursor(integration=integration, stream=stream, value=value.isoformat())
        for stream, value in values.items()
        if value is not None
    ]
    if rows:
        Cursor.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["integration", "stream"],
            update_fields=["value", "updated_at"],
        )


def cursor_set(*, integration: Integration, stream: str, value: datetime | None) -> None:
    cursors_set(integration=integration, values={stream: value})

from datetime import UTC, datetime, timedelta

import pytest

from syncapp.sandbox.core.clock import SimClock


def test_frozen_clock_stands_still_and_advances_by_hand():
    clock = SimClock(frozen_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.now() == clock.now()
    clock.advance(90)
    assert clock.now() == datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    clock.advance(timedelta(days=1))
    assert clock.today().isoformat() == "2026-01-02"
    assert clock.time() == datetime(2026, 1, 2, 0, 1, 30, tzinfo=UTC).timestamp()


def test_real_clock_follows_wall_time_plus_offset():
    clock = SimClock()
    before = datetime.now(tz=UTC)
    clock.advance(3600)
    assert clock.now() - before >= timedelta(minutes=59)
    assert clock.now().tzinfo is not None


def test_freeze_then_unfreeze_keeps_simulated_time():
    clock = SimClock()
    clock.freeze(at=datetime(2030, 5, 5, tzinfo=UTC))
    clock.sleep(10)  # instant when frozen: it just advances
    assert clock.now() == datetime(2030, 5, 5, 0, 0, 10, tzinfo=UTC)
    clock.unfreeze()
    assert clock.now() >= datetime(2030, 5, 5, 0, 0, 10, tzinfo=UTC)
    assert clock.now().year == 2030


def test_freeze_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        SimClock(frozen_at=datetime(2026, 1, 1))  # noqa: DTZ001

"""Clocks: the real one, and a simulated one that counts waiting instead of sleeping.

The governor and the base client's retries wait through one of these, so tests and the invoice
benchmark (`simulated_wall_seconds`) never really sleep.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Epoch seconds and a way to wait. `syncapp.sandbox.core.clock.SimClock` fits too."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that never sleeps: `sleep()` moves it forward and adds to `slept`.

    The invoice benchmark runs the governor and the retries on one of these and reports
    `elapsed` as the wall time the rate limits would have cost.
    """

    def __init__(self, *, start: float | None = None) -> None:
        self._start = time.time() if start is None else float(start)
        self._now = self._start
        self.slept = 0.0

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._now += seconds
            self.slept += seconds

    def advance(self, seconds: float) -> None:
        self._now += seconds

    @property
    def elapsed(self) -> float:
        return self._now - self._start


SYSTEM_CLOCK = SystemClock()

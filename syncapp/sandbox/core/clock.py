"""The simulators' clock: real time by default, frozen and advanced by hand in tests and benchmarks.

Rate-limit windows, token expiry and `updated_at` stamps all read this clock, so a test can walk
through a 15-second Harvest window or a 30-minute Xero token life without sleeping.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, datetime, timedelta


class SimClock:
    """UTC clock; `freeze()` stops it, `advance()` moves it (frozen or not)."""

    def __init__(self, *, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: float | None = None
        if frozen_at is not None:
            self.freeze(at=frozen_at)

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def time(self) -> float:
        """Epoch seconds."""
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return _time.time() + self._offset

    def now(self) -> datetime:
        """Timezone-aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def today(self):
        return self.now().date()

    def advance(self, seconds: float | timedelta) -> None:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def freeze(self, at: datetime | float | None = None) -> None:
        """Stop the clock at `at` (default: the current simulated time)."""
        with self._lock:
            if at is None:
                value = self.time()
            elif isinstance(at, datetime):
                if at.tzinfo is None:
                    raise ValueError("SimClock.freeze needs an aware datetime")
                value = at.timestamp()
            else:
                value = float(at)
            self._frozen = value

    def unfreeze(self) -> None:
        """Let the clock run again from where it stands."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - _time.time()
                self._frozen = None

    def sleep(self, seconds: float) -> None:
        """Sleep on this clock: instant when frozen (it just advances), real otherwise."""
        if self._frozen is not None:
            self.advance(seconds)
        else:
            _time.sleep(seconds)

"""Seeded, reproducible fault injection, overall or per route.

A `FaultPlan` answers, for each incoming request, whether to inject a fault and which. The same
seed and the same sequence of requests give the same faults, so a failing fault test replays
exactly. `script()` queues specific faults for the next matching requests (checked before the
random draw) for tests that need one fault at one place.

How each kind is delivered lives in `core/app.py` (in-process it raises the httpx exception a real
client would see; on a socket it holds or drops the connection).
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

FAULT_KINDS = ("429", "500", "503", "timeout", "reset", "lost_response")
# Kinds that answer without touching the simulator's state.
FAULTS_BEFORE_WRITE = frozenset({"429", "500", "503", "timeout", "reset"})


def _parse_route(route: str) -> tuple[str, str]:
    method, _, glob = route.strip().partition(" ")
    if not glob:
        raise ValueError(f"fault route must look like 'METHOD /path-glob', got {route!r}")
    return method.upper(), glob.strip()


def _route_matches(route: tuple[str, str], method: str, path: str) -> bool:
    want_method, glob = route
    return (want_method in ("*", method)) and fnmatchcase(path, glob)


@dataclass
class InjectedFault:
    method: str
    path: str
    kind: str


@dataclass
class FaultPlan:
    """Decide faults deterministically for a seed.

    `rate` applies to every request; `routes` maps "METHOD /path-glob" (method may be `*`) to a
    rate that replaces the overall one for matching requests (first match wins).
    """

    seed: int
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    routes: dict[str, float] | None = None
    retry_after: int = 2
    hold_seconds: float = 65.0
    injected: list[InjectedFault] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._routes = [(_parse_route(r), rate) for r, rate in (self.routes or {}).items()]
        self._scripted: deque[tuple[tuple[str, str], str]] = deque()

    def script(self, route: str, *kinds: str) -> None:
        """Inject `kinds`, in order, into the next requests matching `route`."""
        parsed = _parse_route(route)
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}")
            self._scripted.append((parsed, kind))

    def decide(self, method: str, path: str) -> str | None:
        method = method.upper()
        with self._lock:
            kind = self._take_scripted(method, path)
            if kind is None:
                kind = self._draw(method, path)
            if kind is not None:
                self.injected.append(InjectedFault(method=method, path=path, kind=kind))
            return kind

    def _take_scripted(self, method: str, path: str) -> str | None:
        for index, (route, kind) in enumerate(self._scripted):
            if _route_matches(route, method, path):
                del self._scripted[index]
                return kind
        return None

    def _draw(self, method: str, path: str) -> str | None:
        rate = self.rate
        for route, route_rate in self._routes:
            if _route_matches(route, method, path):
                rate = route_rate
                break
        # One draw per request whatever the rate, so adding a route does not shift the sequence
        # seen by other routes.
        roll = self._rng.random()
        pick = self._rng.randrange(len(self.kinds)) if self.kinds else 0
        if rate <= 0.0 or roll >= rate or not self.kinds:
            return None
        return self.kinds[pick]

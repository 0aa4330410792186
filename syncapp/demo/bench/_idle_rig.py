"""The idle benchmark's rig: a simulated clock Django and the clients share, a metering
transport in front of the sandbox, and the sandbox with Xero's limits on for one tier."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

XERO_API = "/api.xero.com/"
HARVEST_API = "/api.harvestapp.com/"


class SimTime:
    """hxsync's clock for the clients (governor waits advance the sandbox's clock) and the
    source of Django's `timezone.now` while the benchmark runs."""

    def __init__(self, sandbox_clock) -> None:
        self.sandbox_clock = sandbox_clock

    def time(self) -> float:
        return self.sandbox_clock.time()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sandbox_clock.advance(seconds)

    def advance_to(self, when: float) -> None:
        if when > self.time():
            self.sandbox_clock.advance(when - self.time())


class Meter:
    """An httpx transport in front of the sandbox counting what hxsync sends and reads."""

    def __init__(self, inner) -> None:
        import httpx

        self.inner = inner
        self._response = httpx.Response
        self.reset()

    def reset(self) -> None:
        self.xero_calls = self.harvest_calls = self.other_calls = 0
        self.xero_bytes = self.harvest_bytes = 0
        self.day_limit_429s = self.other_429s = 0

    def handle_request(self, request):
        response = self.inner.handle_request(request)
        body = response.read()
        path = request.url.path
        if path.startswith(XERO_API):
            self.xero_calls += 1
            self.xero_bytes += len(body)
            if response.status_code == 429:
                if response.headers.get("X-Rate-Limit-Problem", "").lower() == "daily":
                    self.day_limit_429s += 1
                else:
                    self.other_429s += 1
        elif path.startswith(HARVEST_API):
            self.harvest_calls += 1
            self.harvest_bytes += len(body)
        else:
            self.other_calls += 1  # OAuth token refreshes: not against the API's allowance
        return self._response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def close(self) -> None:
        self.inner.close()


def idle_rig(*, seed: int, day_limit: int, clock_start: datetime):
    """The seeded sandbox with Xero's limits on and the organisation's tier's day allowance."""
    import httpx

    from syncapp.demo.sandbox_rig import SANDBOX_URL, SandboxRig
    from syncapp.sandbox import SandboxState, SimClock, build_sandbox_app
    from syncapp.sandbox.core.ratelimit import SlidingWindow
    from syncapp.sandbox.core.runner import sandbox_credentials
    from syncapp.sandbox.seed import seed_sandbox

    state = SandboxState.empty()
    clock = SimClock(frozen_at=clock_start)
    seed_sandbox(state, seed=seed, today=clock_start.date())
    app = build_sandbox_app(state, clock=clock, validate=False, rate_limits=True)
    limiter = app.limiters.xero
    limiter._day = SlidingWindow(limit=day_limit, seconds=86400)
    credentials = sandbox_credentials(state=state, base_url=SANDBOX_URL, clock=clock)
    return SandboxRig(state, clock, app, httpx.WSGITransport(app=app), credentials)


@contextmanager
def simulated_django_time(sim: SimTime):
    """Django's `timezone.now` (polls' due times, runs' stamps, leases) follows the sim clock;
    runs are executed here, not handed to the broker."""
    from django.utils import timezone

    import syncapp.services.runs as runs

    saved_now, saved_enqueue = timezone.now, runs.sync_run_enqueue
    # Functions that took `now=timezone.now` as a default kept the real one: swapped as well, or
    # tokens would look fresh to hxsync while the sandbox has long expired them.
    defaults = _now_defaults(saved_now)
    timezone.now = sim.now
    runs.sync_run_enqueue = lambda *, run_id, **_: "bench-idle"
    for function in defaults:
        function.__kwdefaults__["now"] = sim.now
    try:
        yield
    finally:
        timezone.now, runs.sync_run_enqueue = saved_now, saved_enqueue
        for function in defaults:
            function.__kwdefaults__["now"] = saved_now


def _now_defaults(real_now) -> list:
    import importlib
    import inspect

    found = []
    for name in ("tokens", "xero.factory", "harvest.factory", "xero.oauth", "harvest.oauth"):
        module = importlib.import_module(f"syncapp.providers.{name}")
        functions = [f for _, f in inspect.getmembers(module, inspect.isfunction)]
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                functions += [f for _, f in inspect.getmembers(cls, inspect.isfunction)]
        found += [f for f in functions if (f.__kwdefaults__ or {}).get("now") is real_now]
    return found

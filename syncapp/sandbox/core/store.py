"""The simulators' persistent state: plain objects in memory, pickled atomically to a file.

Never in hxsync's database: the sandbox stands for two foreign services, and a restart of the demo
must find them as they were (so the ledger and the simulated services stay consistent), while
`sandbox reset` deletes the file and starts over.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_VERSION = 1


def default_state_path() -> Path:
    env = os.environ.get("HXSYNC_SANDBOX_STATE")
    if env:
        return Path(env)
    # Beside hxsync's own files (settings.VAR_DIR follows the same variable), never in its tables.
    var_dir = os.environ.get("HXSYNC_VAR_DIR") or Path(__file__).resolve().parents[3] / "var"
    return Path(var_dir) / "sandbox" / "state.pickle"


@dataclass
class SandboxState:
    """Everything both simulators know. `harvest` is a HarvestState, `xero` a XeroState."""

    harvest: Any = None
    xero: Any = None
    counters: dict[str, int] = field(default_factory=dict)
    seed: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    version: int = STATE_VERSION

    @classmethod
    def empty(cls) -> SandboxState:
        from syncapp.sandbox.harvest.state import HarvestState

        state = cls(harvest=HarvestState())
        try:
            from syncapp.sandbox.xero.state import XeroState
        except ImportError:  # the Xero simulator is optional until it exists
            XeroState = None  # noqa: N806
        if XeroState is not None:
            state.xero = XeroState()
        return state

    def next_id(self, kind: str, *, start: int = 1) -> int:
        """Next integer id for `kind` (deterministic: ids follow creation order)."""
        value = self.counters.get(kind, start - 1) + 1
        self.counters[kind] = value
        return value

    def next_uuid(self, kind: str) -> str:
        """A deterministic UUID4-shaped id for `kind` (same seed and order, same ids)."""
        n = self.next_id(f"uuid:{kind}")
        digest = hashlib.blake2b(f"{kind}:{n}:{self.seed}".encode(), digest_size=16).digest()
        return str(uuid.UUID(bytes=digest, version=4))


class StateStore:
    """Load/save a SandboxState at `path`; `schedule_save` debounces saves after writes."""

    def __init__(self, path: Path | str | None = None, *, debounce_seconds: float = 1.0) -> None:
        self.path = Path(path) if path is not None else default_state_path()
        self.debounce_seconds = debounce_seconds
        self._timer: threading.Timer | None = None
        self._timer_lock = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> SandboxState | None:
        if not self.path.exists():
            return None
        with self.path.open("rb") as fh:
            state = pickle.load(fh)  # noqa: S301 - our own file, written by save()
        if not isinstance(state, SandboxState) or state.version != STATE_VERSION:
            raise ValueError(f"{self.path} is not a sandbox state of version {STATE_VERSION}")
        return state

    def save(self, state: SandboxState, *, lock: Any = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if lock is not None:
            with lock:
                payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def schedule_save(self, state: SandboxState, *, lock: Any = None) -> None:
        with self._timer_lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(self.debounce_seconds, self._flush, args=(state, lock))
            self._timer.daemon = True
            self._timer.start()

    def _flush(self, state: SandboxState, lock: Any) -> None:
        with self._timer_lock:
            self._timer = None
        self.save(state, lock=lock)

    def flush(self, state: SandboxState, *, lock: Any = None) -> None:
        """Save now and cancel a pending debounced save (on shutdown)."""
        with self._timer_lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.save(state, lock=lock)

    def delete(self) -> bool:
        if self.path.exists():
            self.path.unlink()
            return True
        return False

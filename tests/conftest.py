import os
import shutil
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str):
    """Skip locally when a machine service is missing; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url():
    url = os.environ.get("HXSYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    require(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return url


@pytest.fixture
def chromium_path():
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    require(bool(path), "Debian's chromium (apt-get install chromium)")
    return path


@pytest.fixture
def replace_flow_runner(monkeypatch):
    """Swap a registered flow's runner for a test function: `replace_flow_runner("contacts",
    "tests.module.function")`."""
    import dataclasses

    from syncapp.flows import registry

    def replace(name: str, runner: str) -> None:
        current = registry.flows()
        swapped = tuple(
            dataclasses.replace(flow, runner=runner) if flow.name == name else flow
            for flow in current
        )
        monkeypatch.setattr(registry, "flows", lambda: swapped)

    return replace

"""The refresh race: several workers find the same expiring Xero token at the same moment.

Two threads in one process, and two processes, share one real database (a SQLite file, and a
PostgreSQL database when one is reachable). A token endpoint on loopback rotates refresh
tokens strictly (an already used refresh token is refused, like Xero after its grace period)
and answers slowly, so the workers really overlap. Expected: exactly one refresh, every worker
gets the same new access token, and the stored refresh token is the one issued last.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from cryptography.fernet import Fernet

from tests.conftest import port_open, require
from tests.providers.token_race_worker import digest

ROOT = Path(__file__).resolve().parents[2]


class StrictTokenEndpoint:
    """Issues access-N/refresh-N; refresh-(N-1) works once, then it is dead."""

    def __init__(self):
        self.lock = threading.Lock()
        self.current_refresh = "refresh-0"
        self.refreshes = 0
        self.refused = 0

    def handle(self, form):
        time.sleep(0.4)  # widen the window in which a second worker could also refresh
        with self.lock:
            if (
                form.get("grant_type") != "refresh_token"
                or form.get("refresh_token") != self.current_refresh
            ):
                self.refused += 1
                return 400, {"error": "invalid_grant"}
            self.refreshes += 1
            self.current_refresh = f"refresh-{self.refreshes}"
            return 200, {
                "access_token": f"access-{self.refreshes}",
                "refresh_token": self.current_refresh,
                "expires_in": 1800,
                "token_type": "Bearer",
                "scope": "offline_access accounting.invoices",
            }


@pytest.fixture
def token_server():
    endpoint = StrictTokenEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            if not self.path.endswith("/identity.xero.com/connect/token"):
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            status, body = endpoint.handle(form)
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield endpoint
    server.shutdown()
    server.server_close()


def _postgres_admin_url():
    """The server's maintenance database: DATABASE_URL's own database may not exist (pytest
    creates only test_<name>), and each race gets a fresh database of its own anyway."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        require(port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    base, _, _ = url.partition("?")[0].rpartition("/")
    return f"{base}/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request, tmp_path):
    """A database URL every subprocess can open, freshly created for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.sqlite3'}"
        return
    import psycopg

    admin_url = _postgres_admin_url()
    name = f"hxsync_race_{uuid.uuid4().hex[:10]}"
    base, _, _ = admin_url.rpartition("/")
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        require(False, f"PostgreSQL not usable: {exc}")
    yield f"{base}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(database_url, var_dir):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="hxsync.settings",
        DATABASE_URL=database_url,
        HXSYNC_VAR_DIR=str(var_dir),
        FIELD_ENCRYPTION_KEYS=_KEY,
        REDIS_URL="",
    )
    return env


_KEY = Fernet.generate_key().decode()


def _run(args, env):
    out = subprocess.run(
        [sys.executable, "-m", "tests.providers.token_race_worker", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "processes, threads", [(1, 2), (2, 1)], ids=["two-threads", "two-processes"]
)
def test_exactly_one_refresh_and_no_lost_token(
    token_server, shared_database, tmp_path, processes, threads
):
    env = _env(shared_database, tmp_path)
    setup = _run(["setup", token_server.base_url], env)
    go_file = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.providers.token_race_worker",
                "get",
                str(setup["connection_id"]),
                str(threads),
                str(go_file),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    time.sleep(1.5)  # let every worker import Django and start polling for the go file
    go_file.write_text("go")
    outputs = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr[-3000:]
        outputs.append(json.loads(stdout.strip().splitlines()[-1]))

    errors = [e for o in outputs for e in o["errors"]]
    tokens = [t for o in outputs for t in o["tokens"]]
    assert errors == []
    assert token_server.refreshes == 1, "two workers refreshed the same token"
    assert token_server.refused == 0
    assert tokens == [digest("access-1")] * 2
    stored = _run(["read", str(setup["connection_id"])], env)
    assert stored["refresh"] == digest(token_server.current_refresh) == digest("refresh-1")
    assert stored["status"] == "active" and stored["expires_in_future"]

    # The stored refresh token is the live one: the next refresh succeeds.
    token_server.handle({"grant_type": "refresh_token", "refresh_token": "refresh-1"})
    assert token_server.refreshes == 2 and token_server.refused == 0

"""Two worker processes share one governor: together they never get more than the limit.

Each child runs Django on its own, takes the governor through a real backend (a SQLite file in
WAL mode with IMMEDIATE transactions, a PostgreSQL database, or Redis) and asks for slots on a
frozen clock with max_wait=0, so every answer is "granted" or GovernorWouldWait and nothing
depends on timing. Both start together (a go-file barrier) to contend for the same row or key.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import port_open, require

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys, time
from pathlib import Path

import django

django.setup()

from django.db import connection

from syncapp.models import RateGovernorState
from syncapp.providers.base import SimulatedClock
from syncapp.providers.errors import GovernorWouldWait
from syncapp.providers.governor import (
    DatabaseBackend, RedisBackend, governor_for_harvest, governor_for_xero,
)

mode, go_file, account = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if mode == "setup":
    with connection.schema_editor() as editor:
        editor.create_model(RateGovernorState)
    sys.exit(0)

backend = RedisBackend(url=os.environ["GOV_REDIS_URL"]) if mode == "redis" else DatabaseBackend()
clock = SimulatedClock(start=1_800_000_000)
harvest = governor_for_harvest(account_id=account, backend=backend, clock=clock, max_wait=0)
xero = governor_for_xero(tenant_id=account, backend=backend, clock=clock, max_wait=0)
print("ready", flush=True)
deadline = time.monotonic() + 60
while not go_file.exists():
    if time.monotonic() > deadline:
        sys.exit("no go signal")
    time.sleep(0.005)

granted = refused = 0
for _ in range(80):
    try:
        lease = harvest.acquire()
    except GovernorWouldWait:
        refused += 1
    else:
        granted += 1
        harvest.release(lease, status=200, headers={})
held = 0
for _ in range(4):
    try:
        xero.acquire()  # kept: an in-flight request
    except GovernorWouldWait:
        pass
    else:
        held += 1
print(json.dumps({"granted": granted, "refused": refused, "held": held}), flush=True)
"""


def _env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "PYTEST_CURRENT_TEST")
    }
    env.update(DJANGO_SETTINGS_MODULE="hxsync.settings", HXSYNC_VAR_DIR=str(tmp_path / "var"))
    env.update(extra)
    return env


def _run_pair(tmp_path, env, mode):
    go_file = tmp_path / "go"
    account = uuid.uuid4().hex
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, mode, str(go_file), account],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        go_file.touch()
        results = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    return results


def _assert_shared(results):
    assert sum(r["granted"] for r in results) == 100  # Harvest: 100 per 15 s, across both
    assert sum(r["refused"] for r in results) == 60
    assert sum(r["held"] for r in results) == 5  # Xero: 5 in flight, across both
    # both processes really took part (neither ran alone after the other finished)
    assert all(r["granted"] > 0 for r in results)


def _setup(tmp_path, env):
    subprocess.run(
        [sys.executable, "-c", CHILD, "setup", "-", "-"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_two_processes_share_the_limit_on_sqlite(tmp_path):
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    _setup(tmp_path, env)
    _assert_shared(_run_pair(tmp_path, env, "database"))


def test_two_processes_share_the_limit_on_postgresql(tmp_path):
    require(port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    import psycopg

    admin_url = os.environ.get(
        "HXSYNC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"hxsync_governor_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = _env(
            tmp_path, DATABASE_URL=admin_url.rsplit("/", 1)[0] + f"/{name}", CONN_MAX_AGE="0"
        )
        _setup(tmp_path, env)
        _assert_shared(_run_pair(tmp_path, env, "database"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.redis
def test_two_processes_share_the_limit_on_redis(tmp_path, redis_url):
    env = _env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        GOV_REDIS_URL=redis_url,
    )
    _assert_shared(_run_pair(tmp_path, env, "redis"))

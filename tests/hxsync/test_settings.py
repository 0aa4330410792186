import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from hxsync.logging import RedactSecretsFilter, redact

MANAGE = Path(settings.BASE_DIR) / "manage.py"

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "production-secret-key-for-the-check-only",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "hxsync.example.com",
    "DATABASE_URL": "postgres://hxsync@db.example.com:5432/hxsync",
}


def manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "With DEBUG=false set SECRET_KEY, FIELD_ENCRYPTION_KEYS" in result.stderr


def test_worker_retry_outlasts_task_timeout():
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]


def test_retry_not_above_timeout_is_refused():
    result = manage("check", env={"Q_TIMEOUT": "600", "Q_RETRY": "600"})
    assert result.returncode != 0
    assert "Q_RETRY must be greater than Q_TIMEOUT" in result.stderr


def test_redis_url_switches_broker_and_cache():
    code = "from django.conf import settings as s; print(s.Q_CLUSTER.get('redis'), 'orm' in s.Q_CLUSTER, s.CACHES['default']['BACKEND'])"
    result = manage("shell", "-c", code, env={"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == [
        "redis://127.0.0.1:6379/3",
        "False",
        "django.core.cache.backends.redis.RedisCache",
    ]


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    code = (
        "from django.db import connection as c; cur = c.cursor(); "
        "cur.execute('PRAGMA journal_mode'); print(cur.fetchone()[0]); "
        "cur.execute('PRAGMA busy_timeout'); print(cur.fetchone()[0])"
    )
    result = manage(
        "shell", "-c", code, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )
    assert result.returncode == 0, result.stderr
    journal_mode, busy_timeout = result.stdout.split()[-2:]
    assert journal_mode == "wal"
    assert int(busy_timeout) >= 20000


def test_log_filter_masks_tokens():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "sent %s", ("Authorization: Bearer abc.def-123",), None
    )
    RedactSecretsFilter().filter(record)
    assert "abc.def-123" not in record.getMessage()
    assert redact("refresh_token=r-123&code=c-9") == "refresh_token=[redacted]&code=[redacted]"
    assert "s3cr3t" not in redact('{"client_secret": "s3cr3t"}')

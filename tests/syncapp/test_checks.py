"""An unusable FIELD_ENCRYPTION_KEYS entry stops hxsync at start, naming the entry, not its value."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

GOOD = Fernet.generate_key().decode()
BAD = "not-a-fernet-key-5d2a9c"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([GOOD, BAD], "FIELD_ENCRYPTION_KEYS entry 2 is not a valid Fernet key."),
        ([BAD, GOOD], "FIELD_ENCRYPTION_KEYS entry 1 is not a valid Fernet key."),
        ([GOOD[:-4]], "FIELD_ENCRYPTION_KEYS entry 1 is not a valid Fernet key."),
        ([], "FIELD_ENCRYPTION_KEYS is empty"),
        (GOOD, "must be a list of keys"),
    ],
    ids=["second-bad", "first-bad", "truncated", "empty", "string"],
)
def test_check_refuses_an_unusable_key_naming_its_position(keys, expected):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys):
        with pytest.raises(SystemCheckError) as failure:
            call_command("check")
    message = str(failure.value)
    assert "hxsync.E001" in message
    assert expected in message
    assert "Fernet.generate_key()" in message  # the hint says how to make one
    assert BAD not in message
    assert GOOD not in message


def test_check_passes_with_valid_keys():
    with override_settings(FIELD_ENCRYPTION_KEYS=[GOOD, Fernet.generate_key().decode()]):
        call_command("check")  # raises SystemCheckError on any error


@pytest.mark.parametrize(
    "command",
    [["qcluster"], ["start", "--no-sandbox"], ["runserver", "127.0.0.1:0", "--noreload"]],
    ids=["qcluster", "start", "runserver"],
)
def test_processes_refuse_to_start_with_a_bad_key(command, tmp_path):
    env = {
        **os.environ,
        "FIELD_ENCRYPTION_KEYS": f"{GOOD},{BAD}",
        "HXSYNC_VAR_DIR": str(tmp_path),
    }
    try:
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(settings.BASE_DIR / "manage.py"), *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`manage.py {command[0]}` started despite an invalid key")
    assert done.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS entry 2 is not a valid Fernet key" in done.stderr
    assert BAD not in done.stderr + done.stdout
    assert "Database is up to date" not in done.stdout  # `start` stopped before migrating

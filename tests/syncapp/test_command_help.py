"""Every management command of ours, and every benchmark, answers --help (argparse formats help
texts with %, so a bare "20 %" crashed `bench --help`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

from syncapp.management.commands.bench import benchmark_modules

ROOT = Path(__file__).resolve().parents[2]
OURS = sorted(name for name, app in get_commands().items() if app in ("syncapp", "mappings"))


def help_of(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_our_commands_are_all_found():
    assert {"bench", "sync", "start", "sandbox", "rotate_secrets"} <= set(OURS)


@pytest.mark.parametrize("command", OURS)
def test_each_command_answers_help(command):
    done = help_of(command)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"manage.py {command}" in done.stdout


@pytest.mark.parametrize("benchmark", sorted(benchmark_modules()))
def test_each_benchmark_answers_help(benchmark):
    done = help_of("bench", benchmark)
    assert done.returncode == 0, done.stderr
    assert f"manage.py bench {benchmark}" in done.stdout

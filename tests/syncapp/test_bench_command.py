"""`manage.py bench`: benchmarks are found in syncapp/demo/bench/; a module's NAME can rename it."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

import syncapp.demo.bench
from syncapp.management.commands.bench import benchmark_modules

COUNT_ROWS = """
NAME = "x-rows"
HELP = "Count N rows."


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=1)


def run(*, rows, **options):
    return {"rows": rows}
"""


@pytest.fixture
def extra_bench(tmp_path, monkeypatch):
    """An extra benchmark directory searched as part of syncapp.demo.bench."""
    monkeypatch.setattr(
        syncapp.demo.bench, "__path__", [*syncapp.demo.bench.__path__, str(tmp_path)]
    )
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("syncapp.demo.bench.x_")]:
        del sys.modules[name]


def test_the_shipped_benchmarks_keep_their_names():
    assert {"invoices", "invoices_faults", "payments"} <= set(benchmark_modules())


def test_a_module_named_otherwise_runs_under_its_NAME(extra_bench):
    (extra_bench / "x_count_rows.py").write_text(COUNT_ROWS)
    assert "x-rows" in benchmark_modules() and "x_count_rows" not in benchmark_modules()
    out = io.StringIO()
    call_command("bench", "x-rows", "--rows", "3", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"rows": 3}


def test_two_benchmarks_with_one_name_are_refused_with_both_modules_named(extra_bench):
    (extra_bench / "x_invoices_again.py").write_text(COUNT_ROWS.replace('"x-rows"', '"invoices"'))
    with pytest.raises(CommandError, match="x_invoices_again"):
        benchmark_modules()

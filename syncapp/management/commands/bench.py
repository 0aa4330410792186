"""`manage.py bench NAME ...`: run a benchmark and print its figures as JSON on the last line.

Benchmarks are the modules of `syncapp.demo.bench`; a module's optional `NAME` is its subcommand
(so `import`, a Python keyword, can live in `import_rows.py`), else its module name.
"""

import importlib
import json
import pkgutil

from django.core.management.base import BaseCommand, CommandError

import syncapp.demo.bench


def benchmark_modules() -> dict:
    modules = {}
    for info in pkgutil.iter_modules(syncapp.demo.bench.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"syncapp.demo.bench.{info.name}")
        name = getattr(module, "NAME", None) or info.name
        if name in modules:
            raise CommandError(
                f"Two benchmarks are named {name!r}: {modules[name].__name__} and "
                f"{module.__name__}; give one of them another NAME."
            )
        modules[name] = module
    return modules


class Command(BaseCommand):
    help = "Run a benchmark (see `bench NAME --help`); figures go to stdout as one JSON object."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in sorted(benchmark_modules().items()):
            # argparse formats help as %-strings: a "20 %" in a HELP must not break --help.
            parser_help = module.HELP.replace("%", "%%")
            module.add_arguments(subparsers.add_parser(name, help=parser_help))

    def handle(self, *args, benchmark, **options):
        figures = benchmark_modules()[benchmark].run(**options)
        self.stdout.write(json.dumps(figures, default=str))

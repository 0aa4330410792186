"""`manage.py bench NAME ...`: run a benchmark and print its figures as JSON on the last line."""

import importlib
import json
import pkgutil

from django.core.management.base import BaseCommand

import syncapp.bench


def benchmark_modules() -> dict:
    return {
        info.name: importlib.import_module(f"syncapp.bench.{info.name}")
        for info in pkgutil.iter_modules(syncapp.bench.__path__)
        if not info.name.startswith("_")
    }


class Command(BaseCommand):
    help = "Run a benchmark (see `bench NAME --help`); figures go to stdout as one JSON object."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in sorted(benchmark_modules().items()):
            module.add_arguments(subparsers.add_parser(name, help=module.HELP))

    def handle(self, *args, benchmark, **options):
        figures = benchmark_modules()[benchmark].run(**options)
        self.stdout.write(json.dumps(figures, default=str))

"""Benchmarks for `manage.py bench NAME`: one module per benchmark in this package.

Each module defines `HELP` (one line), `add_arguments(parser)` and `run(**options) -> dict`;
the command prints progress to stderr and the returned figures as one JSON object on the last
line of stdout.
"""

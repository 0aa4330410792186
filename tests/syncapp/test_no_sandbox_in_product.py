"""The product never imports the sandbox (ARCHITECTURE.md, "The sandbox").

Every module under syncapp/, hxsync/ and mappings/ is read with `ast`: imports at module level
and inside functions, and string literals given to `import_string` / `import_module` /
`importlib.import_module`. Only the sandbox itself, the demo wiring (syncapp/demo/) and the
`start`, `sandbox` and `bench` management commands may name `syncapp.sandbox` or `syncapp.demo`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("syncapp", "hxsync", "mappings")
FORBIDDEN = ("syncapp.sandbox", "syncapp.demo")
ALLOWED_PACKAGES = ("syncapp/sandbox/", "syncapp/demo/")
ALLOWED_MODULES = {
    f"syncapp/management/commands/{name}.py" for name in ("start", "sandbox", "bench")
}
DYNAMIC_IMPORTERS = {"import_string", "import_module", "__import__"}


def _module_package(relative: str) -> str:
    """Dotted package a module's relative imports start from (`syncapp/services/x.py` ->
    `syncapp.services`; a package's `__init__.py` -> the package itself)."""
    return ".".join(relative.removesuffix(".py").split("/")[:-1])


def _resolve(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def imported_names(source: str, relative: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import the module makes, static or by string."""
    package = _module_package(relative)
    found = []
    for node in ast.walk(ast.parse(source, filename=relative)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(node, package)
            found.append((node.lineno, module))
            if not _forbidden(module):
                # `from syncapp import sandbox` names the package through the alias.
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _callee_name(node) in DYNAMIC_IMPORTERS:
            found += [
                (node.lineno, arg.value)
                for arg in node.args[:1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
    return found


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _allowed(relative: str) -> bool:
    return relative.startswith(ALLOWED_PACKAGES) or relative in ALLOWED_MODULES


def offences(root: Path = ROOT) -> list[str]:
    found = []
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if _allowed(relative):
                continue
            for line, name in imported_names(path.read_text(encoding="utf-8"), relative):
                if _forbidden(name):
                    found.append(f"{relative}:{line} imports {name}")
    return found


def test_no_product_module_imports_the_sandbox_or_the_demo_wiring():
    found = offences()
    assert not found, (
        "Only syncapp/sandbox/, syncapp/demo/ and the start, sandbox and bench commands may "
        "import the sandbox or the demo wiring:\n  " + "\n  ".join(found)
    )


def test_the_scan_covers_the_product_packages():
    scanned = [p for top in SCANNED for p in (ROOT / top).rglob("*.py")]
    assert any(p.match("syncapp/services/connection_oauth.py") for p in scanned)
    assert any(p.match("syncapp/admin/webhooks.py") for p in scanned)
    assert any(p.match("hxsync/settings.py") for p in scanned)


@pytest.mark.parametrize(
    ("source", "relative", "expected"),
    [
        ("import syncapp.sandbox\n", "syncapp/x.py", "syncapp.sandbox"),
        ("from syncapp.sandbox.xero.seed import A\n", "syncapp/x.py", "syncapp.sandbox.xero.seed"),
        ("from syncapp import demo\n", "syncapp/x.py", "syncapp.demo"),
        ("def f():\n    from syncapp.demo.bench import x\n", "syncapp/x.py", "syncapp.demo.bench"),
        ("from ..sandbox import seed\n", "syncapp/services/x.py", "syncapp.sandbox"),
        ("from . import demo\n", "syncapp/__init__.py", "syncapp.demo"),
        (
            'import_string("syncapp.demo.sandbox_rig.sandbox_rig")\n',
            "mappings/x.py",
            "syncapp.demo",
        ),
        (
            'def f():\n    importlib.import_module("syncapp.sandbox.seed")\n',
            "hxsync/x.py",
            "syncapp.sandbox",
        ),
    ],
)
def test_every_kind_of_import_is_seen(source, relative, expected):
    names = [name for _, name in imported_names(source, relative)]
    assert any(_forbidden(n) and n.startswith(expected) for n in names), names


def test_an_offence_names_the_file_and_line(tmp_path):
    (tmp_path / "syncapp" / "admin").mkdir(parents=True)
    (tmp_path / "syncapp" / "demo").mkdir()
    (tmp_path / "hxsync").mkdir()
    (tmp_path / "mappings").mkdir()
    (tmp_path / "syncapp" / "admin" / "bad.py").write_text(
        "import json\n\n\ndef view():\n    from syncapp.demo.sandbox_webhooks import x\n"
    )
    (tmp_path / "syncapp" / "demo" / "ok.py").write_text("from syncapp.sandbox import seed\n")
    (tmp_path / "mappings" / "fine.py").write_text("from syncapp.sandboxed_names import x\n")
    assert offences(tmp_path) == ["syncapp/admin/bad.py:5 imports syncapp.demo.sandbox_webhooks"]

"""Providers sit at the bottom: they talk HTTP and store tokens, and never reach up into the
layers that decide what to do with them (ARCHITECTURE rule 4). An import upward is also how
cycles start (services import the provider factories)."""

import ast
from pathlib import Path

import syncapp.providers

FORBIDDEN = (
    "syncapp.services",
    "syncapp.flows",
    "syncapp.engine",
    "syncapp.admin",
    "syncapp.sandbox",
)
PROVIDERS = Path(syncapp.providers.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROVIDERS.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, *, module: str, is_package: bool = False) -> list[str]:
    """Every module the source imports, anywhere (top level, inside functions, relative,
    importlib.import_module("...") and __import__("...") with a literal name)."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
            found.extend(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                found.append(str(first.value))
    return found


def upward_imports(source: str, *, module: str, is_package: bool = False) -> list[str]:
    return sorted(
        {
            name
            for name in imported_modules(source, module=module, is_package=is_package)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
        }
    )


def test_no_provider_module_imports_an_upper_layer():
    files = sorted(PROVIDERS.rglob("*.py"))
    assert len(files) > 10, "the provider modules were not found"
    offenders = {}
    for path in files:
        found = upward_imports(
            path.read_text(),
            module=_module_name(path),
            is_package=path.name == "__init__.py",
        )
        if found:
            offenders[str(path.relative_to(PROVIDERS))] = found
    assert offenders == {}, f"providers must not import these layers: {offenders}"


def test_the_check_sees_imports_inside_functions_and_relative_ones():
    source = (
        "import syncapp.models\n"
        "from syncapp.providers.errors import AuthExpired\n"
        "def refused():\n"
        "    from syncapp.services.connections import connection_mark_needs_reauth\n"
        "    from ...flows import registry\n"
        "    import syncapp.engine\n"
        "    importlib.import_module('syncapp.admin.connections')\n"
        "class X:\n"
        "    def m(self):\n"
        "        from syncapp import sandbox\n"
    )
    found = upward_imports(source, module="syncapp.providers.xero.tokens")
    assert found == [
        "syncapp.admin.connections",
        "syncapp.engine",
        "syncapp.flows",
        "syncapp.flows.registry",
        "syncapp.sandbox",
        "syncapp.services.connections",
        "syncapp.services.connections.connection_mark_needs_reauth",
    ]
    assert upward_imports("from syncapp.models import Connection\n", module="syncapp.x") == []

"""The pure cores stay pure: no sockets, threads, asyncio, databases or wall-clock reads, and
nothing from the ``callcenter`` package above them.

Each core's modules are read with ``ast`` (not imported) and the imports they reach inside the
repository are followed, so a core that imports a helper which imports ``socket`` is caught
too. Imports under ``if TYPE_CHECKING:`` are not followed (they never run).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCAL = ("acd", "agents", "calls", "cases", "outbound", "ivr_flows", "simulator", "callcenter")

# The cores and the module(s) each starts from; a package name means all its modules.
CORES = {
    "acd": ["acd"],
    "agents": ["agents"],
    "calls": ["calls"],
    "cases": ["cases"],
    "outbound": ["outbound"],
    "the IVR interpreter": ["ivr_flows.interpreter", "ivr_flows.handoff"],
    "the simulator's engine": ["simulator.engine", "simulator.ivr_walk", "simulator.outbound"],
}
# Modules (and their submodules) a core must not import: I/O, concurrency, the clock, the
# composition root above every core.
FORBIDDEN = ("asyncio", "socket", "selectors", "ssl", "threading", "_thread", "multiprocessing",
             "concurrent", "subprocess", "sqlite3", "psycopg", "http", "urllib.request", "fastapi",
             "uvicorn", "prometheus_client", "time", "callcenter")
# The simulator's engine reads its scenario, which is the hotline's configuration.
ALLOWED = {"the simulator's engine": ("callcenter.config",)}
CLOCK_CALLS = {"now", "utcnow", "today"}  # datetime.now(), date.today(), ...


@dataclass(frozen=True)
class Found:
    module: str  # where
    line: int
    what: str  # the import, or the call

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what}"


def module_file(name: str) -> Path | None:
    base = REPO.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def package_modules(package: str) -> list[str]:
    root = REPO / package
    return sorted(".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
                  for p in root.rglob("*.py"))


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def scan(module: str, source: str) -> tuple[list[Found], list[Found]]:
    """``(imports, clock calls)`` of a module's source; imports in ``if TYPE_CHECKING:`` skipped."""
    tree = ast.parse(source, module)
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
               for child in node.body for n in ast.walk(child)}
    package = module if module_file(module) and module_file(module).name == "__init__.py" else (
        module.rpartition(".")[0])
    imports, calls = [], []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            imports += [Found(module, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            imports.append(Found(module, node.lineno, base))
            imports += [Found(module, node.lineno, f"{base}.{alias.name}") for alias in node.names
                        if module_file(f"{base}.{alias.name}")]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in CLOCK_CALLS):
            calls.append(Found(module, node.lineno, f"{ast.unparse(node.func)}()"))
    return imports, calls


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(starts: list[str], allowed: tuple[str, ...] = ()) -> list[Found]:
    """Every forbidden import and clock read reachable from ``starts`` inside the repository."""
    todo = [m for start in starts for m in (package_modules(start) if (REPO / start).is_dir()
                                             else [start])]
    seen: set[str] = set()
    out: list[Found] = []
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = module_file(module)
        if path is None:
            continue
        imports, calls = scan(module, path.read_text(encoding="utf-8"))
        out += calls
        for found in imports:
            if _matches(found.what, allowed):
                continue
            if _matches(found.what, FORBIDDEN):
                out.append(found)
            elif found.what.split(".")[0] in LOCAL:
                parts = found.what.split(".")
                todo += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return sorted(set(out), key=lambda f: (f.module, f.line, f.what))


@pytest.mark.parametrize("core", sorted(CORES))
def test_a_pure_core_reaches_no_io_no_clock_and_nothing_above_it(core):
    found = violations(CORES[core], ALLOWED.get(core, ()))
    assert not found, f"{core} is not pure:\n" + "\n".join(map(str, found))


def test_the_check_finds_an_upward_import_a_socket_and_a_clock_read_however_deep():
    source = ("from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
              "import datetime as dt\nfrom callcenter.config import yaml_source\n"
              "if TYPE_CHECKING:\n    import asyncio\n"
              "def now():\n    import socket\n    return dt.datetime.now()\n")
    imports, calls = scan("cases.example", source)
    assert [f.what for f in imports if f.what not in ("__future__", "typing")] == [
        "datetime", "callcenter.config", "callcenter.config.yaml_source", "socket"]
    assert [str(c) for c in calls] == ["cases.example:9: dt.datetime.now()"]
    # Followed through the repository: the IVR interpreter's closure reaches ivr_flows' modules.
    assert not violations(["ivr_flows.interpreter"])
    assert [f.what for f in violations(["ivr_flows.prompts_build"])
            if f.what in ("subprocess", "time")]

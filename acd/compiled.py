"""The optional compiled core: which modules mypyc compiles, and whether they are compiled.

``CALLCENTER_COMPILE=1 pip install --no-build-isolation -e .`` (with mypy installed) builds
these modules as C extensions beside their sources; Python then imports the extensions.
Without it, or if the build is removed, the very same sources run as plain Python.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # plain Python: the decorator only matters to the compiler

    def mypyc_attr(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:  # type: ignore[misc]
        return lambda cls: cls


# The event loop and the router: where a simulated call spends its time.
MODULES = (
    "acd/events.py", "acd/commands.py", "acd/engine.py", "acd/idle_pools.py", "acd/strategies.py",
    "acd/stats.py",
    "agents/seat.py", "simulator/engine.py", "simulator/arrivals.py", "simulator/sampling.py",
    "simulator/ivr_walk.py", "acd/native_heap.py",
)

# The sources are checked by tests, not by mypy: these checks are off so that the compiler
# accepts them as they are (Optional attributes narrowed by the state machine, not by types).
MYPYC_FLAGS = (
    "--ignore-missing-imports",
    *(flag for code in ("union-attr", "operator", "arg-type", "index", "attr-defined",
                        "assignment", "return-value", "misc", "call-overload", "var-annotated",
                        "has-type", "no-redef", "override", "import-untyped")
      for flag in ("--disable-error-code", code)),
)


def compiled_modules() -> list[str]:
    """The modules of ``MODULES`` that are running compiled."""
    out = []
    for path in MODULES:
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        if not (module.__file__ or "").endswith(".py"):
            out.append(module.__name__)
    return out

"""Start-up of a command: its imports and loading run without the cyclic garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze = False


def own_the_process() -> None:
    """The command line runs as the program (not called inside someone else's process): what
    start-up makes may be frozen for the process's life (``gc.freeze``)."""
    global _freeze
    _freeze = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Imports and loading make tens of thousands of lasting objects and few cycles: the
    collector would run a hundred times over them for nothing. It rests meanwhile and, in a
    process the command line owns, what was made is then frozen, out of every later (and the
    exit's) collection's way: together a tenth to a fifth of a small simulation's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()

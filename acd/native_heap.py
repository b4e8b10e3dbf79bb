"""A binary heap of entries keyed by up to three floats, for the compiled core.

``heapq`` over tuples is the fastest heap in plain Python, but compiled it spends most of
its time in generic comparisons (tuple, then float, through Python's protocol). Here an
entry is a native object whose key ``(k0, k1, k2)`` is compared as unboxed floats. The users
(the simulator's event queue, the ACD's idle pools) keep ``heapq`` when plain Python runs:
``COMPILED`` tells which. The algorithm is ``heapq``'s, so both give the same order.
"""

from __future__ import annotations

import types
from typing import Any, Final, final


def _probe() -> None:
    """A function whose type tells whether this module runs compiled."""


COMPILED: Final = not isinstance(_probe, types.FunctionType)


@final
class Entry:
    """A key ``(k0, k1, k2)``, an int ``n`` and two values ``a`` and ``b``."""

    __slots__ = ("k0", "k1", "k2", "n", "a", "b")

    def __init__(self, k0: float, k1: float, k2: float, n: int, a: Any, b: Any) -> None:
        self.k0 = k0
        self.k1 = k1
        self.k2 = k2
        self.n = n
        self.a = a
        self.b = b


def before(x: Entry, y: Entry) -> bool:
    """True if ``x``'s key is less than ``y``'s."""
    if x.k0 != y.k0:
        return x.k0 < y.k0
    if x.k1 != y.k1:
        return x.k1 < y.k1
    return x.k2 < y.k2


def push(items: list[Entry], entry: Entry) -> None:
    """Add ``entry`` to the heap ``items``."""
    items.append(entry)
    _up(items, entry, len(items) - 1)


def pop(items: list[Entry]) -> Entry:
    """Remove and return the least entry (``items`` must not be empty)."""
    last = items.pop()
    if not items:
        return last
    top = items[0]
    # As heapq: the hole at the root goes down to a leaf by the lesser child, then the last
    # entry moves up from there to its place.
    end = len(items)
    pos = 0
    child = 1
    while child < end:
        right = child + 1
        if right < end and before(items[right], items[child]):
            child = right
        items[pos] = items[child]
        pos = child
        child = 2 * pos + 1
    _up(items, last, pos)
    return top


def _up(items: list[Entry], entry: Entry, pos: int) -> None:
    """Put ``entry`` at ``pos`` or above, moving up past every parent with a greater key."""
    while pos > 0:
        parent_pos = (pos - 1) >> 1
        parent = items[parent_pos]
        if not before(entry, parent):
            break
        items[pos] = parent
        pos = parent_pos
    items[pos] = entry

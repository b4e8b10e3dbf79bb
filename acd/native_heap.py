"""A binary heap of entries keyed by up to three floats, for the compiled core, and the
event queue built on it.

``heapq`` over tuples is the fastest heap in plain Python, but compiled it spends most of
its time in generic comparisons (tuple, then float, through Python's protocol). Here an
entry is a native object whose key ``(k0, k1, k2)`` is compared as unboxed floats. The users
(the event queue below, the ACD's idle pools) keep ``heapq`` when plain Python runs:
``COMPILED`` tells which. The algorithm is ``heapq``'s, so both give the same order.
"""

from __future__ import annotations

import heapq
import math
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


_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


@final
class EventQueue:
    """Events out by time, then rank, then insertion order (the simulator's events, ranked by
    kind; the ACD's timers, all of rank 0). Each has two values and an int.

    ``pop()`` returns the rank and leaves the event's time, values and int in ``now``, ``a``,
    ``b`` and ``n`` (``peek()`` the same without taking it), so no tuple is handed out per
    event. ``native`` picks the compiled heap (default: when this module is compiled), whose
    entries are reused once popped; else ``heapq`` over tuples. The key is unique, so both give
    the very same sequence.
    """

    __slots__ = ("native", "now", "a", "b", "n", "_seq", "_items", "_tuples", "_free")

    def __init__(self, native: bool = COMPILED) -> None:
        self.native = native
        self.now = 0.0
        self.a: Any = None
        self.b: Any = None
        self.n = 0
        self._seq = 0
        self._items: list[Entry] = []  # native: key (time, rank, seq)
        self._tuples: list[tuple[float, int, int, Any, Any, int]] = []
        self._free: list[Entry] = []

    def __len__(self) -> int:
        return len(self._items) if self.native else len(self._tuples)

    def first(self) -> float:
        """The time of the next event; ``inf`` when there is none."""
        if self.native:
            items = self._items
            return items[0].k0 if items else math.inf
        tuples = self._tuples
        return tuples[0][0] if tuples else math.inf

    def push(self, time: float, rank: int, a: Any, b: Any, n: int = 0) -> None:
        seq = self._seq
        self._seq = seq + 1
        if not self.native:
            _heappush(self._tuples, (time, rank, seq, a, b, n))
            return
        free = self._free
        if free:
            entry = free.pop()
            entry.k0, entry.k1, entry.k2 = time, float(rank), float(seq)
            entry.n, entry.a, entry.b = n, a, b
        else:
            entry = Entry(time, float(rank), float(seq), n, a, b)
        push(self._items, entry)

    def peek(self) -> None:
        """Load the next event's time, values and int (the queue must not be empty)."""
        if self.native:
            entry = self._items[0]
            self.now, self.a, self.b, self.n = entry.k0, entry.a, entry.b, entry.n
        else:
            self.now, _, _, self.a, self.b, self.n = self._tuples[0]

    def pop(self) -> int:
        """Take the next event (the queue must not be empty): its rank; its time, values and
        int in ``now``, ``a``, ``b`` and ``n``."""
        if not self.native:
            self.now, rank, _, self.a, self.b, self.n = _heappop(self._tuples)
            return rank
        entry = pop(self._items)
        self.now, self.a, self.b, self.n = entry.k0, entry.a, entry.b, entry.n
        entry.a = entry.b = None
        self._free.append(entry)
        return int(entry.k1)

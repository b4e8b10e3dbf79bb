"""The simulator's event queue: events come out by time, then kind, then insertion order.

Each event is a kind (a small int: the tie-break priority at equal times) and two values.
``pop()`` returns the kind and leaves the event's time and values in ``now``, ``a`` and ``b``,
so no tuple is handed out per event.

Two implementations of one order. As plain Python the queue is ``heapq`` over tuples (C code,
the fastest there). Compiled (``acd/compiled.py``) it is ``acd.native_heap``: native entries
compared as unboxed floats, reused once popped; there ``heapq``'s generic tuple comparisons
were the simulator's largest cost. The key ``(time, kind, seq)`` is unique, so both pop the
very same sequence (``tests/simulator/test_event_queue.py`` checks both against a sort).
"""

from __future__ import annotations

import heapq
import math
from typing import Any, Final, final

from acd import native_heap
from acd.native_heap import Entry

_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


@final
class EventQueue:
    """Events by ``(time, kind, insertion)``; ``native`` picks the compiled heap (default:
    when the core runs compiled)."""

    __slots__ = ("native", "now", "a", "b", "_seq", "_items", "_tuples", "_free")

    def __init__(self, native: bool = native_heap.COMPILED) -> None:
        self.native = native
        self.now = 0.0
        self.a: Any = None
        self.b: Any = None
        self._seq = 0
        self._items: list[Entry] = []  # native: key (time, kind, seq), n the kind
        self._tuples: list[tuple[float, int, int, Any, Any]] = []
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

    def push(self, time: float, kind: int, a: Any, b: Any) -> None:
        seq = self._seq
        self._seq = seq + 1
        if not self.native:
            _heappush(self._tuples, (time, kind, seq, a, b))
            return
        free = self._free
        if free:
            entry = free.pop()
            entry.k0, entry.k1, entry.k2 = time, float(kind), float(seq)
            entry.n, entry.a, entry.b = kind, a, b
        else:
            entry = Entry(time, float(kind), float(seq), kind, a, b)
        native_heap.push(self._items, entry)

    def pop(self) -> int:
        """Take the next event (the queue must not be empty): its kind; its time and values
        in ``now``, ``a`` and ``b``."""
        if not self.native:
            self.now, kind, _, self.a, self.b = _heappop(self._tuples)
            return kind
        entry = native_heap.pop(self._items)
        self.now, self.a, self.b = entry.k0, entry.a, entry.b
        entry.a = entry.b = None
        self._free.append(entry)
        return entry.n

"""Pools of idle eligible agents, one per bucket, ordered by the queue's strategy key.

An agent's key cannot change while it stays idle (it is computed when the agent becomes
idle), so a heap serves every key-ordered strategy: joining is O(log n), leaving is O(1) (the
agent's ``idle_epoch`` moves on and its stale entries are dropped when they surface), and the
best agent is at the top. Strategies that need positions (round-robin, random) use a sorted
list instead.

The heap is ``heapq`` over tuples in plain Python and ``acd.native_heap`` compiled (keys of up
to three numbers compared unboxed). Live agents' keys are unique (they end with the agent's
roster order), so both pick the same agent.
"""

from __future__ import annotations

import heapq
from typing import Any, Final

from sortedcontainers import SortedList

from acd import native_heap
from acd.native_heap import Entry


class PooledAgent:
    """What idle pools and strategies read of an agent. The ACD's agents extend it: a class
    rather than a protocol, so that the compiled core reads these fields directly."""

    __slots__ = ("order", "idle_epoch", "idle_since", "calls_answered", "talk_total")

    def __init__(self, order: int) -> None:
        self.order = order  # roster order: the last tie-break of every strategy's key
        self.idle_epoch = 0  # moves on each time the agent leaves idle
        self.idle_since = 0.0
        self.calls_answered = 0
        self.talk_total = 0.0

    def proficiency(self, skill: str) -> int:
        raise NotImplementedError


class IdlePool:
    """The idle eligible agents of one bucket; ``live`` counts them."""

    __slots__ = ("live",)

    def __init__(self) -> None:
        self.live = 0

    def __len__(self) -> int:
        return self.live

    def add(self, key: tuple, agent: PooledAgent) -> None:
        raise NotImplementedError

    def discard(self, key: tuple, agent: PooledAgent) -> None:
        raise NotImplementedError

    def best(self) -> Any:
        raise NotImplementedError


_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


class HeapPool(IdlePool):
    """Idle agents in a heap keyed by a key that stays fixed while they are idle; ``native``
    picks the compiled heap (then a key is at most three numbers)."""

    __slots__ = ("heap", "native", "entries")

    def __init__(self, native: bool = native_heap.COMPILED) -> None:
        super().__init__()
        self.native = native
        self.heap: list[tuple[tuple, int, Any]] = []
        self.entries: list[Entry] = []  # native: n is the agent's epoch, a the agent

    def add(self, key: tuple, agent: PooledAgent) -> None:
        self.live += 1
        if self.native:
            n = len(key)
            if n > 3:
                raise ValueError(f"a key of at most three numbers, not {key!r}")
            entry = Entry(key[0], key[1] if n > 1 else 0.0, key[2] if n > 2 else 0.0,
                          agent.idle_epoch, agent, None)
            native_heap.push(self.entries, entry)
            if len(self.entries) > 2 * self.live + 64:
                self.entries = [e for e in self.entries if _live(e)]
                self.entries.sort(key=lambda e: (e.k0, e.k1, e.k2))  # a sorted list is a heap
            return
        _heappush(self.heap, (key, agent.idle_epoch, agent))
        if len(self.heap) > 2 * self.live + 64:
            self.heap = [entry for entry in self.heap if entry[2].idle_epoch == entry[1]]
            heapq.heapify(self.heap)

    def discard(self, key: tuple, agent: PooledAgent) -> None:
        """The agent left idle (its epoch has already moved on): its entry is now stale."""
        self.live -= 1

    def best(self) -> Any:
        """The top live agent (the pool must not be empty)."""
        if self.native:
            entries = self.entries
            while True:
                top = entries[0]
                pooled: PooledAgent = top.a
                if pooled.idle_epoch == top.n:
                    return pooled
                native_heap.pop(entries)
        heap = self.heap
        while True:
            _, epoch, agent = heap[0]
            if agent.idle_epoch == epoch:
                return agent
            _heappop(heap)


def _live(entry: Entry) -> bool:
    agent: PooledAgent = entry.a
    return agent.idle_epoch == entry.n


class SortedPool(IdlePool):
    """Idle agents in key order, for strategies that pick by position."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        super().__init__()
        self.items = SortedList()

    def add(self, key: tuple, agent: PooledAgent) -> None:
        self.items.add((key, agent))
        self.live += 1

    def discard(self, key: tuple, agent: PooledAgent) -> None:
        self.items.remove((key, agent))
        self.live -= 1

    def best(self) -> Any:
        return self.items[0][1]

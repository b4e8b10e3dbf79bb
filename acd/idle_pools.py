"""Pools of idle eligible agents, one per bucket, ordered by the queue's strategy key.

An agent's key cannot change while it stays idle (it is computed when the agent becomes
idle), so a heap serves every key-ordered strategy: joining is O(log n), leaving is O(1) (the
agent's ``idle_epoch`` moves on and its stale entries are dropped when they surface), and the
best agent is at the top. Strategies that need positions (round-robin, random) use a sorted
list instead.
"""

from __future__ import annotations

import heapq
from typing import Any, Final, Protocol

from sortedcontainers import SortedList


class PooledAgent(Protocol):
    idle_epoch: int


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
    """Idle agents in a heap keyed by a key that stays fixed while they are idle."""

    __slots__ = ("heap",)

    def __init__(self) -> None:
        super().__init__()
        self.heap: list[tuple[tuple, int, Any]] = []

    def add(self, key: tuple, agent: PooledAgent) -> None:
        _heappush(self.heap, (key, agent.idle_epoch, agent))
        self.live += 1
        if len(self.heap) > 2 * self.live + 64:
            self.heap = [entry for entry in self.heap if entry[2].idle_epoch == entry[1]]
            heapq.heapify(self.heap)

    def discard(self, key: tuple, agent: PooledAgent) -> None:
        """The agent left idle (its epoch has already moved on): its entry is now stale."""
        self.live -= 1

    def best(self) -> Any:
        """The top live agent (the pool must not be empty)."""
        heap = self.heap
        while True:
            _, epoch, agent = heap[0]
            if agent.idle_epoch == epoch:
                return agent
            _heappop(heap)


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

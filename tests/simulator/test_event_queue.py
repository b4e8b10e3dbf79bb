"""The event queue of the simulator and the ACD's timers: both implementations give events in
(time, rank, insertion) order, with each event's values; the compiled build runs the native
one (checked in ``test_compiled_core.py`` by the identical day)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import acd.native_heap as native_heap
from acd.native_heap import COMPILED, EventQueue
from simulator.engine import TICKS, on_grid

# Few distinct times and kinds, so that ties (the hard part) are common.
events = st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.5, 1e6]), st.integers(0, 3)),
                  max_size=60)
# Pushes interleaved with pops: True pops one (when any is left).
steps = st.lists(st.one_of(st.tuples(st.sampled_from([0.0, 1.0, 3.0]), st.integers(0, 2)),
                           st.just(True)), max_size=80)


@pytest.mark.parametrize("native", [False, True])
@settings(max_examples=200, deadline=None)
@given(events=events)
def test_events_come_out_by_time_then_kind_then_insertion(native: bool, events: list) -> None:
    queue = EventQueue(native=native)
    for index, (time, kind) in enumerate(events):
        queue.push(time, kind, index, ("value", index), -index)
    assert len(queue) == len(events)
    out = []
    while len(queue):
        first = queue.first()
        queue.peek()
        peeked = (queue.now, queue.a, queue.b, queue.n)
        kind = queue.pop()
        assert (queue.now, queue.a, queue.b, queue.n) == peeked
        assert queue.now == first and queue.b == ("value", queue.a) and queue.n == -queue.a
        out.append((queue.now, kind, queue.a))
    expected = sorted((time, kind, index) for index, (time, kind) in enumerate(events))
    assert out == expected
    assert queue.first() == math.inf


@settings(max_examples=200, deadline=None)
@given(steps=steps)
def test_both_implementations_agree_when_pushes_and_pops_interleave(steps: list) -> None:
    plain, native = EventQueue(native=False), EventQueue(native=True)
    for index, step in enumerate(steps):
        for queue in (plain, native):
            if step is True:
                if len(queue):
                    queue.pop()
            else:
                queue.push(step[0], step[1], index, None)
        assert (plain.first(), plain.now, plain.a) == (native.first(), native.now, native.a)


def test_a_popped_entry_lets_go_of_its_values() -> None:
    queue = EventQueue(native=True)
    held, other = object(), object()
    queue.push(1.0, 0, held, other)
    queue.pop()
    assert queue.a is held and queue.b is other  # handed out, and no longer kept by the entry
    [free] = queue._free
    assert free.a is None and free.b is None and queue._items == []
    queue.push(2.0, 0, None, None)  # reuses the entry
    assert queue._items[0].a is None and queue._free == []
    assert queue._items[0] is free


def test_plain_python_runs_the_heapq_queue() -> None:
    # compiled exactly when the module was loaded from a built extension, not its source
    assert COMPILED is not native_heap.__file__.endswith(".py")
    queue = EventQueue()
    queue.push(1.0, 0, None, None)
    if COMPILED:
        assert len(queue._items) == 1 and queue._tuples == []
    else:
        assert queue._tuples == [(1.0, 0, 0, None, None, 0)] and queue._items == []


@given(st.floats(0, 1e9, allow_nan=False))
def test_grid_rounding_is_round_half_even(seconds: float) -> None:
    assert on_grid(seconds) == round(seconds * TICKS) / TICKS
    tie = (math.floor(seconds * TICKS) + 0.5) / TICKS  # exactly half a tick
    assert on_grid(tie) == round(tie * TICKS) / TICKS

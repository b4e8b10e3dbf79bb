"""The live engine's one timer: many owners' deadlines, each fired once when due."""

import asyncio
import time

from callcenter.runtime.timers import Timers


def test_due_owners_fire_in_deadline_order_once_and_a_failing_one_harms_nobody():
    async def scenario():
        timers = Timers(time.monotonic)
        start = time.monotonic()
        fired: list[tuple[str, float]] = []
        done = asyncio.Event()

        def owner(name: str):
            return lambda now: fired.append((name, now))

        timers.set("late", start + 0.15, owner("late"))
        timers.set("broken", start + 0.05, lambda now: 1 / 0)
        timers.set("call", start + 0.06, owner("call"))
        timers.set("gone", start + 0.02, owner("gone"))
        timers.set("gone", None, owner("gone"))  # cleared before it came
        timers.set("moved", start + 0.20, owner("moved"))
        timers.set("moved", start + 0.10, owner("moved"))  # brought forward
        timers.set("end", start + 0.25, lambda now: done.set())
        assert timers.deadline("moved") == start + 0.10 and timers.deadline("gone") is None
        await asyncio.wait_for(done.wait(), 5)
        return start, fired, len(timers)

    start, fired, left = asyncio.run(scenario())
    assert [name for name, _ in fired] == ["call", "moved", "late"]
    due = {"call": 0.06, "moved": 0.10, "late": 0.15}
    assert all(now >= start + due[name] for name, now in fired)  # never before its deadline
    assert left == 0


def test_an_owner_setting_its_next_deadline_while_fired_is_armed_again():
    async def scenario():
        timers = Timers(time.monotonic)
        ticks: list[float] = []
        done = asyncio.Event()

        def tick(now: float) -> None:
            ticks.append(now)
            if len(ticks) < 3:
                timers.set("call", now + 0.03, tick)
            else:
                done.set()

        timers.set("call", time.monotonic() + 0.03, tick)
        await asyncio.wait_for(done.wait(), 5)
        timers.close()
        return ticks

    ticks = asyncio.run(scenario())
    assert len(ticks) == 3 and all(b - a >= 0.03 for a, b in zip(ticks, ticks[1:], strict=False))

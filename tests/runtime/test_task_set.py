"""``TaskSet`` holds its tasks until they end and cancels them together."""

from __future__ import annotations

import asyncio
import gc

from callcenter.task_set import TaskSet


def test_a_task_is_held_until_it_ends_and_close_cancels_and_waits_for_the_rest():
    async def scenario() -> None:
        tasks = TaskSet()
        done, stopped = asyncio.Event(), []

        async def quick() -> None:
            await asyncio.sleep(0)
            done.set()

        async def forever() -> None:
            try:
                await asyncio.Event().wait()
            finally:
                stopped.append(True)

        tasks.spawn(quick())
        tasks.spawn(forever())
        gc.collect()  # the loop's weak reference alone would let an unheld task vanish
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(0)  # the done callback runs
        assert len(tasks) == 1
        await tasks.close()
        assert stopped == [True] and len(tasks) == 0

    asyncio.run(scenario())

"""The case deadlines driven live: one asyncio timer over the store fires the workflow's
cards, reminders and overdue supervision when their time comes, and re-arms on changes."""

from __future__ import annotations

import asyncio

from callcenter.runtime.deadline_timer import DeadlineTimer
from tests.casework.test_cases_api import intake

HOUR = 3600.0


def test_cards_and_overdue_supervision_fire_when_due(api):
    service = api.casework.service
    case_id = intake(api, category="0301")["case_id"]
    api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"})
    due = api.get("boss", f"/api/cases/{case_id}").json()["case"]["deadlines"]
    assert service.next_deadline() is not None

    async def drive() -> list[str]:
        timer = DeadlineTimer(service.next_deadline, service.fire_due, clock=api.clock,
                              loop=asyncio.get_running_loop())
        service.on_change(timer.poke)
        timer.start()
        api.clock.now = due["sign"] + 60  # the department never signed for it
        timer.poke()
        for _ in range(500):  # until the red card is in the log (the timer runs in a thread)
            kinds = [e.data.get("card") for e in api.casework.store.history(case_id)
                     if e.kind == "CardRaised"]
            if "red" in kinds:
                break
            await asyncio.sleep(0.01)
        await timer.close()
        return kinds

    cards = api.loop.run_until_complete(drive())
    assert "red" in cards
    case = api.get("boss", f"/api/cases/{case_id}").json()
    assert case["card"] == "red" and case["supervised"] == 1
    assert "overdue" in [r for r, _ in case["case"]["supervision"]]
    assert [c["case_id"] for c in api.get("boss", "/api/cases", card="red").json()] == [case_id]
    # the red card is raised once: nothing is due again until the next deadline
    assert service.fire_due(api.clock.now) == 0 or service.next_deadline() > api.clock.now


def test_a_failing_fire_is_logged_and_retried_not_fatal():
    calls: list[float] = []

    def fire(now: float) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database locked")

    async def run() -> None:
        deadline = [0.0]
        timer = DeadlineTimer(lambda: deadline[0], lambda now: (fire(now), deadline.__setitem__(0, None)),
                              clock=lambda: 10.0, loop=asyncio.get_running_loop())
        timer.start()
        for _ in range(300):
            if len(calls) >= 2:
                break
            await asyncio.sleep(0.01)
        await timer.close()

    asyncio.run(run())
    assert len(calls) == 2

"""Shared helpers of the outbound tests: local times on a virtual clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from callcenter.casework.accounts import User
from tests.telephony.helpers import wait_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 7)  # a Monday


def local(hour: int, minute: int = 0, day: int = 0) -> float:
    """Epoch seconds of ``hour:minute`` Shanghai time, ``day`` days after ``DAY``."""
    return dt.datetime.combine(DAY + dt.timedelta(days=day), dt.time(hour, minute), SHANGHAI).timestamp()


def clock_of(at: float) -> str:
    return dt.datetime.fromtimestamp(at, SHANGHAI).strftime("%H:%M")


AGENT = User("agent-1", "agent")
DEPARTMENT = User("housing-1", "department", "housing-authority")
REHANDLED_THEN_CLOSED = ["CaseOpened", "Dispatched", "SignedFor", "Replied", "VisitResult", "Supervised",
                         "RehandleOrdered", "Replied", "VisitResult", "Closed"]
"""A case's steps when its visit finds the citizen dissatisfied and the re-visit satisfied."""


def replied_case(service, number: str, text: str = "已转办理", language: str = "zh", **fields: object) -> str:
    """A phone case from ``number`` (more intake ``fields``, e.g. its call), dispatched to the
    housing authority, which replies; its id."""
    case_id = service.open(AGENT, {"channel": "phone", "category": "0103", "text": "公积金提取一直没有到账",
                                   "caller_number": number, "language": language, **fields}).case.case_id
    service.act(AGENT, case_id, "Dispatched", {"lead": "housing-authority"})
    service.act(DEPARTMENT, case_id, "SignedFor", {"department": "housing-authority"})
    service.act(DEPARTMENT, case_id, "Replied", {"department": "housing-authority", "text": text})
    return case_id


def case_steps(service, case_id: str) -> list[str]:
    """The case's history, deadlines and cards aside."""
    history = service.history(User("boss", "supervisor"), case_id)
    return [e["type"] for e in history if e["type"] not in ("DeadlineSet", "CardRaised")]


async def visited_twice(service, runner, number: str, answer: Callable[[str], Awaitable[None]]) -> str:
    """A replied case's return visit is answered 2, 2 (``answer(keys)`` answers one survey
    call): re-handled; after the department's second reply the re-visit, 1, 1: closed. Its id."""
    case_id = await asyncio.to_thread(replied_case, service, number)
    await answer("22")
    await wait_for(lambda: service.case(AGENT, case_id).status.value == "handling", 20)
    first = runner.ended[-1]
    assert first.reached and first.case_id == case_id and first.number == number
    assert not first.answers.solved and not first.answers.satisfied
    await asyncio.to_thread(service.act, DEPARTMENT, case_id, "Replied",
                            {"department": "housing-authority", "text": "已重新办理并到账"})
    await answer("11")
    await wait_for(lambda: service.case(AGENT, case_id).status.value == "closed", 20)
    assert case_steps(service, case_id) == REHANDLED_THEN_CLOSED
    return case_id

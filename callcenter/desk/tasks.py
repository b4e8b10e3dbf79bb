"""The seat page's outbound task card: the return visit the ACD offered the agent (the case's
summary, the number masked but for its last 4, a link to the history), Call and Skip for a
preview, and the result once the citizen was reached (solved? satisfied? a 1-5 score, a
remark). A result recorded without the agent (not entered within ``result_seconds``, or released
by a supervisor) is told on the card until their next task or they dismiss it. Only the agent
who holds the task may act on it; the number dialled is never taken from the page (the engine
looks it up on the case)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from callcenter.runtime.agent_campaigns import Held, TaskRefused
from calls.leg import IllegalTransition
from cases.case import Case
from outbound.model import Answers

YES_NO = {"yes": True, "no": False}


def masked(number: str) -> str:
    """All but the last 4 digits hidden."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


def card(engine: Any, held: Held) -> dict[str, Any]:
    task = held.task
    out: dict[str, Any] = {
        "task_id": task.task_id, "kind": task.kind.value,
        "mode": "preview" if held.preview else "progressive", "step": held.step,
        "number": masked(task.number), "attempt": task.attempts, "case_id": task.case_id,
        "language": task.language, "line": task.line}
    casework = engine.casework
    row = casework.store.get(task.case_id) if casework is not None and task.case_id else None
    if row is not None:
        case = Case.from_dict(row.state_dict())
        out.update(category=casework.service.directory.taxonomy.path(case.category), text=case.text[:200],
                   status=case.status.value, rehandles=case.rehandles, history=f"/desk/cases/{case.case_id}")
    return out


def answers_of(form: dict[str, str]) -> Answers:
    """The agent's entry; ``ValueError`` naming the field."""
    for field in ("solved", "satisfied"):
        if form.get(field) not in YES_NO:
            raise ValueError(f"{field}: choose yes or no")
    score = form.get("score", "")
    if score and score not in ("1", "2", "3", "4", "5"):
        raise ValueError("score: 1 to 5, or none")
    return Answers(solved=YES_NO[form["solved"]], satisfied=YES_NO[form["satisfied"]],
                   score=int(score) if score else None)


def add_task_routes(router: APIRouter, engine: Any, seat_of: Callable[[Request], str | None],
                    post: Callable[[Request], Awaitable[Any]], page: Callable[..., Response],
                    agent_user: Callable[[Request], Any]) -> None:
    """``post`` reads a signed-in agent's form (or the response refusing it); ``page`` renders
    the seat page with a status and a message; ``agent_user`` is the signed-in hotline user
    (None for no session or another role)."""

    @router.get("/seat/task")
    async def task_card(request: Request) -> Response:
        if agent_user(request) is None:  # a stale cookie's seat shows no one the case
            return Response(status_code=401)
        seat = seat_of(request)
        if seat is None:
            return JSONResponse({"detail": "seat: pick a seat first"}, status_code=409)
        tasks = engine.agent_tasks
        held = tasks.holding(seat) if tasks is not None else None
        notice = tasks.notice(seat) if tasks is not None else None
        lapsed = dict(zip(("task_id", "how", "why"), notice, strict=True)) if notice is not None else None
        if held is None:
            return JSONResponse({"task": None, "lapsed": lapsed})
        # the case is read from the database and parsed: off the engine's loop
        return JSONResponse({"task": await asyncio.to_thread(card, engine, held), "lapsed": lapsed})

    @router.post("/seat/task/{action}")
    async def task_action(request: Request, action: str) -> Response:
        posted = await post(request)
        if isinstance(posted, Response):
            return posted
        user, form = posted
        seat = seat_of(request)
        tasks = engine.agent_tasks
        if seat is None or action not in ("call", "skip", "result", "dismiss"):
            return page(request, user, 422, "seat: pick a seat first" if seat is None else "action: unknown")
        if tasks is None:
            return page(request, user, 503, "tasks: this engine dials no agents' outbound calls")
        task_id = form.get("task", "")[:64]
        try:
            if action == "result":
                tasks.record(seat, task_id, answers_of(form), form.get("remark", "").strip()[:500])
            elif action == "dismiss":
                tasks.dismiss(seat, task_id)
            else:
                getattr(tasks, action)(seat, task_id)
        except ValueError as exc:
            return page(request, user, 422, f"{action}: {exc}")
        except (TaskRefused, IllegalTransition, LookupError) as exc:
            return page(request, user, 409, f"{action}: {exc}")
        return RedirectResponse("/desk/seat", status_code=303)

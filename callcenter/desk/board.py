"""The supervisors' board under ``/desk/board``: cases by status, yellow and red cards by
department, supervision orders, extension requests to decide, the cluster alerts and the
logged-in agents' states with the power to change them; each figure links to its cases.

The page's live part is re-rendered on the server (the same template, autoescaped) when a case
or a seat changes, and pushed over one server-sent event stream per page. Every route checks
the supervisor role; every post carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from acd.commands import AgentStateChanged
from acd.engine import ACDError
from acd.events import AgentLoggedOut, AgentNotReady, AgentReady, Event
from agents.seat import IllegalTransition
from callcenter.api.cases import DecisionIn
from callcenter.casework.accounts import User
from callcenter.casework.service import CaseNotFound, Casework
from callcenter.desk.routes import REFUSALS, refusal
from callcenter.desk.session import LANG_COOKIE, FormRefused, Sessions
from callcenter.desk.streams import StreamLimits, StreamQueue
from callcenter.records.rows import seat_state
from callcenter.runtime.agent_campaigns import TaskRefused
from cases.case import Case

if TYPE_CHECKING:
    from callcenter.runtime.app import Engine

AGENT_ACTIONS: dict[str, Callable[[str], Event]] = {
    "ready": AgentReady,
    "not-ready": lambda agent: AgentNotReady(agent, reason="supervisor"),
    "logout": AgentLoggedOut,
}
SETTLE = 0.2  # seconds to gather a burst of changes into one push
LISTED = 20  # supervision orders, extension requests and alerts shown


def case_view(casework: Casework) -> dict[str, Any]:
    """The board's case figures now: the counters and two indexed lists, so the read does not
    grow with the open cases (database reads: run off the engine's loop)."""
    store = casework.store
    counts = store.counts()
    return {"by_status": store.open_by_status(counts), "cards": store.cards_by_department(counts),
            "supervised": [Case.from_dict(r.state_dict()) for r in store.open_supervised(LISTED)],
            "extensions": [Case.from_dict(r.state_dict()) for r in store.pending_extensions(LISTED)],
            "extension_count": counts.get(("extension", ""), 0),
            "alerts": list(casework.alerts)[:LISTED], "agents": None, "logged_out": 0,
            "now": casework.service.clock()}


def agent_view(engine: Engine) -> dict[str, Any]:
    """The logged-in agents' seats now (read on the engine's loop, where the ACD runs)."""
    now = engine.driver.clock()
    agents, logged_out = [], 0
    held = engine.agent_tasks.held.values() if engine.agent_tasks is not None else ()
    result_due = {h.agent_id for h in held if h.step == "result"}  # a supervisor may release
    for agent in engine.acd.snapshot(now)["agents"]:
        state = seat_state(agent["presence"], agent["activity"])
        if state == "logged_out":
            logged_out += 1
        else:
            agents.append({"id": agent["agent_id"], "state": state, "reason": agent["reason"],
                           "since": agent["since"], "result_due": agent["agent_id"] in result_due})
    return {"agents": agents, "logged_out": logged_out, "now": now}


async def board_view(casework: Casework, engine: Engine | None) -> dict[str, Any]:
    """What the board shows now (one read for every open board)."""
    view = await asyncio.to_thread(case_view, casework)
    if engine is not None:
        view.update(agent_view(engine))
    return view


@dataclass(eq=False)
class _Watcher:
    queue: StreamQueue
    render: Callable[[dict[str, Any]], str]
    last: str = ""


class BoardFeed:
    """Pushes each open board its live part again when a case or a seat changed (gathered over
    ``SETTLE`` seconds). Case changes may come from any thread; seats from the engine's loop."""

    def __init__(self, casework: Casework, engine: Engine | None, heartbeat: float = 15.0) -> None:
        self.casework = casework
        self.engine = engine
        self.heartbeat = heartbeat
        self.watchers: set[_Watcher] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = False
        casework.service.on_change(self.changed)
        if engine is not None:
            engine.driver.add_sink(self.sink)

    def sink(self, commands: Any) -> None:
        if self.watchers and any(isinstance(c, AgentStateChanged) for c in commands):
            self.changed()

    def changed(self) -> None:
        loop = self._loop
        if loop is None or self._due or not self.watchers or loop.is_closed():
            return
        self._due = True
        loop.call_soon_threadsafe(loop.call_later, SETTLE, lambda: loop.create_task(self._push()))

    async def _push(self) -> None:
        self._due = False  # a change from now on is read by the next push
        if not self.watchers:
            return
        view = await board_view(self.casework, self.engine)
        for watcher in self.watchers:
            html = watcher.render(view)
            if html != watcher.last:
                watcher.last = html
                watcher.queue.offer(json.dumps({"type": "board", "html": html}))

    async def stream(self, render: Callable[[dict[str, Any]], str]) -> AsyncIterator[str]:
        self._loop = asyncio.get_running_loop()
        watcher = _Watcher(StreamQueue(), render)
        self.watchers.add(watcher)
        try:
            watcher.last = render(await board_view(self.casework, self.engine))
            yield f"data: {json.dumps({'type': 'board', 'html': watcher.last})}\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(watcher.queue.get(), self.heartbeat)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if message is None:  # overflowed: the page reconnects and is sent the board anew
                    return
                yield f"data: {message}\n\n"
        finally:
            self.watchers.discard(watcher)


def add_board_routes(router: APIRouter, casework: Casework, engine: Engine | None, sessions: Sessions,
                     render: Callable[..., Response], fragment: Callable[..., str],
                     limits: StreamLimits | None = None) -> BoardFeed:
    """``render(request, template, user, status, **context)`` renders a page, ``fragment(
    template, lang, **context)`` a part of one (the board's live part, for the stream)."""
    feed = BoardFeed(casework, engine)
    limits = limits or StreamLimits()
    service = casework.service

    def supervisor(request: Request) -> User | Response:
        user = sessions.user(request)
        if user is None:
            return RedirectResponse(f"/desk/login?next={request.url.path}", status_code=303)
        if user.role != "supervisor":
            return render(request, "forbidden.html", user, 403)
        return user

    async def page(request: Request, user: User, status: int = 200, message: str = "",
                   done: str = "") -> Response:
        return render(request, "board.html", user, status, view=await board_view(casework, engine),
                      message=message, done=done)

    async def post(request: Request) -> tuple[User, dict[str, str]] | Response:
        user = supervisor(request)
        if not isinstance(user, User):
            return user
        try:
            return user, await sessions.form(request)
        except FormRefused as exc:
            return await page(request, user, 403, str(exc))

    @router.get("/board")
    async def board(request: Request, done: str = "") -> Response:
        user = supervisor(request)
        if not isinstance(user, User):
            return user
        return await page(request, user, done=done[:40])

    @router.get("/board/events")
    async def events(request: Request) -> Response:
        user = sessions.user(request)
        token = sessions.token(request)
        if user is None or token is None or user.role != "supervisor":
            return Response(status_code=401 if user is None else 403)
        lang = request.cookies.get(LANG_COOKIE, "zh")
        csrf = sessions.csrf(token)

        def live(view: dict[str, Any]) -> str:
            return fragment("board_live.html", lang, view=view, csrf=csrf, user=user)

        stream = limits.admit(user.username, feed.stream(live))
        if isinstance(stream, Response):
            return stream
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.post("/board/agents/{agent_id}/{action}")
    async def agent_action(request: Request, agent_id: str, action: str) -> Response:
        posted = await post(request)
        if isinstance(posted, Response):
            return posted
        user, _ = posted
        if engine is not None and action == "release-task":
            return await release_task(request, user, agent_id)
        if engine is None or action not in AGENT_ACTIONS:
            return await page(request, user, 404, "action: unknown")
        if agent_id not in {a.id for a in engine.config.agents}:
            return await page(request, user, 404, f"agent: unknown agent {agent_id[:32]!r}")
        try:
            engine.driver.submit(AGENT_ACTIONS[action](agent_id))
        except (IllegalTransition, ACDError) as exc:
            why = exc.args[0] if exc.args else type(exc).__name__
            return await page(request, user, 409, f"{agent_id}: {why}")
        return RedirectResponse(f"/desk/board?done={action}", status_code=303)

    async def release_task(request: Request, user: User, agent_id: str) -> Response:
        """The agent's return visit whose result they never recorded: freed, without answers."""
        assert engine is not None
        if engine.agent_tasks is None:
            return await page(request, user, 404, "tasks: this engine dials no agents' outbound calls")
        try:
            engine.agent_tasks.release(agent_id, user.username)
        except TaskRefused as exc:
            return await page(request, user, 409, str(exc))
        return RedirectResponse("/desk/board?done=release-task", status_code=303)

    @router.post("/board/extension/{case_id}")
    async def decide(request: Request, case_id: str) -> Response:
        posted = await post(request)
        if isinstance(posted, Response):
            return posted
        user, form = posted
        try:
            body = DecisionIn.model_validate({
                "approved": form.get("decision") == "approve",
                **({"days": form["days"]} if form.get("days") else {}), "note": form.get("note", "")})
            await asyncio.to_thread(service.act, user, case_id, "ExtensionDecided", body.model_dump())
        except CaseNotFound:
            return await page(request, user, 404, f"case_id: no case {case_id[:32]!r}")
        except REFUSALS as exc:
            return await page(request, user, 409, refusal(exc))
        return RedirectResponse("/desk/board?done=extension", status_code=303)

    return feed

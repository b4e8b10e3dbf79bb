"""The agent's seat on the desk: state controls that replace the feature codes (log in, ready,
not ready with a reason, end wrap-up, log out), the state and the time in it following the
ACD live, the screen pop of the ACD's offer (with the caller's number, what they did in the
IVR and their earlier cases) and the agent's figures of the day, over one server-sent event
stream per page.

Actions are the same ACD events the agent API submits (on the engine's loop, as the API's
routes do); a refused one changes nothing and its message is shown. Which seat a desk drives
is picked once per session; a seat another live session holds is refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from acd.commands import AgentStateChanged, CallFinished, CancelOffer, OfferCall
from acd.engine import ACDError
from acd.events import AgentLoggedIn, AgentLoggedOut, AgentNotReady, AgentReady, Event, WrapUpDone
from agents.seat import IllegalTransition
from callcenter.casework.accounts import User
from callcenter.casework.store import CaseQuery
from callcenter.desk.calls import add_call_routes
from callcenter.desk.figures import DayCalls, figures
from callcenter.desk.session import FormRefused, Sessions
from callcenter.desk.streams import StreamLimits, StreamQueue
from callcenter.desk.tasks import add_task_routes
from callcenter.records.lifecycle import CallClosed
from callcenter.records.rows import seat_state
from callcenter.runtime.app import Engine
from cases.model import Status
from ivr_flows.handoff import CallerDetails

REASONS = ("break", "lunch", "training", "meeting", "after_call_work")
ACTIONS: dict[str, Callable[[str, dict[str, str]], Event]] = {
    "login": lambda agent, form: AgentLoggedIn(agent),
    "ready": lambda agent, form: AgentReady(agent),
    "not-ready": lambda agent, form: AgentNotReady(agent, reason=form.get("reason") if
                                                  form.get("reason") in REASONS else "break"),
    "wrap-up-done": lambda agent, form: WrapUpDone(agent),
    "logout": lambda agent, form: AgentLoggedOut(agent),
}
EARLIER_CASES = 5  # the caller's newest cases on the pop
FIGURES = "figures"  # queued for a stream: send the agent's figures, read then


class SeatFeed:
    """A driver sink: pushes a watched seat's state when it changes, and the offers that ring
    it, to the streams watching it. Runs on the engine's loop (where the driver runs)."""

    def __init__(self, engine: Engine, heartbeat: float = 15.0) -> None:
        self.engine = engine
        self.heartbeat = heartbeat
        self.watchers: dict[str, set[StreamQueue]] = {}
        self.last: dict[str, dict[str, Any]] = {}
        self.offers: dict[str, str] = {}  # the last offer to each seat, while its call is there
        self.callers: dict[str, CallerDetails] = {}  # queued calls' IVR details, until they end
        self.tz = ZoneInfo(engine.config.center.timezone)
        self.day_calls = DayCalls(engine.store, engine.config.center.timezone,
                                  engine.started_at or engine.driver.clock())
        self._loop: asyncio.AbstractEventLoop | None = None
        engine.driver.add_sink(self.sink)
        self.pages: Counter[tuple[str, str]] = Counter()  # (username, seat) -> pages open
        if engine.casework is not None:  # a case taken in changes its agent's direct-answer rate
            engine.casework.service.on_events(self.cases_changed)

    def agents(self) -> dict[str, dict[str, Any]]:
        return {a["agent_id"]: a for a in self.engine.acd.snapshot(self.engine.driver.clock())["agents"]}

    def state(self, agent: dict[str, Any]) -> str:
        return json.dumps({"type": "state", "state": seat_state(agent["presence"], agent["activity"]),
                           "reason": agent["reason"], "since": agent["since"],
                           "now": self.engine.driver.clock()})

    def push(self, agent_id: str, message: str) -> None:
        for queue in self.watchers.get(agent_id, ()):
            queue.offer(message)  # a page that stopped reading is let go, not buffered for

    def sink(self, commands: Sequence[object]) -> None:
        self.day_calls.sink(commands)
        for command in commands:
            if isinstance(command, CallerDetails):
                self.callers[command.call_id] = command
            elif isinstance(command, CallClosed):
                self.callers.pop(command.call_id, None)
            elif isinstance(command, CallFinished):
                self.callers.pop(str(command.record.call_id), None)
                if command.record.agent_id is not None:
                    self.push(command.record.agent_id, FIGURES)
        offers = [c for c in commands if isinstance(c, (OfferCall, CancelOffer))]
        # Only the seats whose state changed in this batch and that a page watches: a batch
        # costs what it changed, not the number of pages open.
        changed = {c.agent_id for c in commands
                   if isinstance(c, AgentStateChanged) and c.agent_id in self.watchers}
        if not changed and not offers:
            return
        agents = self.agents() if offers else {}
        for command in offers:
            if isinstance(command, OfferCall):  # kept: a page opened while it rings shows it too
                self.offers[command.agent_id] = json.dumps(self.offer(command, agents.get(command.agent_id)))
                self.push(command.agent_id, self.offers[command.agent_id])
            else:
                self.offers.pop(command.agent_id, None)
                ended = {"type": "offer-ended", "call_id": str(command.call_id), "reason": command.reason}
                self.push(command.agent_id, json.dumps(ended))
        for agent_id in changed:
            seat = self.engine.acd.seat(agent_id)
            seen = {"presence": seat.presence.value, "activity": seat.activity.value,
                    "reason": seat.reason, "since": seat.since}
            if self.last.get(agent_id) != seen:
                self.last[agent_id] = seen
                self.push(agent_id, self.state(seen))

    def offer(self, command: OfferCall, agent: dict[str, Any] | None) -> dict[str, Any]:
        """The screen pop: what the ACD's offer knows of the call."""
        enqueued = self.engine.acd.enqueued_at(command.call_id)
        waited = self.engine.driver.clock() - enqueued if enqueued is not None else None
        details = self.callers.get(str(command.call_id))
        caller = details.caller if details is not None else ""
        return {"type": "offer", "call_id": str(command.call_id), "queue": command.queue, "waited": waited,
                "line": agent["line"] if agent else None, "language": agent["language"] if agent else None,
                "callback": command.callback, "ring_timeout": command.ring_timeout, "caller": caller,
                "ivr_path": list(details.path) if details else [],
                "ivr_collected": [list(pair) for pair in details.collected] if details else [],
                "cases": self.earlier_cases(caller)}

    def earlier_cases(self, caller: str) -> list[dict[str, Any]]:
        """The caller's newest cases (any agent on the desk may see every case)."""
        casework = self.engine.casework
        if casework is None or not caller or caller == "anonymous":
            return []
        rows = casework.store.find(CaseQuery(caller=caller[:32], limit=EARLIER_CASES))
        path = casework.service.directory.taxonomy.path
        return [{"case_id": r.case_id, "status": r.status, "category": path(r.category),
                 "created": dt.datetime.fromtimestamp(r.created_at, self.tz).strftime("%Y-%m-%d %H:%M"),
                 "text": r.state_dict().get("text", "")[:60]} for r in rows]

    def figures(self, agent_id: str, username: str | None) -> str:
        """The agent's figures of the day: the seat's calls, the user's intakes."""
        day = self.day_calls.day(self.engine.driver.clock())
        casework = self.engine.casework
        intakes = casework.store.intakes_of(username, day) if casework and username else None
        return json.dumps(figures(self.day_calls.of(agent_id, day), intakes))

    def cases_changed(self, events: list[dict[str, Any]]) -> None:
        """Cases changed (on any thread): the pages of the users who took one in or answered
        one on the spot read their figures again."""
        users = {e["actor"].get("user") for e in events if e["type"] in ("CaseOpened", "AnsweredDirectly")
                 and isinstance(e.get("actor"), dict)}
        loop = self._loop
        if users & {user for user, _ in self.pages} and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._push_figures, users)

    def _push_figures(self, users: set[str]) -> None:
        for user, agent_id in list(self.pages):
            if user in users:
                self.push(agent_id, FIGURES)

    async def stream(self, agent_id: str, username: str | None = None) -> AsyncIterator[str]:
        self._loop = asyncio.get_running_loop()
        queue = StreamQueue()
        queue.offer(FIGURES)  # after the state and the offer ringing now
        self.watchers.setdefault(agent_id, set()).add(queue)
        page = (username or "", agent_id)
        self.pages[page] += 1
        try:
            agent = self.agents().get(agent_id)
            if agent is not None:
                yield f"data: {self.state(agent)}\n\n"
                offer = self.offers.get(agent_id)
                if offer is not None and agent["call_id"] is not None \
                        and json.loads(offer)["call_id"] == str(agent["call_id"]):
                    yield f"data: {offer}\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), self.heartbeat)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                if message is None:  # overflowed: the page reconnects and is sent the state anew
                    return
                if message == FIGURES:
                    message = self.figures(agent_id, username)
                yield f"data: {message}\n\n"
        finally:
            self.pages[page] -= 1
            if self.pages[page] <= 0:
                del self.pages[page]
            watchers = self.watchers.get(agent_id)
            if watchers is not None:
                watchers.discard(queue)
                if not watchers:
                    del self.watchers[agent_id]
                    self.last.pop(agent_id, None)


def add_seat_routes(router: APIRouter, engine: Engine, sessions: Sessions, render: Callable[..., Response],
                    limits: StreamLimits | None = None) -> SeatFeed:
    feed = SeatFeed(engine)
    limits = limits or StreamLimits()
    seats: dict[str, str] = {}  # the session token's hash -> the seat it drives
    known = {agent.id for agent in engine.config.agents}

    def key(request: Request) -> str:
        return hashlib.sha256((sessions.token(request) or "").encode()).hexdigest()

    def agent_user(request: Request) -> User | None:
        user = sessions.user(request)
        return user if user is not None and user.hotline else None

    def held_by_other(request: Request, seat: str) -> bool:
        mine = key(request)
        return any(held == seat and other != mine for other, held in seats.items())

    sessions.on_logout.append(lambda token: seats.pop(hashlib.sha256(token.encode()).hexdigest(), None))

    def page(request: Request, user: User, status: int = 200, message: str = "") -> Response:
        return render(request, "seat.html", user, status, seat=seats.get(key(request)),
                      seats=sorted(known), reasons=REASONS, message=message,
                      statuses=[s.value for s in Status])

    async def post(request: Request) -> tuple[User, dict[str, str]] | Response:
        """The hotline user and their form, or the response refusing the post."""
        user = agent_user(request)
        if user is None:
            return RedirectResponse("/desk/login?next=/desk/seat", status_code=303)
        try:
            return user, await sessions.form(request)
        except FormRefused as exc:
            return page(request, user, 403, str(exc))

    @router.get("/seat")
    async def seat_page(request: Request) -> Response:
        user = agent_user(request)
        if user is None:
            return RedirectResponse("/desk/login?next=/desk/seat", status_code=303)
        return page(request, user)

    @router.post("/seat/pick")
    async def pick(request: Request) -> Response:
        posted = await post(request)
        if isinstance(posted, Response):
            return posted
        user, form = posted
        seat = form.get("seat", "")
        if seat not in known:
            return page(request, user, 422, f"seat: unknown agent {seat[:32]!r}")
        if held_by_other(request, seat):
            return page(request, user, 409, f"seat: {seat} is driven from another desk")
        seats[key(request)] = seat
        return RedirectResponse("/desk/seat", status_code=303)

    @router.post("/seat/do/{action}")
    async def act(request: Request, action: str) -> Response:
        posted = await post(request)
        if isinstance(posted, Response):
            return posted
        user, form = posted
        seat = seats.get(key(request))
        if seat is None or action not in ACTIONS:
            return page(request, user, 422, "seat: pick a seat first" if seat is None else "action: unknown")
        try:
            engine.driver.submit(ACTIONS[action](seat, form))
        except (IllegalTransition, ACDError) as exc:
            return page(request, user, 409, str(exc.args[0]) if exc.args else type(exc).__name__)
        return RedirectResponse("/desk/seat", status_code=303)

    @router.get("/seat/events")
    async def events(request: Request) -> Response:
        user = agent_user(request)
        seat = seats.get(key(request))
        if user is None or seat is None:
            return Response(status_code=401 if user is None else 409)
        stream = limits.admit(user.username, feed.stream(seat, user.username))
        if isinstance(stream, Response):
            return stream
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    add_call_routes(router, engine, lambda request: seats.get(key(request)), post, page)
    add_task_routes(router, engine, lambda request: seats.get(key(request)), post, page, agent_user)
    return feed

"""Agent and supervisor actions: each one is an ACD event submitted on the engine's loop.

A refused action (``IllegalTransition``, ``ACDError``) changes nothing and maps to 409, an
unknown agent to 404 (see ``callcenter.api.errors``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from acd.engine import UnknownAgent
from acd.events import AgentLoggedIn, AgentLoggedOut, AgentNotReady, AgentReady, Event, WrapUpDone
from callcenter.api.models import AgentOut, LoginIn, NotReadyIn, Problem
from callcenter.records.rows import seat_state
from callcenter.runtime.app import Engine

REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Unknown agent"},
    409: {"model": Problem, "description": "Not allowed in the seat's state; nothing changed"},
}


def agent_out(agent: dict[str, Any]) -> AgentOut:
    call_id = agent["call_id"]
    return AgentOut(**{**agent, "call_id": None if call_id is None else str(call_id),
                       "state": seat_state(agent["presence"], agent["activity"])})


def find_agent(engine: Engine, agent_id: str) -> AgentOut:
    for agent in engine.acd.snapshot(engine.driver.clock())["agents"]:
        if agent["agent_id"] == agent_id:
            return agent_out(agent)
    raise UnknownAgent(f"unknown agent {agent_id!r}")


def agents_router(engine: Engine) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["agents"])

    def act(event: Event) -> AgentOut:
        engine.driver.submit(event)
        return find_agent(engine, event.agent_id)

    @router.get("/agents", response_model=list[AgentOut], summary="Every agent and their seat state")
    async def list_agents() -> list[AgentOut]:
        return [agent_out(a) for a in engine.acd.snapshot(engine.driver.clock())["agents"]]

    @router.get("/agents/{agent_id}", response_model=AgentOut, responses=REFUSALS,
                summary="One agent's seat state")
    async def get_agent(agent_id: str) -> AgentOut:
        return find_agent(engine, agent_id)

    @router.post("/agents/{agent_id}/login", response_model=AgentOut, responses=REFUSALS,
                 summary="Log in (not ready, or ready with ready=true)")
    async def login(agent_id: str, body: LoginIn | None = None) -> AgentOut:
        return act(AgentLoggedIn(agent_id, ready=body.ready if body else False))

    @router.post("/agents/{agent_id}/logout", response_model=AgentOut, responses=REFUSALS,
                 summary="Log out (refused during a conversation)")
    async def logout(agent_id: str) -> AgentOut:
        return act(AgentLoggedOut(agent_id))

    @router.post("/agents/{agent_id}/ready", response_model=AgentOut, responses=REFUSALS,
                 summary="Become available for calls")
    async def ready(agent_id: str) -> AgentOut:
        return act(AgentReady(agent_id))

    @router.post("/agents/{agent_id}/not-ready", response_model=AgentOut, responses=REFUSALS,
                 summary="Stop taking calls, with a reason (break, lunch, training, ...)")
    async def not_ready(agent_id: str, body: NotReadyIn | None = None) -> AgentOut:
        return act(AgentNotReady(agent_id, reason=body.reason if body else "break"))

    @router.post("/agents/{agent_id}/wrap-up-done", response_model=AgentOut, responses=REFUSALS,
                 summary="End wrap-up before its timer runs out")
    async def wrap_up_done(agent_id: str) -> AgentOut:
        return act(WrapUpDone(agent_id))

    supervisor = APIRouter(prefix="/supervisor", tags=["supervisor"])

    @supervisor.post("/agents/{agent_id}/force-not-ready", response_model=AgentOut,
                     responses=REFUSALS,
                     summary="Make an agent not ready (a call in progress is not cut)")
    async def force_not_ready(agent_id: str, body: NotReadyIn | None = None) -> AgentOut:
        reason = body.reason if body else "supervisor"
        return act(AgentNotReady(agent_id, reason=reason))

    @supervisor.post("/agents/{agent_id}/force-logout", response_model=AgentOut,
                     responses=REFUSALS,
                     summary="Log an agent out (a ringing call goes back to its place; "
                             "refused during a conversation)")
    async def force_logout(agent_id: str) -> AgentOut:
        return act(AgentLoggedOut(agent_id))

    router.include_router(supervisor)
    return router

"""Request and response bodies of the HTTP API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

Reason = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Problem(BaseModel):
    """An error: ``detail`` says what was refused and why; nothing was changed."""

    detail: str


class AgentOut(BaseModel):
    agent_id: str
    name: str
    presence: str = Field(description="logged_out | available | not_ready (the agent's choice)")
    activity: str = Field(description="idle | ringing | on_call | wrap_up (the system's view)")
    state: str = Field(description="One word: logged_out, not_ready, idle, ringing, on_call, wrap_up")
    reason: str = Field(description="Why not ready (break, lunch, no-answer, ...); empty otherwise")
    since: float = Field(description="Epoch seconds the seat entered this state (0: never)")
    call_id: str | None = None
    line: str | None = None
    language: str | None = None
    queues: list[str]


class LoginIn(BaseModel):
    ready: bool = Field(False, description="Go straight to available")


class NotReadyIn(BaseModel):
    reason: Reason = "break"


class QueueOut(BaseModel):
    name: str
    language: str | None = Field(description="The callers' language (from the lines' routing)")
    waiting: int
    longest_wait: float = Field(description="Seconds the longest-waiting call has waited")
    agents: dict[str, int] = Field(description="Agents serving the queue by state")
    stats: dict[str, Any] = Field(description="Counters since the engine started")


class CallOut(BaseModel):
    call_id: str
    agent_id: str
    line: str | None
    language: str | None


class CallsOut(BaseModel):
    waiting: dict[str, int] = Field(description="Waiting calls per queue")
    longest_wait: dict[str, float]
    ringing: list[CallOut]
    talking: list[CallOut]


class Targets(BaseModel):
    threshold_seconds: float
    service_level: float
    connection_rate: float
    definition: str


class FiguresOut(BaseModel):
    """The ACD's live counters for today: since local midnight in the center's timezone, or
    since the engine started if that was later (``since``). The records store has the whole
    day: see the daily report."""

    since: float
    now: float
    targets: Targets
    overall: dict[str, Any]
    queues: dict[str, dict[str, Any]]

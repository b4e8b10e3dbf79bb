"""Small helpers for driving the ACD on a hand-advanced clock."""

from __future__ import annotations

from acd.commands import CallFinished, CancelOffer, OfferCall
from acd.engine import ACD
from acd.events import AgentLoggedIn


def offers(commands: list) -> list[tuple]:
    return [(c.call_id, c.agent_id) for c in commands if isinstance(c, OfferCall)]


def cancels(commands: list) -> list[tuple]:
    return [(c.call_id, c.agent_id, c.reason) for c in commands if isinstance(c, CancelOffer)]


def finished(commands: list) -> list:
    return [c.record for c in commands if isinstance(c, CallFinished)]


def login_all(acd: ACD, agent_ids: list[str], now: float = 0.0) -> list:
    out: list = []
    for agent_id in agent_ids:
        out += acd.handle(AgentLoggedIn(agent_id, ready=True), now)
    return out

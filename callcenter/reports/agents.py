"""Per-agent figures of a day: calls answered, talk time and time in each seat state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from callcenter.records.rows import StoredCall, StoredEvent, seat_state


@dataclass(slots=True)
class AgentFigures:
    agent_id: str
    calls_answered: int = 0
    talk_seconds: float = 0.0
    state_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"agent_id": self.agent_id, "calls_answered": self.calls_answered,
                "talk_seconds": self.talk_seconds, "state_seconds": dict(self.state_seconds)}


def _state(event: StoredEvent) -> str:
    data = event.data
    return data.get("state") or seat_state(data.get("presence", ""), data.get("activity", ""))


def agent_figures(
    calls: Iterable[StoredCall],
    initial: Mapping[str, StoredEvent],
    changes: Iterable[StoredEvent],
    start: float,
    end: float,
) -> list[AgentFigures]:
    """Figures per agent over ``[start, end)``.

    ``initial`` holds each agent's last state change before ``start``; ``changes`` the state
    changes inside the window, in time order. A state lasts until the agent's next change or
    ``end``. Agents who spent the whole window logged out and answered nothing are left out.
    """
    out: dict[str, AgentFigures] = {}

    def agent(agent_id: str) -> AgentFigures:
        if agent_id not in out:
            out[agent_id] = AgentFigures(agent_id)
        return out[agent_id]

    current: dict[str, tuple[str, float]] = {
        a: (_state(e), start) for a, e in initial.items() if _state(e) != "logged_out"
    }

    def close(agent_id: str, until: float) -> None:
        state, since = current.pop(agent_id)
        if until > since:
            seconds = agent(agent_id).state_seconds
            seconds[state] = seconds.get(state, 0.0) + (until - since)

    for event in changes:
        if event.agent is None or not start <= event.at < end:
            continue
        if event.agent in current:
            close(event.agent, event.at)
        current[event.agent] = (_state(event), event.at)
    for agent_id in list(current):
        close(agent_id, end)
    for call in calls:
        if call.outcome == "answered" and call.agent_id is not None:
            figures = agent(call.agent_id)
            figures.calls_answered += 1
            figures.talk_seconds += call.talk
    for figures in out.values():
        figures.state_seconds.pop("logged_out", None)
    return sorted(out.values(), key=lambda f: f.agent_id)

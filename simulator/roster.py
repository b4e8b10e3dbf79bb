"""The simulated roster: agent specs, and when each agent starts and ends shifts and breaks."""

from __future__ import annotations

from dataclasses import dataclass, replace

from agents.model import AgentSpec
from simulator.scenario import LoadedScenario

HOUR = 3600.0

# Schedule actions, in the order they apply at equal times.
SHIFT_END, BREAK_START, BREAK_END, SHIFT_START = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class RosterAgent:
    spec: AgentSpec
    group: str
    duty: tuple[tuple[float, float], ...]  # on-shift intervals, seconds
    breaks: tuple[tuple[float, float], ...]  # break intervals, seconds


def build_roster(loaded: LoadedScenario) -> list[RosterAgent]:
    """Agents from the scenario's staffing groups, or the center's roster on duty all run."""
    scenario = loaded.scenario
    end = scenario.duration_hours * HOUR
    wrap = scenario.wrap_up_seconds
    default_wrap = loaded.config.defaults.wrap_up_seconds
    out: list[RosterAgent] = []
    if scenario.staffing is None:
        for spec in loaded.config.agent_specs():
            if wrap is not None:
                spec = replace(spec, wrap_up_seconds=wrap)
            out.append(RosterAgent(spec, "roster", ((0.0, end),), ()))
        return out
    for g, group in enumerate(scenario.staffing):
        label = group.name or f"g{g}"
        duty = tuple((s.start_hour * HOUR, s.end_hour * HOUR) for s in group.shifts) or (
            (0.0, end),
        )
        group_wrap = group.wrap_up_seconds if group.wrap_up_seconds is not None else (
            wrap if wrap is not None else default_wrap
        )
        for i in range(group.count):
            breaks = []
            for b in group.breaks:
                offset = b.stagger_minutes * 60.0 * (i / group.count)
                start = b.start_hour * HOUR + offset
                breaks.append((start, start + b.minutes * 60.0))
            spec = AgentSpec(
                agent_id=f"{label}-{i + 1:04d}",
                name=f"{label} {i + 1}",
                skills=dict(group.skills),
                wrap_up_seconds=group_wrap,
            )
            out.append(RosterAgent(spec, label, duty, tuple(breaks)))
    return out


def schedule_events(agent: RosterAgent, end: float) -> list[tuple[float, int]]:
    """``(time, action)`` pairs before ``end`` for one agent, sorted."""
    events = []
    for start, stop in agent.duty:
        if start < end:
            events.append((start, SHIFT_START))
        if stop < end:
            events.append((stop, SHIFT_END))
    for start, stop in agent.breaks:
        if start < end:
            events.append((start, BREAK_START))
        if stop < end:
            events.append((stop, BREAK_END))
    return sorted(events)


def available_intervals(agent: RosterAgent) -> list[tuple[float, float]]:
    """On-shift time minus breaks, as disjoint sorted intervals."""
    duty = sorted(agent.duty)
    merged: list[list[float]] = []
    for start, stop in duty:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    pieces = [tuple(m) for m in merged]
    for b_start, b_stop in agent.breaks:
        cut: list[tuple[float, float]] = []
        for start, stop in pieces:
            if b_stop <= start or b_start >= stop:
                cut.append((start, stop))
                continue
            if start < b_start:
                cut.append((start, b_start))
            if b_stop < stop:
                cut.append((b_stop, stop))
        pieces = cut
    return [(float(a), float(b)) for a, b in pieces]

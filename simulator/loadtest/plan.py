"""What a live run does, sampled from a simulation scenario: calls, their keys, and the seats."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from agents.model import AgentSpec
from callcenter.config import HotlineConfig
from callcenter.config.schema import Agent
from simulator.arrivals import PiecewisePoisson
from simulator.roster import build_roster
from simulator.sampling import make_sampler
from simulator.scenario import LoadedScenario, Scenario

# Keys that pick a language in the language menu of line 12345's flow (9, then the language).
MENU_KEYS = {"zh": "", "en": "91", "ja": "92", "ko": "93", "fr": "94", "de": "95", "ru": "96"}
MENU_LINES = frozenset({"12345"})
CALLER_PREFIX = "1380"  # callers' numbers are CALLER_PREFIX + the call's index (7 digits)


class PlanError(ValueError):
    """The scenario cannot be played live (e.g. a language the line's IVR cannot select)."""


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One caller: when it dials, what it presses, how long it waits and talks."""

    index: int
    at: float  # seconds from the start of the run
    stream: str
    line: str
    language: str
    keys: str
    patience: float  # seconds from queue entry (inf: waits forever)
    handle: float  # talk time the agent gives it

    @property
    def number(self) -> str:
        return f"{CALLER_PREFIX}{self.index:07d}"


def index_of(number: str) -> int | None:
    """The call index encoded in a caller number shown to a seat, or None."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) == len(CALLER_PREFIX) + 7 and digits.startswith(CALLER_PREFIX):
        return int(digits[len(CALLER_PREFIX):])
    return None


def live_scenario(loaded: LoadedScenario, minutes: float | None, rate_scale: float) -> LoadedScenario:
    """The scenario cut to ``minutes`` (no warm-up) with every arrival rate times ``rate_scale``."""
    data = loaded.scenario.model_dump()
    if minutes is not None:
        data["duration_hours"] = minutes / 60.0
    data["warmup_hours"] = 0.0
    for arrival in data["arrivals"]:
        if arrival.get("calls_per_hour") is not None:
            arrival["calls_per_hour"] *= rate_scale
        if arrival.get("per_hour") is not None:
            arrival["per_hour"] = [r * rate_scale for r in arrival["per_hour"]]
    return replace(loaded, scenario=Scenario.model_validate(data))


def plan_calls(loaded: LoadedScenario, seed: int) -> list[PlannedCall]:
    """Poisson arrival times per stream, with each call's keys, patience and handle time."""
    scenario = loaded.scenario
    end = scenario.duration_hours * 3600.0
    seq = np.random.SeedSequence([seed, 0x10AD])
    calls: list[tuple[float, str, str, str, str, float, float]] = []
    for i, arrival in enumerate(scenario.arrivals):
        rng = np.random.default_rng(seq.spawn(1)[0])
        stream = PiecewisePoisson(arrival.hourly_rates(), end, rng)
        handle = make_sampler(arrival.handle_time or scenario.handle_time, rng)
        patience = make_sampler(arrival.patience or scenario.patience, rng)
        if arrival.language != "zh" and arrival.line not in MENU_LINES:
            raise PlanError(f"arrivals[{i}]: line {arrival.line} has no language menu; "
                            f"callers cannot choose {arrival.language}")
        keys = MENU_KEYS[arrival.language] if arrival.line in MENU_LINES else ""
        t = stream.next_after(0.0)
        while t < math.inf:
            calls.append((t, arrival.label(i), arrival.line, arrival.language, keys,
                          patience(), max(handle(), 0.5)))
            t = stream.next_after(t)
    calls.sort(key=lambda c: c[0])
    return [PlannedCall(n, *c) for n, c in enumerate(calls)]


def seats_on_duty(loaded: LoadedScenario) -> list[AgentSpec]:
    """The scenario's agents on duty at the start of the run (shifts later on are ignored)."""
    return [a.spec for a in build_roster(loaded)
            if any(start <= 0.0 < stop for start, stop in a.duty)]


def engine_config(loaded: LoadedScenario, seats: list[AgentSpec]) -> HotlineConfig:
    """The center's config with ``seats`` as its roster (for an in-process engine)."""
    config = loaded.config
    agents = [Agent(id=s.agent_id, name=s.name, skills=dict(s.skills),
                    wrap_up_seconds=s.wrap_up_seconds) for s in seats]
    return config.model_copy(update={"agents": agents})


def map_to_roster(seats: list[AgentSpec], config: HotlineConfig) -> list[AgentSpec]:
    """Give each seat the id of a distinct config agent with at least its skills."""
    free = list(config.agents)
    out = []
    for seat in seats:
        match = next((a for a in free if all(a.skills.get(k, 0) >= v
                                             for k, v in seat.skills.items())), None)
        if match is None:
            raise PlanError(f"no free agent in the center's roster has the skills of "
                            f"{seat.agent_id} ({seat.skills})")
        free.remove(match)
        out.append(replace(seat, agent_id=match.id, name=match.name))
    return out


def with_engine_timers(loaded: LoadedScenario, seats: list[AgentSpec]) -> LoadedScenario:
    """The scenario with the wrap-up the engine will really apply to ``seats`` (mapped onto
    its roster): a remote engine keeps its own config, whatever the scenario says."""
    config = loaded.config
    wraps = {a.id: a.wrap_up_seconds for a in config.agents}
    default = config.defaults.wrap_up_seconds
    values = {wraps.get(s.agent_id) if wraps.get(s.agent_id) is not None else default
              for s in seats}
    wrap = sum(values) / len(values) if values else default
    data = loaded.scenario.model_dump()
    data["wrap_up_seconds"] = wrap
    for group in data.get("staffing") or []:
        group["wrap_up_seconds"] = None
    return replace(loaded, scenario=Scenario.model_validate(data), config=config)

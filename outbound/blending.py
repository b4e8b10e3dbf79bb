"""Blending outbound work with inbound calls: the gate consulted before an outbound offer.

An agent may get an outbound task only while no inbound call waits for an agent of the pool and
the inbound queues' predicted service level, with one agent fewer, stays above the target by
a margin (and, with a ``floor``, while no inbound queue's measured level over the window has
fallen under it: the pooled prediction cannot see a specialist queue whose seats also take the
general calls the outbound agents leave). The prediction is Erlang A (``simulator.erlang``)
from the measured arrival rate (offered calls over a sliding window), the measured handle time
and the callers' patience.
``refusal`` names the rule that holds an agent back, so a planner can see where idle time went;
``DedicatedGate`` is for agents who do outbound work only (any idle one takes a task).
``Blender`` applies the gate to an ``acd.engine.ACD``: outbound tasks enter their queue only
when the ACD has an eligible agent idle, so they are offered at once and never wait there for
an agent an inbound call could need; a task nobody idle fits stays in line without holding up
the others. Pure: ``now`` comes in, ACD events go out."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from acd.commands import Command as AcdCommand
from acd.commands import OfferCall
from acd.engine import ACD
from acd.events import CallArrived, CallerHungUp
from agents.seat import Activity, Presence
from outbound.dialer import Dialer
from outbound.task import Task
from simulator.erlang import erlang_a_service_level

OUTBOUND_PREFIX = "outbound:"  # the ACD's call id of an agent task is this + the task id


def engine_call_id(call_id: object) -> bool:
    """True for a call id in the engine's own namespace (an agent task's): a call from outside
    (an inbound SIP Call-ID, which the caller picks) must never carry one."""
    return isinstance(call_id, str) and call_id.startswith(OUTBOUND_PREFIX)


@dataclass(frozen=True)
class BlendPolicy:
    """``target`` and ``threshold`` (seconds) are the inbound service level to keep; a task is
    offered only while the prediction stays at or above ``target + margin``."""

    target: float = 0.80
    threshold: float = 15.0
    margin: float = 0.05
    patience: float = 120.0  # the callers' mean patience, seconds
    window: float = 900.0  # seconds of arrivals the rate is measured over
    default_handle: float = 300.0  # talk + wrap-up before any call was measured
    reserve: int = 0  # idle agents always left for inbound (for the queues they back up)
    floor: float | None = None  # no outbound while an inbound queue's measured SL is below this
    floor_calls: int = 10  # ... over the window, once it counted this many calls
    warmup: float = 60.0  # seconds of arrivals measured before any prediction (and any offer)

    def __post_init__(self) -> None:
        if not 0 < self.target < 1 or self.target + self.margin > 1 or self.margin < 0:
            raise ValueError("target, margin: need 0 < target < 1 and target + margin <= 1")
        if self.reserve < 0:
            raise ValueError("reserve: must not be negative")
        if self.window <= 0 or self.patience <= 0 or self.threshold <= 0:
            raise ValueError("window, patience, threshold: must be positive")
        if not 0 <= self.warmup <= self.window:
            raise ValueError("warmup: must be between 0 and the window")


@dataclass(frozen=True, slots=True)
class Pool:
    """The agents who may take outbound work, as the ACD has them now."""

    available: int  # logged in and ready (talking, ringing, wrapping up or idle)
    idle: int  # idle now
    on_outbound: int  # of the available, those busy with an outbound task


class ArrivalRate:
    """Inbound calls per second over a sliding window, from the ACD's cumulative offered counts."""

    def __init__(self, window: float, warmup: float = 60.0) -> None:
        self.window = window
        self.warmup = warmup
        self._points: deque[tuple[float, int]] = deque()

    def observe(self, now: float, offered: int) -> None:
        points = self._points
        points.append((now, offered))
        while len(points) > 2 and points[1][0] <= now - self.window:
            points.popleft()

    def rate(self) -> float | None:
        """None until ``warmup`` seconds have been observed."""
        if len(self._points) < 2:
            return None
        (t0, n0), (t1, n1) = self._points[0], self._points[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 and t1 - t0 >= self.warmup else None


class MeasuredLevel:
    """One queue's service level over a sliding window, from the ACD's cumulative counts."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._points: deque[tuple[float, int, int]] = deque()

    def observe(self, now: float, within: int, counted: int) -> None:
        points = self._points
        points.append((now, within, counted))
        while len(points) > 2 and points[1][0] <= now - self.window:
            points.popleft()

    def level(self, minimum: int) -> float | None:
        """None until ``minimum`` calls were counted in the window."""
        (_, w0, n0), (_, w1, n1) = self._points[0], self._points[-1]
        return (w1 - w0) / (n1 - n0) if n1 - n0 >= minimum else None


class BlendGate:
    """Decides whether one more agent may leave inbound work for an outbound task."""

    def __init__(self, policy: BlendPolicy) -> None:
        self.policy = policy
        self.arrivals = ArrivalRate(policy.window, policy.warmup)
        self.levels: dict[str, MeasuredLevel] = {}  # inbound queue -> its measured level

    def below_floor(self) -> bool:
        """True while some inbound queue's measured service level is under ``floor``."""
        floor = self.policy.floor
        if floor is None:
            return False
        for meter in self.levels.values():
            level = meter.level(self.policy.floor_calls)
            if level is not None and level < floor:
                return True
        return False

    def predicted(self, agents: int, handle: float) -> float | None:
        """The inbound service level Erlang A predicts with ``agents``; None before a rate."""
        rate = self.arrivals.rate()
        if rate is None:
            return None
        if agents < 1:
            return 0.0 if rate > 0 else 1.0
        p = self.policy
        return erlang_a_service_level(rate, handle, agents, p.threshold, p.patience)

    def refusal(self, pool: Pool, waiting_inbound: int, handle: float) -> str | None:
        """Why one more agent may not take outbound work now (the first rule that says no:
        ``inbound waiting``, ``reserve``, ``floor``, ``no rate yet``, ``prediction``), or None."""
        if waiting_inbound > 0:
            return "inbound waiting"  # inbound always wins a free agent
        if pool.idle <= self.policy.reserve:
            return "reserve"
        if self.below_floor():
            return "floor"
        predicted = self.predicted(pool.available - pool.on_outbound - 1, handle)
        if predicted is None:
            return "no rate yet"
        return None if predicted >= self.policy.target + self.policy.margin else "prediction"

    def may_offer(self, pool: Pool, waiting_inbound: int, handle: float) -> bool:
        return self.refusal(pool, waiting_inbound, handle) is None


class DedicatedGate(BlendGate):
    """For agents who do outbound work only (no inbound skills): any idle one takes a task."""

    def refusal(self, pool: Pool, waiting_inbound: int, handle: float) -> str | None:
        return None if pool.idle > 0 else "none idle"


class Blender:
    """Feeds a dialer's agent tasks into one ACD queue through the gate."""

    def __init__(self, acd: ACD, dialer: Dialer, gate: BlendGate, queue: str,
                 agents: Collection[str], inbound_queues: Iterable[str], priority: int = -1000,
                 wrap_up: float = 0.0, acd_queue: str | None = None,
                 requirements: Callable[[str, str], Mapping[str, int] | None] | None = None) -> None:
        self.acd, self.dialer, self.gate, self.queue = acd, dialer, gate, queue
        self.acd_queue = acd_queue or queue  # where its tasks enter the ACD (``queue``: the dialer's)
        # the skills a task of a line and language adds to the queue's (None: none)
        self.requirements = requirements
        self.wrap_up = wrap_up  # the agents' mean wrap-up: part of the handle time Erlang A needs
        self.agents = tuple(agents)  # who serves ``queue`` (and the inbound queues)
        self.inbound = tuple(inbound_queues)
        self.priority = priority
        self.in_acd: dict[str, Task] = {}  # ACD call id -> its task

    def observe(self, now: float) -> None:
        stats = self.acd.stats
        self.gate.arrivals.observe(now, sum(stats[q].offered for q in self.inbound))
        if self.gate.policy.floor is not None:
            for q in self.inbound:
                meter = self.gate.levels.setdefault(q, MeasuredLevel(self.gate.policy.window))
                meter.observe(now, stats[q].answered_within_threshold, stats[q].service_level_denominator)

    def pool(self) -> Pool:
        available = idle = on_outbound = 0
        for agent_id in self.agents:
            seat = self.acd.seat(agent_id)
            if seat.presence is not Presence.AVAILABLE:
                continue
            available += 1
            if seat.activity is Activity.IDLE:
                idle += 1
            else:
                call = self.acd.agent_call(agent_id)
                on_outbound += engine_call_id(call)
        return Pool(available, idle, on_outbound)

    def handle_time(self) -> float:
        stats = self.acd.stats
        talk = sum(stats[q].talk_total for q in self.inbound)
        count = sum(stats[q].talk_count for q in self.inbound)
        return talk / count + self.wrap_up if count >= 20 else self.gate.policy.default_handle

    def offer(self, now: float) -> list[AcdCommand]:
        """Put as many due agent tasks into the ACD as the gate allows now, each only if an idle
        agent is eligible for it (the ACD's own routing rule): the others stay due, in line."""
        self.observe(now)
        commands: list[AcdCommand] = []
        handle = self.handle_time()
        waiting = self.acd.waiting_calls()
        while self.gate.may_offer(self.pool(), waiting, handle):
            task = self.dialer.take(self.queue, now, self.fits)
            if task is None:
                break
            call_id = OUTBOUND_PREFIX + task.task_id
            self.in_acd[call_id] = task
            arrived = self.acd.handle(CallArrived(call_id, self.acd_queue, self.priority, now,
                                                  task.language, task.line, self.extra(task)), now)
            commands.extend(arrived)
            if not any(isinstance(c, OfferCall) and c.call_id == call_id for c in arrived):
                commands.extend(self.withdraw(call_id, now))
                break
        return commands

    def extra(self, task: Task) -> Mapping[str, int] | None:
        """The skills ``task`` needs beside its ACD queue's (its line's, its language)."""
        return self.requirements(task.line, task.language) if self.requirements is not None else None

    def fits(self, task: Task) -> bool:
        """True if the ACD has an idle agent eligible for ``task`` now (its own routing rule, on
        its agents as they are signed in now)."""
        return self.acd.idle_agent_for(self.acd_queue, self.extra(task))

    def withdraw(self, call_id: str, now: float) -> list[AcdCommand]:
        """The agent did not answer the offer: the task leaves the ACD (it must not wait there
        for an agent) and goes back in line without spending an attempt."""
        task = self.in_acd.pop(call_id)
        self.dialer.release(task.task_id, now)
        return self.acd.handle(CallerHungUp(call_id), now)

    def task_of(self, call_id: object) -> Task | None:
        """The task behind an ACD call id, None for an inbound call."""
        return self.in_acd.get(call_id) if isinstance(call_id, str) else None

    def finished(self, call_id: str) -> Task:
        """The ACD closed the outbound call's record."""
        return self.in_acd.pop(call_id)

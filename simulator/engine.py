"""Discrete-event simulation on a virtual clock, driving the production ``acd.engine.ACD``.

The simulator plays the callers, the IVR and the agents' hands; every routing decision
(who gets which call, ring-no-answer, wrap-up, escalation) is the core's. Events sit in one
queue ordered ``(time, kind, seq)`` (``acd/native_heap.py``): equal-time events resolve
by kind, then by insertion order, so a run is fully determined by its seed. The agents'
shifts and breaks, known in advance, are merged in from a sorted list, in that same order;
the core's own deadlines before any event at the same or a later time.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from acd.commands import CallFinished, CallRecord, CancelOffer, OfferCall
from acd.engine import ACD
from acd.events import (
    AgentAnswered,
    AgentHungUp,
    AgentLoggedIn,
    AgentNotReady,
    AgentReady,
    CallArrived,
    CallerHungUp,
)
from acd.native_heap import EventQueue
from simulator.arrivals import PiecewisePoisson
from simulator.ivr_walk import IvrStage, Walk
from simulator.roster import (
    BREAK_START,
    SHIFT_END,
    SHIFT_START,
    RosterAgent,
    build_roster,
    schedule_events,
)
from simulator.sampling import Sampler, is_zero, make_sampler
from simulator.scenario import LoadedScenario

if TYPE_CHECKING:
    from simulator.outbound import OutboundWork

HOUR: Final = 3600.0
SAMPLE_SECONDS: Final = 60.0
# Event times sit on a 2**-20 s grid (about 1 microsecond). Sums of grid times and the core's
# step delays (10 s, 0.5 s, ...) are then exact in floating point, so ``(t + d) - t == d``:
# without this the core can find an escalation timer due "1e-15 s early" and re-arm it
# at the same instant forever.
TICKS: Final = float(2**20)
_INTEGRAL: Final = float(2**52)  # x + 2**52 - 2**52 is x rounded half to even, for 0 <= x < 2**52


def _int(value: Any) -> int:
    """``value`` as an int to the type checker (a plain assignment of an untyped value would
    leave it untyped, and the compiled core would index lists through Python's protocol)."""
    return value


def _time_of(action: tuple[float, str, int]) -> float:
    return action[0]


def on_grid(seconds: float) -> float:
    """``seconds`` (>= 0) on the ``TICKS`` grid: ``round(seconds * TICKS) / TICKS`` without
    leaving floating point (same value: the sum rounds to an integer, half to even)."""
    return (seconds * TICKS + _INTEGRAL - _INTEGRAL) / TICKS

# Event kinds double as the tie-break priority at equal times (lower first).
_AGENT: Final = 0
_READY_AGAIN: Final = 1
_HANGUP: Final = 2
_ANSWER: Final = 3
_PATIENCE: Final = 4
_ENQUEUE: Final = 5
_ARRIVE: Final = 6
_SAMPLE: Final = 7
_OUTBOUND: Final = 8


@dataclass(slots=True)
class RunResult:
    """What one replication produced: one record per finished call, plus time series."""

    replication: int
    records: list[CallRecord]
    stream_of_call: list[int]  # stream index by call id
    arrival_of_call: list[float]
    unfinished: int  # calls still in the system when the run stopped
    roster: list[RosterAgent]
    stream_routes: list[tuple[str, str, str]] = field(default_factory=list)  # line, lang, queue
    samples: list[tuple[float, int]] = field(default_factory=list)  # (time, calls waiting)
    events: int = 0
    walks: list[Walk] = field(default_factory=list)  # each call's way through the IVR, by id
    prompts: str = ""  # where the prompt durations came from


def _queue_specs(loaded: LoadedScenario) -> list:
    specs = loaded.config.queue_specs()
    override = loaded.scenario.service_level
    if override is None:
        return specs
    return [
        dataclasses.replace(
            q,
            service_level=dataclasses.replace(
                q.service_level, threshold_seconds=override.threshold_seconds
            ),
        )
        for q in specs
    ]


class _Stream:
    """One arrival stream: its arrivals, its callers' line and language, its time samplers."""

    __slots__ = ("arrivals", "line", "language", "priority", "handle", "patience")

    def __init__(self, arrivals: PiecewisePoisson, line: str, language: str, priority: int,
                 handle: Sampler, patience: Sampler) -> None:
        self.arrivals = arrivals
        self.line = line
        self.language = language
        self.priority = priority
        self.handle = handle
        self.patience = patience


class Simulation:
    """One replication of a scenario. ``run()`` once."""

    def __init__(
        self, loaded: LoadedScenario, seed: int = 0, replication: int = 0, progress: bool = False,
        outbound: OutboundWork | None = None,
    ) -> None:
        self.loaded = loaded
        self.replication = replication
        self.progress = progress
        scenario = loaded.scenario
        seq = np.random.SeedSequence([seed, replication])
        rng = np.random.default_rng(seq)
        self.end = scenario.duration_hours * HOUR
        self.roster = build_roster(loaded)
        self.outbound = outbound  # blended outbound work: its calls have str ids
        self.acd = ACD(
            _queue_specs(loaded) + (list(outbound.queues) if outbound is not None else []),
            [a.spec for a in self.roster],
            rng=random.Random(int(seq.generate_state(1)[0])),
            emit_agent_states=False,
        )
        self.streams: list[_Stream] = []
        for arrival in scenario.arrivals:
            stream_rng = np.random.default_rng(seq.spawn(1)[0])
            self.streams.append(
                _Stream(
                    PiecewisePoisson(arrival.hourly_rates(), self.end, stream_rng),
                    arrival.line,
                    arrival.language,
                    arrival.priority,
                    make_sampler(arrival.handle_time or scenario.handle_time, stream_rng),
                    make_sampler(arrival.patience or scenario.patience, stream_rng),
                )
            )
        self.ivr = IvrStage(loaded, np.random.default_rng(seq.spawn(1)[0]))
        self.ring: Sampler | None = (None if is_zero(scenario.ring_time)
                                     else make_sampler(scenario.ring_time, rng))
        self.ready_again = scenario.no_answer_ready_seconds
        if outbound is not None:
            outbound.attach(self.acd, [a.spec for a in self.roster], loaded.config.inbound_queues())

    def run(self) -> RunResult:
        # The run allocates millions of short-lived objects and no reference cycles: the
        # cyclic garbage collector would only rescan the growing list of records.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> RunResult:
        acd = self.acd  # called as acd.handle(...): a direct call in the compiled core
        queue = EventQueue()
        end = self.end
        streams = self.streams
        ivr = self.ivr
        ringing = self.ring is not None
        # Not optional: the compiled core then calls ring.sample() natively.
        ring: Sampler = self.ring if self.ring is not None else Sampler(0.0)
        records: list[CallRecord] = []
        stream_of_call: list[int] = []
        arrival_of_call: list[float] = []
        samples: list[tuple[float, int]] = []
        waiting: set[int] = set()  # in the queue, not answered yet
        offers: dict[int, str] = {}  # call id -> agent being rung (ring time > 0)
        on_shift: dict[str, bool] = {}
        on_break: dict[str, bool] = {}
        logged_in: set[str] = set()
        inf = math.inf
        # Events are immutable: one hang-up event per agent serves every call.
        hung_up = {agent.spec.agent_id: AgentHungUp(agent.spec.agent_id) for agent in self.roster}

        for index, stream in enumerate(streams):
            first = stream.arrivals.next_after(0.0)
            if first < inf:
                queue.push(on_grid(first), _ARRIVE, index, None)
        # The agents' shifts and breaks, known in advance, wait in one sorted list beside the
        # queue (a smaller heap): they come out first at equal times (kind _AGENT), in roster
        # order, as they would from the queue.
        schedule: list[tuple[float, str, int]] = []
        for agent in self.roster:
            agent_id = agent.spec.agent_id
            on_shift[agent_id] = False
            on_break[agent_id] = False
            for when, action in schedule_events(agent, end):
                schedule.append((on_grid(when), agent_id, action))
        schedule.sort(key=_time_of)
        scheduled = len(schedule)
        next_action = 0
        action_time = schedule[0][0] if schedule else inf
        queue.push(0.0, _SAMPLE, None, None)
        outbound = self.outbound
        if outbound is not None:
            queue.push(0.0, _OUTBOUND, None, None)

        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=round(end / HOUR, 2), unit="h", desc="simulating", leave=False)
            shown = 0.0

        deadline = acd.next_deadline()
        events = 0
        pending: list = []
        a: Any = None
        b: Any = None
        call_id: Any = None  # boxed once: the compiled core would box an int at every use

        while True:
            now = queue.first()
            agent_first = next_action < scheduled and action_time <= now
            if agent_first:
                now = action_time
            if deadline is not None and deadline <= now:
                now = deadline
                pending = acd.on_timer(now)
                kind = -1
            elif agent_first:
                kind = _AGENT
                _, a, b = schedule[next_action]
                next_action += 1
                if next_action < scheduled:
                    action_time = schedule[next_action][0]
            elif now < inf:
                kind = queue.pop()
                a, b = queue.a, queue.b
            else:
                break
            events += 1

            # The compiled core reads typed locals natively (``a`` and ``b`` are untyped).
            if kind == _ARRIVE:
                index = _int(a)
                stream = streams[index]
                call_id = len(stream_of_call)
                stream_of_call.append(index)
                arrival_of_call.append(now)
                nxt = stream.arrivals.next_after(now)
                if nxt < inf:
                    queue.push(on_grid(nxt), _ARRIVE, a, None)
                walk = ivr.enter(index)  # the caller walks the line's flow: queue and time from it
                if walk.arrived is not None:
                    queue.push(on_grid(now + walk.seconds), _ENQUEUE, call_id, walk.arrived)
                continue
            if kind == _ENQUEUE:
                number = _int(a)
                arrived: CallArrived = b
                waiting.add(a)
                pending = acd.handle(CallArrived(a, arrived.queue, arrived.priority,
                                                 arrival_of_call[number], arrived.language,
                                                 arrived.line, arrived.requirements), now)
            elif kind == _HANGUP:
                pending = acd.handle(hung_up[a], now)
            elif kind == _ANSWER:
                if offers.get(b) != a:
                    continue
                del offers[b]
                waiting.discard(b)
                pending = acd.handle(AgentAnswered(a, b), now)
                queue.push(on_grid(now + self._talk(b, now, stream_of_call)), _HANGUP, a, b)
            elif kind == _PATIENCE:
                if a not in waiting:
                    continue
                pending = acd.handle(CallerHungUp(a), now)
            elif kind == _AGENT:
                pending = self._schedule_action(a, b, now, on_shift, on_break, logged_in)
            elif kind == _READY_AGAIN:
                if not (on_shift[a] and not on_break[a]):
                    continue
                pending = acd.handle(AgentReady(a), now)
            elif kind == _OUTBOUND:
                pending, nxt = outbound.tick(now)
                if nxt < end:
                    queue.push(on_grid(nxt), _OUTBOUND, None, None)
            elif kind == _SAMPLE:
                samples.append((now, acd.waiting_calls()))
                if now + SAMPLE_SECONDS < end:
                    queue.push(now + SAMPLE_SECONDS, _SAMPLE, None, None)
                if bar is not None and now / HOUR - shown >= 0.25:
                    bar.update(round(now / HOUR - shown, 2))
                    shown = now / HOUR
                continue

            # Carry out the core's commands; an immediate answer may produce more.
            while pending:
                todo, pending = pending, []
                for cmd in todo:
                    ctype = type(cmd)
                    if ctype is OfferCall:
                        offer: OfferCall = cmd
                        call_id, agent_id = offer.call_id, offer.agent_id
                        if not ringing:
                            waiting.discard(call_id)
                            more = acd.handle(AgentAnswered(agent_id, call_id), now)
                            if more:
                                pending.extend(more)
                            talk = self._talk(call_id, now, stream_of_call)
                            queue.push(on_grid(now + talk), _HANGUP, agent_id, call_id)
                        else:
                            offers[call_id] = agent_id
                            queue.push(on_grid(now + ring.sample()), _ANSWER, agent_id, call_id)
                    elif ctype is CallFinished:
                        finished: CallFinished = cmd
                        record = finished.record
                        if type(record.call_id) is str:
                            outbound.finished(record, now)
                            continue
                        records.append(record)
                        if record.outcome != "answered":
                            waiting.discard(record.call_id)
                    elif ctype is CancelOffer:
                        offers.pop(cmd.call_id, None)
                        if type(cmd.call_id) is str and cmd.reason in ("ring-no-answer", "declined"):
                            pending.extend(outbound.withdraw(cmd.call_id, now))
                        if cmd.reason in ("ring-no-answer", "declined"):
                            queue.push(on_grid(now + self.ready_again), _READY_AGAIN, cmd.agent_id,
                                       None)
            if kind == _ENQUEUE and a in waiting:
                patience = self._stream_of(a, stream_of_call).patience.sample()
                if patience < inf:
                    queue.push(on_grid(now + patience), _PATIENCE, a, None)
            deadline = acd.next_deadline()

        if bar is not None:
            bar.update(max(round(end / HOUR - shown, 2), 0))
            bar.close()
        walks = self.ivr.walks
        unfinished = len(stream_of_call) - len(records) - sum(w.arrived is None for w in walks)
        routes = [(stream.line, stream.language, "") for stream in streams]
        return RunResult(
            self.replication, records, stream_of_call, arrival_of_call, unfinished, self.roster,
            routes, samples, events, walks, self.ivr.setup.prompts,
        )

    def _talk(self, call_id: Any, now: float, stream_of_call: list[int]) -> float:
        """The talk time of a call answered now: its stream's, or the outbound work's."""
        if type(call_id) is str:
            return self.outbound.talk(call_id, now)
        return self._stream_of(call_id, stream_of_call).handle.sample()

    def _stream_of(self, call_id: Any, stream_of_call: list[int]) -> _Stream:
        """The arrival stream of a (simulated) call."""
        number: int = call_id
        return self.streams[stream_of_call[number]]

    def _schedule_action(
        self,
        agent_id: str,
        action: int,
        now: float,
        on_shift: dict[str, bool],
        on_break: dict[str, bool],
        logged_in: set[str],
    ) -> list:
        handle = self.acd.handle
        if action == SHIFT_START:
            on_shift[agent_id] = True
            if agent_id not in logged_in:
                logged_in.add(agent_id)
                return handle(AgentLoggedIn(agent_id, ready=not on_break[agent_id]), now)
            return [] if on_break[agent_id] else handle(AgentReady(agent_id), now)
        if action == SHIFT_END:
            on_shift[agent_id] = False
            if agent_id in logged_in:
                return handle(AgentNotReady(agent_id, "end-of-shift"), now)
            return []
        if action == BREAK_START:
            on_break[agent_id] = True
            if agent_id in logged_in and on_shift[agent_id]:
                return handle(AgentNotReady(agent_id, "break"), now)
            return []
        on_break[agent_id] = False  # BREAK_END
        if agent_id in logged_in and on_shift[agent_id]:
            return handle(AgentReady(agent_id), now)
        return []


def simulate(loaded: LoadedScenario, seed: int = 0, replication: int = 0,
             progress: bool = False, outbound: OutboundWork | None = None) -> RunResult:
    """Run one replication of ``loaded`` with ``seed`` (and ``outbound`` work blended in)."""
    return Simulation(loaded, seed, replication, progress, outbound).run()

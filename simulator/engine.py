"""Discrete-event simulation on a virtual clock, driving the production ``acd.engine.ACD``.

The simulator plays the callers, the IVR and the agents' hands; every routing decision
(who gets which call, ring-no-answer, wrap-up, escalation) is the core's. Events sit in one
heap keyed ``(time, kind, seq)``: equal-time events resolve by kind, then by insertion order,
so a run is fully determined by its seed. The core's own deadlines are merged in before any
event at the same or a later time.
"""

from __future__ import annotations

import dataclasses
import gc
import heapq
import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

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
            _queue_specs(loaded) + ([outbound.queue] if outbound is not None else []),
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
        self.ring = None if is_zero(scenario.ring_time) else make_sampler(scenario.ring_time, rng)
        self.ready_again = scenario.no_answer_ready_seconds
        if outbound is not None:
            outbound.attach(self.acd, [a.spec for a in self.roster])

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
        heap: list[tuple] = []
        push, pop = heapq.heappush, heapq.heappop
        seq = 0
        end = self.end
        streams = self.streams
        enter, ring = self.ivr.enter, self.ring
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
        tk = TICKS
        # Events are immutable: one hang-up event per agent serves every call.
        hung_up = {agent.spec.agent_id: AgentHungUp(agent.spec.agent_id) for agent in self.roster}

        for index, stream in enumerate(streams):
            first = stream.arrivals.next_after(0.0)
            if first < inf:
                push(heap, (round(first * tk) / tk, _ARRIVE, seq, index, None))
                seq += 1
        for agent in self.roster:
            agent_id = agent.spec.agent_id
            on_shift[agent_id] = False
            on_break[agent_id] = False
            for when, action in schedule_events(agent, end):
                push(heap, (round(when * tk) / tk, _AGENT, seq, agent_id, action))
                seq += 1
        push(heap, (0.0, _SAMPLE, seq, None, None))
        seq += 1
        outbound = self.outbound
        if outbound is not None:
            push(heap, (0.0, _OUTBOUND, seq, None, None))
            seq += 1

        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=round(end / HOUR, 2), unit="h", desc="simulating", leave=False)
            shown = 0.0

        deadline = acd.next_deadline()
        events = 0
        pending: list = []

        while True:
            if heap:
                now = heap[0][0]
                if deadline is not None and deadline <= now:
                    now = deadline
                    pending = acd.on_timer(now)
                    kind = -1
                else:
                    now, kind, _, a, b = pop(heap)
            elif deadline is not None:
                now = deadline
                pending = acd.on_timer(now)
                kind = -1
            else:
                break
            events += 1

            if kind == _ARRIVE:
                stream = streams[a]
                call_id = len(stream_of_call)
                stream_of_call.append(a)
                arrival_of_call.append(now)
                nxt = stream.arrivals.next_after(now)
                if nxt < inf:
                    push(heap, (round(nxt * tk) / tk, _ARRIVE, seq, a, None))
                    seq += 1
                walk = enter(a)  # the caller walks the line's flow: queue and time from it
                if walk.arrived is not None:
                    push(heap, (round((now + walk.seconds) * tk) / tk, _ENQUEUE, seq, call_id,
                                walk.arrived))
                    seq += 1
                continue
            if kind == _ENQUEUE:
                call_id = a
                waiting.add(call_id)
                pending = acd.handle(CallArrived(call_id=call_id, queue=b.queue, priority=b.priority,
                                                 arrived_at=arrival_of_call[call_id],
                                                 language=b.language, line=b.line,
                                                 requirements=b.requirements), now)
            elif kind == _HANGUP:
                pending = acd.handle(hung_up[a], now)
            elif kind == _ANSWER:
                if offers.get(b) != a:
                    continue
                del offers[b]
                waiting.discard(b)
                pending = acd.handle(AgentAnswered(a, b), now)
                talk = outbound.talk(b, now) if type(b) is str else streams[stream_of_call[b]].handle()
                push(heap, (round((now + talk) * tk) / tk, _HANGUP, seq, a, b))
                seq += 1
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
                    push(heap, (round(nxt * tk) / tk, _OUTBOUND, seq, None, None))
                    seq += 1
            elif kind == _SAMPLE:
                samples.append((now, acd.waiting_calls()))
                if now + SAMPLE_SECONDS < end:
                    push(heap, (now + SAMPLE_SECONDS, _SAMPLE, seq, None, None))
                    seq += 1
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
                        call_id, agent_id = cmd.call_id, cmd.agent_id
                        if ring is None:
                            waiting.discard(call_id)
                            more = acd.handle(AgentAnswered(agent_id, call_id), now)
                            if more:
                                pending.extend(more)
                            talk = (outbound.talk(call_id, now) if type(call_id) is str
                                    else streams[stream_of_call[call_id]].handle())
                            done = round((now + talk) * tk) / tk
                            push(heap, (done, _HANGUP, seq, agent_id, call_id))
                        else:
                            offers[call_id] = agent_id
                            rung = round((now + ring()) * tk) / tk
                            push(heap, (rung, _ANSWER, seq, agent_id, call_id))
                        seq += 1
                    elif ctype is CallFinished:
                        record = cmd.record
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
                            again = round((now + self.ready_again) * tk) / tk
                            push(heap, (again, _READY_AGAIN, seq, cmd.agent_id, None))
                            seq += 1
            if kind == _ENQUEUE and a in waiting:
                patience = streams[stream_of_call[a]].patience()
                if patience < inf:
                    push(heap, (round((now + patience) * tk) / tk, _PATIENCE, seq, a, None))
                    seq += 1
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

"""Simulated callers walk their line's real flow through the production call object.

Each caller is a ``calls.Call`` (the object both live adapters drive, which runs the IVR
interpreter and hands off to the ACD) fed on a virtual clock: prompts end after their
duration, plug-ins answer through the registry, and the caller's keys come from the scenario's
``ivr.choices`` (see ``simulator.scenario.IvrCallers``). The ``CallArrived`` the call submits
to the ACD (queue, language, priority, requirements) and the time it took are what the
simulator's ACD gets. Calls that end without an agent (self-service, a transfer by the flow)
and callers who hang up in the IVR are counted apart.

A walk depends only on the choices made (the caller's timing is fixed), so each sequence of
choices is run once and remembered: later callers draw the same random numbers and reuse it.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from acd.events import CallArrived
from calls import Call, CallSettings
from calls import commands as cc
from calls import events as ce
from calls.call import SELF_SERVICE
from ivr_flows.commands import RunQuery
from ivr_flows.interpreter import FlowRun
from ivr_flows.model import CallbackNode, CollectNode, MenuNode, SurveyNode
from ivr_flows.routes import Place, exit_target, reachable_routes
from simulator.ivr_setup import IvrSetup
from simulator.sampling import make_sampler
from simulator.scenario import SILENCE, IvrCallers, LoadedScenario

MAX_CHOICES = 40
"""Choices one caller makes before keeping silent (a caller looping in a menu)."""
LIMIT_SECONDS = 3600.0

# Simultaneous happenings: the system's events before the caller's keys.
_PROMPT, _QUERY, _KEY = range(3)

IVR_OUTCOMES = ("enqueued", "self_service", "transferred", "abandoned", "failed")
"""How a walk ends: reached a queue; the flow ended the call (self-service, ``hangup`` or
``return``); transferred to a department; the caller hung up in the IVR; the flow failed."""


@dataclass(frozen=True, slots=True)
class Walk:
    """A caller's way through the flow: ``outcome`` (``IVR_OUTCOMES``) after ``seconds``;
    ``arrived`` is the call's ``CallArrived`` for the ACD (``call_id`` and ``arrived_at`` to
    fill in) when it reached a queue; ``node`` is where the flow ended (``flow.node``)."""

    outcome: str
    seconds: float
    arrived: CallArrived | None
    node: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A place where callers choose: the options (keys or ``silence``) and their odds."""

    where: str
    options: tuple[str, ...]
    cumulative: tuple[float, ...]

    def draw(self, uniform: Callable[[], float]) -> str:
        if len(self.options) == 1:
            return self.options[0]
        u = uniform()
        for option, edge in zip(self.options, self.cumulative, strict=True):
            if u < edge:
                return option
        return self.options[-1]


class FlowWalker:
    """Walks callers of one simulation; ``walk(line, language)`` per arriving caller."""

    def __init__(self, setup: IvrSetup, callers: IvrCallers, flows_of_lines: dict[str, str],
                 default_language: str, rng: np.random.Generator) -> None:
        self.setup = setup
        self.callers = callers
        self.settings = CallSettings(setup.flows, setup.durations, hold_interval=None,
                                     default_language=default_language)
        self.flows_of_lines = flows_of_lines
        self.default_language = default_language
        block: list[float] = []

        def uniform() -> float:
            nonlocal block
            if not block:
                block = rng.random(4096).tolist()
            return block.pop()

        self._uniform = uniform
        self._choices: dict[tuple, Choice] = {}
        self._walks: dict[tuple, Walk] = {}
        self._defaults: dict[tuple[str, str, str], str] = {}
        self.runs = 0
        """Walks run through the interpreter (the others were remembered)."""

    def walk(self, line: str, language: str) -> Walk:
        """One caller of ``line`` who speaks ``language``: choices drawn, the walk returned."""
        start = (line, language)
        made: tuple[str, ...] = ()
        while True:
            key = (start, made)
            known = self._walks.get(key)
            if known is not None:
                return known
            choice = self._choices.get(key)
            if choice is None:
                break
            made = (*made, choice.draw(self._uniform))
        return self._run(line, language, made)

    def fixed(self, line: str, language: str) -> Walk | None:
        """The walk every caller of ``line`` and ``language`` takes, when the flow asks them
        nothing (``walk`` then returns it without drawing); else None."""
        return self._walks.get(((line, language), ()))

    # ---- one caller through the interpreter ------------------------------------------------

    def _run(self, line: str, language: str, made: tuple[str, ...]) -> Walk:
        """One caller through a ``calls.Call`` (the object the live adapters drive), from
        ``Arrived`` until it reaches the ACD or ends without an agent."""
        setup, callers = self.setup, self.callers
        durations = setup.durations
        call = Call("walk", line, self.flows_of_lines[line], self.settings)
        seq = itertools.count()
        heap: list[tuple[float, int, int, object]] = []
        taken: list[str] = []
        start = (line, language)
        ended: list[tuple[str, float, CallArrived | None, str]] = []
        self.runs += 1

        def feed(now: float, event: object | None) -> None:
            out = call.on_timer(now) if event is None else call.handle(event, now)
            prompt_end = now
            for cmd in out:
                if isinstance(cmd, cc.Play):
                    prompt_end = now + sum(durations(item) for item in cmd.items)
                    heapq.heappush(heap, (prompt_end, _PROMPT, next(seq), ce.PlayDone(cmd.play_id)))
                elif isinstance(cmd, RunQuery):
                    heapq.heappush(heap, (now + callers.query_seconds, _QUERY, next(seq),
                                          setup.plugins.answer(cmd)))
                elif isinstance(cmd, cc.Collect):
                    keys = self._choose(call, start, made, taken)
                    at = prompt_end + callers.reaction_seconds
                    for key in keys:
                        heapq.heappush(heap, (at, _KEY, next(seq), ce.Digit(key)))
                        at += callers.digit_seconds
                elif isinstance(cmd, cc.ToAcd) and isinstance(cmd.event, CallArrived):
                    ended.append(("enqueued", now, cmd.event, _where(call)))
                elif isinstance(cmd, cc.Dial) and cmd.kind == cc.DEPARTMENT:
                    ended.append(("transferred", now, None, _where(call)))
                elif isinstance(cmd, cc.Record) and isinstance(cmd.entry, cc.Closed):
                    kind = "self_service" if cmd.entry.outcome == SELF_SERVICE else "failed"
                    ended.append((kind, now, None, _where(call)))

        feed(0.0, ce.Arrived())
        while not ended:
            deadline = call.next_deadline()
            if heap and (deadline is None or heap[0][0] <= deadline):
                now, _, _, event = heapq.heappop(heap)
                feed(now, event)
            elif deadline is not None:
                feed(deadline, None)
            else:
                break
            if heap and heap[0][0] > LIMIT_SECONDS:
                break
        if not ended:
            raise RuntimeError(f"line {line}: flow {self.flows_of_lines[line]} did not end "
                               f"(choices {taken})")
        kind, at, arrived, where = ended[0]
        walk = Walk(kind, at, arrived, where)
        self._walks[(start, tuple(taken))] = walk
        return walk

    def _choose(self, call: Call, start: tuple[str, str], made: tuple[str, ...],
                taken: list[str]) -> str:
        """The keys for the node now asking (``""``: silence), and remember the choice."""
        run = call.run
        assert run is not None
        where = run.path[-1].replace(":", ".", 1)
        if len(taken) >= MAX_CHOICES:
            return ""
        choice = self._choices.get((start, tuple(taken)))
        if choice is None:
            choice = self._choice_at(run, where, start[1])
            self._choices[(start, tuple(taken))] = choice
        keys = made[len(taken)] if len(taken) < len(made) else choice.draw(self._uniform)
        taken.append(keys)
        if keys == SILENCE:
            return ""
        flow_name, node_name = where.split(".", 1)
        node = self.setup.flows[flow_name].nodes[node_name]
        if isinstance(node, CollectNode) and node.terminator and len(keys) < node.max_length \
                and keys != node.escape_key:
            keys += node.terminator
        return keys

    def _choice_at(self, run: FlowRun, where: str, language: str) -> Choice:
        given = self.callers.choices.get(where)
        if given:
            options = tuple(given)
            cumulative = tuple(itertools.accumulate(given.values()))
            return Choice(where, options, cumulative)
        return Choice(where, (self._default(run, where, language),), (1.0,))

    def _default(self, run: FlowRun, where: str, language: str) -> str:
        """The option on the fewest nodes to a queue of ``language``; silence if none leads
        there; keys before silence on a tie."""
        cached = self._defaults.get((where, run.language, language))
        if cached is not None:
            return cached
        flow_name, node_name = where.split(".", 1)
        flow = self.setup.flows[flow_name]
        node = flow.nodes[node_name]
        options: list[tuple[str, str | None]] = []
        if isinstance(node, MenuNode):
            options = list(node.choices.items())
        elif isinstance(node, CollectNode) and node.escape_key:
            options = [(node.escape_key, node.escape)]
        silent = (node.declined if isinstance(node, CallbackNode)
                  else exit_target(flow, node_name, node.timeout)
                  if isinstance(node, MenuNode | CollectNode | SurveyNode) else None)
        options.append((SILENCE, silent))
        best, best_hops = SILENCE, math.inf
        for keys, target in options:
            if target is None or target not in flow.nodes:
                continue
            routes = reachable_routes(self.setup.flows, Place(flow_name, target, run.language))
            hops = min((h for (lang, _), h in routes.items() if lang == language), default=math.inf)
            if hops < best_hops:
                best, best_hops = keys, hops
        self._defaults[(where, run.language, language)] = best
        return best


class IvrStage:
    """The simulator's IVR: each arriving caller walks the flow, or hangs up first (``ivr.
    patience``); ``walks`` holds every caller's ``Walk`` by call id."""

    def __init__(self, loaded: LoadedScenario, rng: np.random.Generator) -> None:
        config, scenario = loaded.config, loaded.scenario
        self.setup = loaded.ivr_setup()
        self.walker = FlowWalker(self.setup, scenario.ivr,
                                 {line.number: line.flow for line in config.lines},
                                 config.default_language, rng)
        self.patience = make_sampler(scenario.ivr.patience, rng)
        self.streams = [(arrival.line, arrival.language) for arrival in scenario.arrivals]
        self.priorities = [arrival.priority for arrival in scenario.arrivals]
        self.walks: list[Walk] = []
        # A stream whose flow offers no choice walks one way: its walk, once known.
        self._fixed: list[Walk | None] = [None] * len(self.streams)

    def enter(self, stream: int) -> Walk:
        """The next caller of ``stream`` (call ids count up from 0)."""
        walk = self._fixed[stream]
        if walk is None:
            line, language = self.streams[stream]
            walk = self.walker.walk(line, language)
            self._fixed[stream] = self.walker.fixed(line, language)
        patience = self.patience.sample()
        if patience < walk.seconds:
            walk = Walk("abandoned", patience, None, "")
        elif walk.arrived is not None and self.priorities[stream] > walk.arrived.priority:
            # a stream's own priority (a scenario's VIP callers) raises the flow's
            arrived = dataclasses.replace(walk.arrived, priority=self.priorities[stream])
            walk = dataclasses.replace(walk, arrived=arrived)
        self.walks.append(walk)
        return walk


def _where(call: Call) -> str:
    """The node the line's flow ended at, as ``flow.node``."""
    outcome = call.ivr.outcome if call.ivr is not None else None
    return f"{outcome.flow}.{outcome.node}" if outcome is not None else ""

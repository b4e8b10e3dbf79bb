"""Drive a flow with scripted caller input on a virtual clock (the simulator's IVR model).

Prompts last what ``durations`` says, plug-ins answer after ``query_latency``; the caller's
keys and hang-up come at given offsets from the start of the call.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.interpreter import Durations, FlowRun, Outcome
from ivr_flows.loader import FlowSet
from ivr_flows.plugins import PluginRegistry

HANG_UP = "hangup"

# Order of simultaneous happenings: the system's own events before the caller's, timers last.
_PROMPT, _QUERY, _CALLER, _TIMER = range(4)


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a timeline: an event in or a command out, at ``at`` seconds."""

    at: float
    item: e.Event | c.Command


@dataclass(frozen=True)
class Replay:
    run: FlowRun
    timeline: list[Entry]

    @property
    def outcome(self) -> Outcome | None:
        return self.run.outcome

    @property
    def seconds(self) -> float:
        """Time from the call's start to the end of the flow."""
        assert self.run.outcome is not None and self.run.started_at is not None
        return self.run.outcome.at - self.run.started_at

    def commands(self) -> list[c.Command]:
        return [x.item for x in self.timeline if not isinstance(x.item, e.EVENT_TYPES)]

    def first(self, kind: type) -> Entry | None:
        return next((x for x in self.timeline if isinstance(x.item, kind)), None)


def replay(
    flows: FlowSet,
    flow: str,
    script: Sequence[tuple[float, str]] = (),
    *,
    durations: Durations,
    plugins: PluginRegistry | None = None,
    start: float = 0.0,
    language: str | None = None,
    line: str | None = None,
    query_latency: float = 0.2,
    limit: float = 3600.0,
) -> Replay:
    """Run ``flow`` to its end; ``script`` holds ``(seconds after start, key or "hangup")``."""
    run = FlowRun(flows, flow, language=language, durations=durations)
    seq = itertools.count()
    heap: list[tuple[float, int, int, e.Event]] = []
    for offset, key in script:
        event = e.CallerHungUp() if key == HANG_UP else e.DigitPressed(key)
        heapq.heappush(heap, (start + offset, _CALLER, next(seq), event))
    timeline: list[Entry] = []

    def feed(now: float, event: e.Event | None) -> None:
        if event is None:
            out = run.on_timer(now)
        else:
            timeline.append(Entry(now, event))
            out = run.handle(event, now)
        for cmd in out:
            timeline.append(Entry(now, cmd))
            if isinstance(cmd, c.PlayPrompts):
                ends = now + sum(durations(i) for i in cmd.items)
                heapq.heappush(heap, (ends, _PROMPT, next(seq), e.PromptFinished(cmd.play_id)))
            elif isinstance(cmd, c.RunQuery) and plugins is not None:
                answer = plugins.answer(cmd)
                heapq.heappush(heap, (now + query_latency, _QUERY, next(seq), answer))

    feed(start, e.CallStarted(line=line))
    while not run.finished:
        deadline = run.next_deadline()
        if heap and (deadline is None or heap[0][0] <= deadline):
            now, _, _, event = heapq.heappop(heap)
            if isinstance(event, e.PromptFinished) and event.play_id != run.playing:
                continue  # stopped by barge-in: never reaches the interpreter
            feed(now, event)
        elif deadline is not None:
            feed(deadline, None)
        else:
            break
        if timeline[-1].at - start > limit:
            raise RuntimeError(f"flow '{flow}' still running after {limit} s")
    return Replay(run, timeline)

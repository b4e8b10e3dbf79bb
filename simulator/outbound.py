"""Outbound work in a simulated day: a return-visit campaign through the production ACD, the
outbound dialer and the blending gate (``outbound/``), one of three ways a planner can staff it:

* ``agent`` calls blended into inbound work: the simulator gives the gate a chance every
  ``tick`` seconds; a task the gate lets through enters the ACD's outbound queue, rings an idle
  agent, and once the agent answers the citizen's side is drawn: reached (a conversation),
  answered but silent, busy, no answer or failed, each with its time on the agent;
* the same with ``dedicated`` agents as well: agents whose only skill beside the language is
  ``outbound`` (no inbound queue can use them) take tasks whenever idle, without the gate;
* automated ``survey`` calls: no agent at all, at most ``lines`` calls at once, each answered
  call a survey that a share of citizens break off.

The dialer then applies its retry rules. While agents are idle in calling hours and get no
task, the time is put down to the gate's first reason (``held``): what the planner reads to
see why a blended campaign is slow. Simulated time 0 is midnight: the calling hours are read
in UTC on the simulator's clock."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from acd.commands import CallRecord
from acd.commands import Command as AcdCommand
from acd.engine import ACD
from acd.model import QueueSpec
from agents.model import AgentSpec
from outbound.blending import Blender, BlendGate, BlendPolicy, DedicatedGate
from outbound.dialer import Dialer
from outbound.hours import CallingHours
from outbound.model import Answers, CallOutcome, Dial, Kind, KindRules, Mode, Rules
from outbound.task import State

QUEUE = "outbound-visits"
DEDICATED_QUEUE = "outbound-dedicated"
DEDICATED_SKILL = "outbound"  # the skill of agents who do outbound work only


@dataclass(frozen=True)
class CitizenModel:
    """What happens when the engine dials a citizen: outcome probabilities (the rest is no
    answer) and the seconds each outcome keeps the agent."""

    reached: float = 0.60
    silent: float = 0.02
    busy: float = 0.10
    failed: float = 0.03
    ring_seconds: float = 12.0  # before a citizen answers
    talk_mean: float = 150.0  # a return-visit conversation, lognormal
    talk_sd: float = 80.0
    no_answer_seconds: float = 30.0
    survey_seconds: float = 50.0  # the automated survey: the line, the case, two questions
    survey_breakoff: float = 0.15  # of the citizens who answer a survey call, hang up midway


@dataclass
class CampaignFigures:
    """What became of the campaign's tasks by the end of the day."""

    tasks: int = 0
    reached: int = 0
    not_reached: int = 0  # every attempt used
    expired: int = 0
    pending: int = 0  # still waiting at the end of the day
    dials: int = 0
    agent_seconds: float = 0.0  # agent time on outbound calls (ring, dial, talk, not wrap-up)
    dedicated_seconds: float = 0.0  # ... of it, by dedicated agents
    line_seconds: float = 0.0  # trunk time of automated survey calls
    reached_by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    # blended agents' idle seconds in calling hours that went to no task, by the gate's reason
    held: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    pool_seconds: float = 0.0  # blended agents' available seconds in calling hours


class OutboundWork:
    """One replication's campaign: ``tasks`` return visits, as ``mode`` calls (see above)."""

    def __init__(self, tasks: int, seed: int, *, policy: BlendPolicy | None = None,
                 citizen: CitizenModel | None = None, requirements: dict[str, int] | None = None,
                 tick: float = 15.0, max_attempts: int = 3, hours: CallingHours | None = None,
                 mode: Mode = Mode.AGENT, lines: int = 30, dedicated: bool = False) -> None:
        self.queue = QueueSpec(QUEUE, requirements or {"zh": 1, "general": 1})
        language = next(iter(self.queue.requirements), "zh")
        self.queues = [self.queue] + ([QueueSpec(DEDICATED_QUEUE, {language: 1, DEDICATED_SKILL: 1})]
                                      if dedicated and mode is Mode.AGENT else [])
        self.rng = np.random.default_rng(seed)
        self.policy = policy or BlendPolicy()
        self.citizen = citizen or CitizenModel()
        self.tick_seconds = tick
        self.mode = mode
        hours = hours or CallingHours(timezone="UTC")
        kind = (KindRules(mode=Mode.AGENT, queue=QUEUE, max_attempts=max_attempts) if mode is Mode.AGENT
                else KindRules(mode=Mode.SURVEY, max_attempts=max_attempts, max_concurrent=lines))
        self.dialer = Dialer(Rules(hours=hours, kinds={Kind.RETURN_VISIT: kind}))
        for i in range(tasks):
            self.dialer.add_visit(f"case-{i}", f"138{i:08d}", "12345", 0.0, not_before=0.0)
        self.figures = CampaignFigures(tasks=tasks)
        self._drawn: dict[str, CallOutcome] = {}
        self.blender: Blender | None = None  # the gated one
        self.blenders: list[Blender] = []  # dedicated agents' first
        self._survey_ends: list[tuple[float, str, CallOutcome]] = []
        self._seen: tuple[float, int, str] | None = None  # (when, idle agents, why not given)

    def attach(self, acd: ACD, agents: Sequence[AgentSpec], inbound: Sequence[str]) -> None:
        """Called by the simulation once its ACD and roster exist; ``inbound``: the queues its
        callers wait in (the config's), whose service level the gate keeps."""
        if self.mode is not Mode.AGENT:
            return
        self.acd = acd
        serving = [a for a in agents if self.queue.could_serve(a.skills) and DEDICATED_SKILL not in a.skills]
        wrap_up = sum(a.wrap_up_seconds for a in serving) / len(serving) if serving else 0.0
        self.blender = Blender(acd, self.dialer, BlendGate(self.policy), QUEUE,
                               [a.agent_id for a in serving], inbound, wrap_up=wrap_up)
        if len(self.queues) > 1:
            dedicated = [a.agent_id for a in agents if self.queues[1].could_serve(a.skills)]
            self.blenders.append(Blender(acd, self.dialer, DedicatedGate(self.policy), QUEUE, dedicated,
                                         inbound, acd_queue=DEDICATED_QUEUE))
        self.blenders.append(self.blender)

    def tick(self, now: float) -> tuple[list[AcdCommand], float]:
        """Offer what the gate allows (or dial the surveys due); the next tick (at the next
        opening outside hours, or the end of a survey call if that comes first)."""
        hours = self.dialer.rules.hours
        if self.mode is Mode.SURVEY:
            self._survey(now)
            nxt = hours.next_open(now + self.tick_seconds)
            return [], min(nxt, self._survey_ends[0][0]) if self._survey_ends else nxt
        assert self.blender is not None
        self.dialer.on_timer(now)
        commands = [c for blender in self.blenders for c in blender.offer(now)]
        self._account(now)
        return commands, hours.next_open(now + self.tick_seconds)

    def _account(self, now: float) -> None:
        """Put the blended pool's idle time since the last tick down to why it got no task."""
        blender = self.blender
        assert blender is not None
        pool = blender.pool()
        if self._seen is not None:
            at, idle, why = self._seen
            span = min(now - at, self.tick_seconds)  # a longer gap: calling hours were closed
            reserve = min(idle, self.policy.reserve)
            self.figures.held["reserve"] += reserve * span
            if idle > reserve:
                self.figures.held[why] += (idle - reserve) * span
        self.figures.pool_seconds += pool.available * self.tick_seconds
        why = blender.gate.refusal(pool, self.acd.waiting_calls(), blender.handle_time()) or "no task due"
        self._seen = (now, pool.idle, why)

    def _survey(self, now: float) -> None:
        """Automated survey calls: end those over, dial those due."""
        ends = self._survey_ends
        while ends and ends[0][0] <= now:
            at, task_id, outcome = heapq.heappop(ends)
            answers = Answers(solved=True, satisfied=True) if outcome is CallOutcome.ANSWERED else None
            self.dialer.ended(task_id, outcome, at, answers)
            if outcome is CallOutcome.ANSWERED:
                self.figures.reached_by_hour[min(int(at // 3600), 23)] += 1
        for dial in self.dialer.on_timer(now):
            if not isinstance(dial, Dial):
                continue
            outcome, seconds = self._draw()
            if outcome is CallOutcome.ANSWERED:
                seconds = self.citizen.ring_seconds + self.citizen.survey_seconds
                if self.rng.random() < self.citizen.survey_breakoff:
                    outcome, seconds = CallOutcome.SILENT, seconds / 2
            self.figures.dials += 1
            self.figures.line_seconds += seconds
            heapq.heappush(ends, (now + seconds, dial.task_id, outcome))

    def _draw(self) -> tuple[CallOutcome, float]:
        """The citizen's side of one dial: the outcome and the seconds it takes."""
        c = self.citizen
        draw = self.rng.random()
        if draw < c.reached:
            sigma2 = np.log1p((c.talk_sd / c.talk_mean) ** 2)
            return CallOutcome.ANSWERED, c.ring_seconds + float(
                self.rng.lognormal(np.log(c.talk_mean) - sigma2 / 2, np.sqrt(sigma2)))
        if draw < c.reached + c.silent:
            return CallOutcome.SILENT, c.ring_seconds + 20.0
        if draw < c.reached + c.silent + c.busy:
            return CallOutcome.BUSY, 4.0
        if draw < c.reached + c.silent + c.busy + c.failed:
            return CallOutcome.FAILED, 2.0
        return CallOutcome.NO_ANSWER, c.no_answer_seconds

    def _owner(self, call_id: object) -> Blender | None:
        return next((b for b in self.blenders if b.task_of(call_id) is not None), None)

    def talk(self, call_id: str, now: float) -> float:
        """The agent answered: the engine dials the citizen; seconds the agent is kept."""
        blender = self._owner(call_id)
        assert blender is not None
        task = blender.in_acd[call_id]
        self.dialer.dial(task.task_id, now)
        if task.state is not State.DIALLING:
            return 0.0  # calling hours closed while the seat rang: back in line
        outcome, seconds = self._draw()
        self._drawn[call_id] = outcome
        self.figures.dials += 1
        self.figures.agent_seconds += seconds
        if blender is not self.blender:
            self.figures.dedicated_seconds += seconds
        return seconds

    def finished(self, record: CallRecord, now: float) -> None:
        """The ACD closed the outbound call: the dialer learns how the attempt went."""
        call_id = str(record.call_id)
        blender = self._owner(call_id)
        if blender is None:
            return  # withdrawn after a missed offer
        task = blender.finished(call_id)
        outcome = self._drawn.pop(call_id, None)
        if outcome is None:
            return
        answers = Answers(solved=True, satisfied=True) if outcome is CallOutcome.ANSWERED else None
        self.dialer.ended(task.task_id, outcome, now, answers)
        if outcome is CallOutcome.ANSWERED:
            self.figures.reached_by_hour[min(int(now // 3600), 23)] += 1

    def withdraw(self, call_id: str, now: float) -> list[AcdCommand]:
        """An offer of an outbound task rang out: the task leaves the ACD."""
        blender = self._owner(call_id)
        return [] if blender is None else blender.withdraw(call_id, now)

    def close(self) -> CampaignFigures:
        """The figures at the end of the day."""
        f = self.figures
        for task in self.dialer.tasks.values():
            f.reached += task.state is State.DONE
            f.not_reached += task.state is State.EXHAUSTED
            f.expired += task.state is State.EXPIRED
            f.pending += task.state not in (State.DONE, State.EXHAUSTED, State.EXPIRED)
        return f

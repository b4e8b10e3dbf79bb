"""Outbound work blended into a simulated day: an agent campaign through the production ACD,
the outbound dialer and the blending gate (``outbound/``).

The simulator gives the gate a chance every ``tick`` seconds; a task the gate lets through
enters the ACD's outbound queue, rings an idle agent, and once the agent answers the citizen's
side is drawn: reached (a conversation), answered but silent, busy, no answer or failed, each
with its time on the agent. The dialer then applies its retry rules. Simulated time 0 is
midnight: the calling hours are read in UTC on the simulator's clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from acd.commands import CallRecord
from acd.commands import Command as AcdCommand
from acd.engine import ACD
from acd.model import QueueSpec
from agents.model import AgentSpec
from outbound.blending import Blender, BlendGate, BlendPolicy
from outbound.dialer import Dialer
from outbound.hours import CallingHours
from outbound.model import Answers, CallOutcome, Kind, KindRules, Mode, Rules
from outbound.task import State

QUEUE = "outbound-visits"


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
    reached_by_hour: list[int] = field(default_factory=lambda: [0] * 24)


class OutboundWork:
    """One replication's campaign: ``tasks`` return visits, agent calls, blended by the gate."""

    def __init__(self, tasks: int, seed: int, *, policy: BlendPolicy | None = None,
                 citizen: CitizenModel | None = None, requirements: dict[str, int] | None = None,
                 tick: float = 15.0, max_attempts: int = 3, hours: CallingHours | None = None) -> None:
        self.queue = QueueSpec(QUEUE, requirements or {"zh": 1, "general": 1})
        self.rng = np.random.default_rng(seed)
        self.policy = policy or BlendPolicy()
        self.citizen = citizen or CitizenModel()
        self.tick_seconds = tick
        hours = hours or CallingHours(timezone="UTC")
        rules = Rules(hours=hours, kinds={Kind.RETURN_VISIT: KindRules(
            mode=Mode.AGENT, queue=QUEUE, max_attempts=max_attempts)})
        self.dialer = Dialer(rules)
        for i in range(tasks):
            self.dialer.add_visit(f"case-{i}", f"138{i:08d}", "12345", 0.0, not_before=0.0)
        self.figures = CampaignFigures(tasks=tasks)
        self._drawn: dict[str, CallOutcome] = {}
        self.blender: Blender | None = None

    def attach(self, acd: ACD, agents: Sequence[AgentSpec]) -> None:
        """Called by the simulation once its ACD and roster exist."""
        serving = [a for a in agents if self.queue.could_serve(a.skills)]
        inbound = [name for name in acd.queue_names if name != QUEUE]
        wrap_up = sum(a.wrap_up_seconds for a in serving) / len(serving) if serving else 0.0
        self.blender = Blender(acd, self.dialer, BlendGate(self.policy), QUEUE,
                               [a.agent_id for a in serving], inbound, wrap_up=wrap_up)

    def tick(self, now: float) -> tuple[list[AcdCommand], float]:
        """Offer what the gate allows; the next tick (at the next opening outside hours)."""
        assert self.blender is not None
        self.dialer.on_timer(now)
        commands = self.blender.offer(now)
        return commands, self.dialer.rules.hours.next_open(now + self.tick_seconds)

    def talk(self, call_id: str, now: float) -> float:
        """The agent answered: the engine dials the citizen; seconds the agent is kept."""
        assert self.blender is not None
        task = self.blender.in_acd[call_id]
        self.dialer.dial(task.task_id, now)
        if task.state is not State.DIALLING:
            return 0.0  # calling hours closed while the seat rang: back in line
        c = self.citizen
        draw = self.rng.random()
        if draw < c.reached:
            outcome = CallOutcome.ANSWERED
            sigma2 = np.log1p((c.talk_sd / c.talk_mean) ** 2)
            seconds = c.ring_seconds + float(self.rng.lognormal(np.log(c.talk_mean) - sigma2 / 2,
                                                                  np.sqrt(sigma2)))
        elif draw < c.reached + c.silent:
            outcome, seconds = CallOutcome.SILENT, c.ring_seconds + 20.0
        elif draw < c.reached + c.silent + c.busy:
            outcome, seconds = CallOutcome.BUSY, 4.0
        elif draw < c.reached + c.silent + c.busy + c.failed:
            outcome, seconds = CallOutcome.FAILED, 2.0
        else:
            outcome, seconds = CallOutcome.NO_ANSWER, c.no_answer_seconds
        self._drawn[call_id] = outcome
        self.figures.dials += 1
        self.figures.agent_seconds += seconds
        return seconds

    def finished(self, record: CallRecord, now: float) -> None:
        """The ACD closed the outbound call: the dialer learns how the attempt went."""
        assert self.blender is not None
        call_id = str(record.call_id)
        if self.blender.task_of(call_id) is None:
            return  # withdrawn after a missed offer
        task = self.blender.finished(call_id)
        outcome = self._drawn.pop(call_id, None)
        if outcome is None:
            return
        answers = Answers(solved=True, satisfied=True) if outcome is CallOutcome.ANSWERED else None
        self.dialer.ended(task.task_id, outcome, now, answers)
        if outcome is CallOutcome.ANSWERED:
            self.figures.reached_by_hour[min(int(now // 3600), 23)] += 1

    def withdraw(self, call_id: str, now: float) -> list[AcdCommand]:
        """An offer of an outbound task rang out: the task leaves the ACD."""
        assert self.blender is not None
        if self.blender.task_of(call_id) is None:
            return []
        return self.blender.withdraw(call_id, now)

    def close(self) -> CampaignFigures:
        """The figures at the end of the day."""
        f = self.figures
        for task in self.dialer.tasks.values():
            f.reached += task.state is State.DONE
            f.not_reached += task.state is State.EXHAUSTED
            f.expired += task.state is State.EXPIRED
            f.pending += task.state not in (State.DONE, State.EXHAUSTED, State.EXPIRED)
        return f

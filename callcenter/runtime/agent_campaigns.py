"""Agents' outbound calls in the running engine: return visits in ``preview`` or ``progressive``
mode (see ``callcenter.config.outbound_section``).

Every ``tick_seconds`` the blending gate (``outbound.blending.Blender``, the simulator's own)
may put due tasks in the ACD's outbound queue, each needing the skills of its line and
language; the ACD offers it to such an agent at once (never while an inbound call waits) and
the telephony rings the seat, then dials the citizen (the embedded engine's ``AgentCalls``, or
over Asterisk ``asterisk_engine.agent_calls.AsteriskAgentCalls``). An offer that
rings out, is skipped or declined takes the task out of the ACD and back in line, no attempt
spent. A task whose number is refused when its call is placed (the numbering plan no longer
accepts it) leaves the ACD at once and ends as an invalid number, one whose call id a call still
goes by ends as failed (that reason); the other tasks go on. The
citizen's busy, no answer or failure goes to the dialer's retry rules; once they
answered, the agent records the result on the desk (only that agent): it goes through the
survey's path (``CampaignRunner.on_result``, the case workflow's ``VisitResult``). A result not
recorded within ``result_seconds`` of the call's end (on the driver's clock, checked each tick),
or released by a supervisor, is an answered call without answers: ``SILENT`` as for a survey
call (the case cannot record a reached visit without the satisfied answer), so the dialer's
retry rules decide, a remark on the case says why, and the agent's task card is freed and
tells them so (``notice``) until their next task or they dismiss it.
Runs on the engine's loop; the dialer is the runner's, under its lock (``_dialing``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from acd import commands as acd_cmd
from acd.engine import CallState
from acd.events import CallerHungUp
from callcenter.config.schema import HotlineConfig
from callcenter.runtime.campaigns import CampaignRunner
from callcenter.telephony.agent_calls import CallIdInUse
from callcenter.telephony.outbound_calls import outcome_of
from outbound.blending import Blender, BlendGate, engine_call_id
from outbound.model import Answers, CallOutcome, Command
from outbound.numbers import NumberRefused
from outbound.task import State, Task

log = logging.getLogger(__name__)

LAPSED_KEPT = 1000  # tasks whose result lapsed, remembered to tell a late agent why


class TaskRefused(Exception):
    """The agent may not do this with the task now (not theirs, or not in that step)."""


@dataclass
class Held:
    """A task an agent holds: offered to them, on their call, or waiting for their result."""

    task: Task
    agent_id: str
    call_id: str
    preview: bool
    step: str = "offered"  # offered | ringing | calling | talking | result | ended
    since: float = 0.0  # when the step began (for ``result``: the call's end)


class AgentCampaign:
    """The blending gate's offers of agent tasks, their calls, and the agents' results."""

    def __init__(self, config: HotlineConfig, runner: CampaignRunner, driver: Any, calls: Any) -> None:
        section = runner.section
        self.config, self.runner, self.driver, self.calls = config, runner, driver, calls
        self.tick_seconds = section.agent_calls.tick_seconds
        self.result_seconds = section.agent_calls.result_seconds
        level = config.service_level
        specs = config.agent_specs()
        wrap_up = sum(a.wrap_up_seconds for a in specs) / len(specs) if specs else 0.0
        gate = BlendGate(section.agent_calls.policy(level.target, level.threshold_seconds))
        self.blender = Blender(driver.acd, runner.dialer, gate, section.agent_calls.queue,
                               [a.agent_id for a in specs], config.inbound_queues(),
                               wrap_up=wrap_up, requirements=self.requirements)
        self.held: dict[str, Held] = {}  # by task id
        # tasks whose result went unrecorded, by task id: whose result it was, and why
        self.lapsed: dict[str, tuple[str, str]] = {}
        # what each agent's desk tells them until their next task or they dismiss it: the task
        # whose result was recorded without them, and how (timed_out | released)
        self.notices: dict[str, tuple[str, str]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def requirements(self, line: str, language: str) -> dict[str, int]:
        """The skills of the queue a caller of ``line`` in ``language`` waits in (a task's)."""
        try:
            return dict(self.config.queue(self.config.route_for(line, language)).requirements)
        except KeyError:
            return {language: 1}

    def start(self) -> None:
        self.driver.add_sink(self.sink)
        self._timer = asyncio.get_running_loop().call_later(self.tick_seconds, self._tick)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        try:
            self.lapse(self.driver.clock())
            self.offer()
        except Exception:  # the gate must never stop asking
            log.exception("outbound: offering agent tasks failed")
        self._timer = asyncio.get_running_loop().call_later(self.tick_seconds, self._tick)

    # ---- the gate's offers (on the loop)

    def offer(self) -> None:
        """Put the due tasks the gate allows in the ACD, each with its call object first; none
        while the telephony cannot ring a seat (``calls.available`` False: Asterisk's AMI down)."""
        if not getattr(self.calls, "available", True):
            return
        now = self.driver.clock()
        with self.runner._dialing():
            before = set(self.blender.in_acd)
            commands = self.blender.offer(now)
            placed = [(call_id, task) for call_id, task in self.blender.in_acd.items()
                      if call_id not in before]
        rules = self.runner.dialer.rules
        unplaced: set[str] = set()
        ended: list[Command] = []
        for call_id, task in placed:
            try:
                self.calls.place(call_id, task.task_id, task.number, task.line, task.language,
                                 preview=rules.of(task.kind).preview)
            except (NumberRefused, CallIdInUse) as exc:  # one task never stalls the others' offers
                log.warning("outbound %s: not placed: %s", task.task_id, exc)
                unplaced.add(call_id)
                reason = "invalid number" if isinstance(exc, NumberRefused) else f"failed: {exc}"
                with self.runner._dialing():
                    commands += self._unplace(call_id, now)
                    ended += self.runner.dialer.cancel(task.task_id, now, reason)
        offered = {c.call_id for c in commands if isinstance(c, acd_cmd.OfferCall)}
        # a task withdrawn at once (nobody idle fits it) leaves no call record behind, and one
        # not placed leaves nothing at all: the telephony has no call for it
        self.driver.changed([c for c in commands if _call_of(c) not in unplaced
                             and not (isinstance(c, acd_cmd.CallFinished) and engine_call_id(c.record.call_id)
                                      and c.record.call_id not in offered)])
        self.runner._carry_out(ended)

    def _unplace(self, call_id: str, now: float) -> list[acd_cmd.Command]:
        """The task of ``call_id`` has no call object: it leaves the ACD (and its agent's offer)."""
        self.blender.finished(call_id)
        return self.driver.acd.handle(CallerHungUp(call_id), now)

    def sink(self, commands: Sequence[object]) -> None:
        """The ACD's commands about the tasks: who holds each, offers that ended, records."""
        sweep = False  # an offer of a task began or ended: tasks left without one leave the ACD
        for command in commands:
            if isinstance(command, acd_cmd.OfferCall) and engine_call_id(command.call_id):
                sweep = True
                task = self.blender.task_of(command.call_id)
                if task is not None:
                    self.notices.pop(command.agent_id, None)  # a new task: the old notice is done
                    preview = self.runner.dialer.rules.of(task.kind).preview
                    self.held[task.task_id] = Held(task, command.agent_id, str(command.call_id), preview,
                                                   "offered" if preview else "ringing")
            elif isinstance(command, acd_cmd.CancelOffer) and engine_call_id(command.call_id):
                self._release(str(command.call_id), ("offered", "ringing"))
                sweep = True
            elif isinstance(command, acd_cmd.CallFinished) and engine_call_id(command.record.call_id):
                call_id = str(command.record.call_id)
                self.calls.forget(call_id)
                if self.blender.task_of(call_id) is not None:
                    with self.runner._dialing():
                        self.blender.finished(call_id)
                # over without the citizen: nothing to record; with them: the agent's result
                self._release(call_id, ("offered", "ringing", "calling", "ended"))
                for held in self.held.values():
                    if held.call_id == call_id and held.step == "talking":
                        held.step, held.since = "result", self.driver.clock()
        if sweep:  # only the tasks' offers: inbound calls' never make the ACD be asked
            asyncio.get_running_loop().call_soon(self._sweep)

    def _release(self, call_id: str, steps: tuple[str, ...]) -> None:
        """Forget who held the task of ``call_id`` while it is at one of ``steps``."""
        for task_id in [t for t, held in self.held.items() if held.call_id == call_id and held.step in steps]:
            del self.held[task_id]

    def _sweep(self) -> None:
        """Tasks the ACD holds without an offer (rang out, declined) leave it: back in line."""
        now = self.driver.clock()
        for call_id in [c for c in self.blender.in_acd if self.driver.acd.call_state(c) is CallState.WAITING]:
            with self.runner._dialing():
                commands = self.blender.withdraw(call_id, now)
            self.driver.changed(commands)

    # ---- the task's call (from the telephony, on the loop)

    def may_dial(self, task_id: str) -> bool:
        """The seat answered: the citizen is dialled if calling hours still allow."""
        with self.runner._dialing():
            self.runner.dialer.dial(task_id, self.driver.clock())
            dialled = self.runner.dialer.tasks[task_id].state is State.DIALLING
        held = self.held.get(task_id)
        if held is not None:
            held.step = "calling" if dialled else "ended"
        return dialled

    def on_status(self, task_id: str, status: int) -> None:
        held = self.held.get(task_id)
        if 200 <= status < 300:
            with self.runner._dialing():
                self.runner.dialer.answered(task_id, self.driver.clock())
            if held is not None:
                held.step = "talking"
            return
        self.held.pop(task_id, None)
        self.runner.on_result(task_id, outcome_of(status), None)

    # ---- the agent's desk (on the loop)

    def holding(self, agent_id: str) -> Held | None:
        """The task ``agent_id`` holds now, if any (the newest)."""
        found = [held for held in self.held.values() if held.agent_id == agent_id]
        return found[-1] if found else None

    def _held(self, agent_id: str, task_id: str, *steps: str) -> Held:
        held = self.held.get(task_id)
        lapsed = self.lapsed.get(task_id) if held is None else None
        if lapsed is not None and lapsed[0] == agent_id:  # only its agent learns why
            raise TaskRefused(f"task {task_id}: {lapsed[1]}")
        if held is None or held.agent_id != agent_id:
            raise TaskRefused(f"task {task_id[:40]}: not yours")
        if held.step not in steps:
            raise TaskRefused(f"task {task_id}: {held.step}, not {' or '.join(steps)}")
        return held

    def call(self, agent_id: str, task_id: str) -> None:
        """A preview's agent starts the call: their seat rings, then the citizen is dialled."""
        held = self._held(agent_id, task_id, "offered")
        self.calls.start(held.call_id, agent_id)
        held.step = "ringing"

    def skip(self, agent_id: str, task_id: str) -> None:
        """The agent lets the previewed task go: back in line for later, no attempt spent."""
        held = self._held(agent_id, task_id, "offered")
        del self.held[task_id]
        with self.runner._dialing():
            commands = self.blender.withdraw(held.call_id, self.driver.clock())
        self.driver.changed(commands)

    def record(self, agent_id: str, task_id: str, answers: Answers, remark: str = "") -> None:
        """The agent's entry once the citizen was reached: on the case like a survey's."""
        self._held(agent_id, task_id, "talking", "result")
        del self.held[task_id]
        if remark:
            self.runner.notes[task_id] = remark
        self.runner.on_result(task_id, CallOutcome.ANSWERED, answers)


    # ---- results never recorded (on the loop)

    def lapse(self, now: float) -> None:
        """Results not recorded within ``result_seconds`` of the call's end: without answers."""
        for held in [h for h in self.held.values() if h.step == "result"
                     and now - h.since >= self.result_seconds]:
            self._without_answers(held, f"no result from agent {held.agent_id} within "
                                        f"{self.result_seconds:g} s", "timed_out")

    def release(self, agent_id: str, by: str) -> str:
        """A supervisor (``by``) frees ``agent_id`` of the task whose result they did not
        record; its id. ``TaskRefused`` if the agent holds none waiting for a result."""
        held = next((h for h in self.held.values() if h.agent_id == agent_id and h.step == "result"), None)
        if held is None:
            raise TaskRefused(f"agent {agent_id[:32]}: holds no task waiting for a result")
        self._without_answers(held, f"released by supervisor {by}", "released")
        return held.task.task_id

    def notice(self, agent_id: str) -> tuple[str, str, str] | None:
        """What ``agent_id``'s desk tells them of a task recorded without their result: its id,
        how (``timed_out`` or ``released``) and why; None once dismissed or a new task came."""
        notice = self.notices.get(agent_id)
        if notice is None:
            return None
        task_id, how = notice
        return task_id, how, self.lapsed.get(task_id, (agent_id, ""))[1]

    def dismiss(self, agent_id: str, task_id: str) -> None:
        """The agent has read the notice of ``task_id``."""
        if self.notices.get(agent_id, ("", ""))[0] == task_id:
            del self.notices[agent_id]

    def _without_answers(self, held: Held, why: str, how: str) -> None:
        task_id = held.task.task_id
        del self.held[task_id]
        self.lapsed[task_id] = (held.agent_id, why)
        self.notices[held.agent_id] = (task_id, how)
        if len(self.lapsed) > LAPSED_KEPT:
            del self.lapsed[next(iter(self.lapsed))]  # the oldest: its agent has long moved on
        log.warning("outbound %s: %s", task_id, why)
        if held.task.case_id:
            self.runner._later(self.runner._remark, held.task.case_id,
                               f"agent call {task_id}: the citizen was on the line, {why}: not reached")
        self.runner.on_result(task_id, CallOutcome.SILENT, None)


def _call_of(command: object) -> object:
    """The ACD call a command is about, if any."""
    if isinstance(command, acd_cmd.CallFinished):
        return command.record.call_id
    return getattr(command, "call_id", None)



MayDial = Callable[[str], bool]
OnStatus = Callable[[str, int], None]


def start_agent_tasks(engine: Any, runner: CampaignRunner,
                      calls_of: Callable[[MayDial, OnStatus], Any]) -> AgentCampaign | None:
    """Agents' outbound calls through the telephony's ``calls_of(may_dial, on_status)`` (the
    embedded engine's ``AgentCalls``, or Asterisk's); None when no kind is dialled by agents."""
    if runner.section.agent_queue() is None:
        return None
    campaign: AgentCampaign
    calls = calls_of(lambda task_id: campaign.may_dial(task_id),
                     lambda task_id, status: campaign.on_status(task_id, status))
    campaign = AgentCampaign(engine.config, runner, engine.driver, calls)
    campaign.start()
    engine.agent_tasks = campaign
    return campaign

"""The campaign runner: the outbound dialer (``outbound.dialer``) inside the running engine.

Return visits come from the case workflow (its ``ScheduleReturnVisit`` commands, to the number
on the case); the dialer's deadlines are driven by the engine's ``DeadlineTimer``; survey calls
go out through ``OutboundCalls``; each task's end is recorded on its case through the workflow
(``VisitResult``: satisfied closes, dissatisfied re-handles and supervises, unreached counts a
visit attempt). A visit that cannot be dialled (no phone number, do-not-call) is remarked on
the case. Missed calls come from the ACD's records (abandoned, or overflowed to a message) and
from calls answered 503 at the live-call ceiling, with the caller's own number
(P-Asserted-Identity or From, a mainland phone number, believed from the carrier's trusted peers
only), and are called back from the line they called. The dialer is pure and in memory: one
lock guards it, commands run on the loop; the callbacks (which no case holds) are stored at each
change and taken up again at start."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from acd.commands import CallFinished
from callcenter.casework.service import CaseService
from callcenter.casework.store import CaseQuery
from callcenter.config.outbound_section import OutboundSection
from callcenter.config.schema import HotlineConfig
from callcenter.runtime.campaign_store import TaskStore
from callcenter.runtime.deadline_timer import DeadlineTimer
from callcenter.sip.message import SIPRequest
from callcenter.telephony.outbound_calls import OutboundCalls
from callcenter.telephony.passwords import load_passwords
from cases import commands as case_cmd
from cases.case import Case
from cases.model import DeadlineKind
from outbound.dialer import Dialer
from outbound.model import Answers, CallOutcome, Command, Dial, Kind, Mode, TaskEnded
from outbound.task import FINAL

if TYPE_CHECKING:
    from callcenter.asterisk_engine.visits import AsteriskVisits

log = logging.getLogger(__name__)


def gateway_credentials(section: OutboundSection, secrets_file: Path | str | None) -> tuple[str, str] | None:
    """(username, password) for the trunk: the password from ``secret_env``, else the secrets
    file's ``secret_key`` line; None without a username. ``ValueError`` if it has none."""
    if section.username is None:
        return None
    password = os.environ.get(section.secret_env)
    if not password and secrets_file is not None:
        password = load_passwords(secrets_file).get(section.secret_key)
    if not password:
        raise ValueError(f"outbound.username: no password in ${section.secret_env} or the secrets "
                         f"file's '{section.secret_key} = ...' line")
    return section.username, password


class CampaignRunner:
    """Feeds the dialer from the cases and carries out its commands on the running loop."""

    def __init__(self, config: HotlineConfig, section: OutboundSection, service: CaseService,
                 clock: Callable[[], float], loop: asyncio.AbstractEventLoop) -> None:
        self.section = section
        self.service = service
        self.clock = clock
        self.loop = loop
        self.dialer = Dialer(section.rules(config.center.timezone), track_changes=True)
        self.caller_id = section.caller_id or config.lines[0].number
        self.lines = frozenset(line.number for line in config.lines)
        self.lock = threading.Lock()
        self.store = TaskStore(service.store)  # the callbacks no case holds
        self.calls: OutboundCalls | AsteriskVisits | None = None
        self.timer = DeadlineTimer(self._next_deadline, self._fire, clock=clock, loop=loop)
        self.ended: list[TaskEnded] = []  # what became of each task, for the status and tests
        self.own_numbers: list[Callable[[str], str | None]] = []
        """Where the telephony paths find a line's caller's own number by call id (None: none,
        or a call the engine placed)."""
        self.notes: dict[str, str] = {}  # an agent's remark on a task, for its visit result
        self.agent_calls: Any = None  # the agents' outbound calls (``agent_campaigns``), if any

    def start(self, calls: OutboundCalls | AsteriskVisits) -> None:
        self.calls = calls
        self.service.add_sink(self.case_commands)
        restored = self.restore()
        if restored:
            log.info("outbound: %d missed-call callbacks taken up again", restored)
        recovered = self.recover()
        if recovered:
            log.info("outbound: %d return visits taken up again from the cases", recovered)
        self.timer.start()

    def restore(self) -> int:
        """Take up the stored callbacks: those pending are dialled as due, and the numbers
        called back in the period are not called again. Returns how many are pending."""
        now = self.clock()
        tasks = self.store.load(now - self.dialer.rules.missed_call_period)
        commands = []
        with self._dialing():
            for task in tasks:
                commands += self.dialer.restore(task, now)
        self._carry_out(commands)
        return sum(task.state not in FINAL for task in tasks)

    @contextmanager
    def _dialing(self) -> Iterator[Dialer]:
        """The dialer, under the lock; the tasks it changed meanwhile are stored."""
        with self.lock:
            yield self.dialer
            self.store.save(self.dialer.changes())

    def recover(self) -> int:
        """The dialer lives in memory: at start, every case waiting for its return visit (replied,
        or a sampled direct answer, with a visit deadline) gets its task again."""
        now, count = self.clock(), 0
        for status in ("replied", "answered"):
            offset = 0
            while True:
                rows = self.service.store.find(CaseQuery(status=status, limit=500, offset=offset))
                for row in rows:
                    case = Case.from_dict(row.state_dict())
                    due = case.deadlines.get(DeadlineKind.VISIT)
                    if due is not None and self._visit(case_cmd.ScheduleReturnVisit(
                            case.case_id, case.visit_attempts + 1, now, due)):
                        count += 1
                if len(rows) < 500:
                    break
                offset += 500
        return count

    # ---- missed calls: turned away at overload, or lost in the ACD (on the loop)

    def refused(self, request: SIPRequest, line: str, number: str | None) -> None:
        """A call answered 503 at the live-call ceiling: its caller is called back at ``number``
        (their own, from a trusted peer; None: not called back)."""
        if number is None or not self.section.missed_calls.enabled:
            return
        with self._dialing():
            admission = self.dialer.add_missed(request.call_id, number, line, self.clock())
        log.info("call %s refused at overload: %s", request.call_id, admission.task.task_id
                 if admission.task else f"no callback ({admission.reason})")
        self.timer.poke()


    def acd_commands(self, commands: Sequence[object]) -> None:
        """A caller who gave up waiting or was turned away (overflow to a message) is called
        back; one who got through withdraws a pending callback. The number is the call's own
        caller ID, as the telephony path that carries the call vouches for it."""
        if not self.section.missed_calls.enabled:
            return
        for command in commands:
            if not isinstance(command, CallFinished):
                continue
            record = command.record
            number = next(filter(None, (find(str(record.call_id)) for find in self.own_numbers)), None)
            if number is None:  # none of their own, from a trusted peer; or the engine's own call
                if record.outcome in ("abandoned", "overflowed"):
                    log.info("missed call %s: no callback (no own number from a trusted peer)",
                             record.call_id)
                continue
            now = self.clock()
            with self._dialing():
                if record.outcome == "answered":
                    ended = self.dialer.inbound_answered(number, now)
                elif record.outcome in ("abandoned", "overflowed"):
                    admission = self.dialer.add_missed(str(record.call_id), number, record.line or
                                                       self.caller_id, now, language=record.language or "zh")
                    log.info("missed call %s: %s", record.call_id, admission.task.task_id
                             if admission.task else f"no callback ({admission.reason})")
                    ended = []
                else:
                    continue
            self._carry_out(ended)
            self.timer.poke()

    async def close(self) -> None:
        if self.agent_calls is not None:
            self.agent_calls.close()
        await self.timer.close()
        if self.calls is not None:
            self.calls.close()
        await asyncio.to_thread(self.store.close)

    # ---- from the cases (any thread)

    def case_commands(self, commands: Sequence[object]) -> None:
        for command in commands:
            if isinstance(command, case_cmd.ScheduleReturnVisit):
                self._visit(command)

    def line_of(self, case: Case) -> str:
        """The line a case's visit shows and takes its agents' skills from: the one its call
        came in on, if the config still has it; else the campaign's ``caller_id``."""
        return case.line if case.line in self.lines else self.caller_id

    def _visit(self, command: case_cmd.ScheduleReturnVisit) -> bool:
        row = self.service.store.get(command.case_id)
        if row is None:
            return False
        case = Case.from_dict(row.state_dict())
        kind = Kind.REVISIT if case.rehandles else Kind.RETURN_VISIT
        with self._dialing():
            admission = self.dialer.add_visit(case.case_id, case.caller_number, self.line_of(case),
                                              self.clock(),
                                              not_before=command.not_before, due=command.due,
                                              language=case.language, kind=kind)
        if admission.task is None:
            log.info("case %s: return visit not dialled: %s", case.case_id, admission.reason)
            self._later(self._remark, case.case_id, f"return visit not dialled: {admission.reason}")
            return False
        log.info("case %s: %s %s scheduled", case.case_id, kind.value, admission.task.task_id)
        self.timer.poke()
        return True

    # ---- the dialer's clock (the timer's worker thread)

    def _next_deadline(self) -> float | None:
        with self._dialing():
            return self.dialer.next_deadline()

    def _fire(self, now: float) -> None:
        with self._dialing():
            commands = self.dialer.on_timer(now)
        if commands:
            self.loop.call_soon_threadsafe(self._carry_out, commands)

    # ---- on the loop

    def _carry_out(self, commands: Sequence[Command]) -> None:
        for command in commands:
            if isinstance(command, Dial):
                self._dial(command)
            else:
                self._task_ended(command)

    def _dial(self, command: Dial) -> None:
        assert self.calls is not None
        kinds = {Kind.RETURN_VISIT: self.section.return_visits.flow,
                 Kind.REVISIT: self.section.revisits.flow, Kind.MISSED_CALL: "missed_callback"}
        case_number = "".join(ch for ch in command.case_id or "" if ch.isdigit())
        try:
            self.calls.dial(command, kinds[command.kind],
                            {"line": command.caller_id, "case_number": case_number})
        except Exception:  # a failed dial is a failed attempt, never a stuck task
            log.exception("outbound %s: dialling failed", command.task_id)
            self.on_result(command.task_id, CallOutcome.FAILED, None)

    def on_result(self, task_id: str, outcome: CallOutcome, answers: Answers | None) -> None:
        """How a call of the dialer's went (from ``OutboundCalls``, on the loop)."""
        now = self.clock()
        with self._dialing():
            commands = self.dialer.ended(task_id, outcome, now, answers)
        self._carry_out(commands)
        self.timer.poke()

    def _task_ended(self, ended: TaskEnded) -> None:
        self.ended.append(ended)
        if ended.case_id is None:
            return
        task = self.dialer.tasks.get(ended.task_id)
        how = "agent call" if task is not None and task.mode is Mode.AGENT else "survey call"
        remark = self.notes.pop(ended.task_id, "")
        if ended.reached:
            answers = ended.answers
            assert answers is not None
            score = f", score {answers.score}" if answers.score is not None else ""
            fields = {"reached": True, "solved": answers.solved, "satisfied": answers.satisfied,
                      "note": f"{how} {ended.task_id}{score}" + (f": {remark}" if remark else "")}
        elif ended.reason in ("do-not-call", "cancelled"):
            self._later(self._remark, ended.case_id, f"return visit {ended.task_id}: {ended.reason}")
            return
        else:
            fields = {"reached": False, "note": f"{how} {ended.task_id}: {ended.reason}"}
        self._later(self._record, ended.case_id, fields)

    def _later(self, fn: Callable[..., None], *args: object) -> None:
        """Case changes commit in a worker thread: the loop never waits on the database."""
        self.loop.call_soon_threadsafe(lambda: self.loop.create_task(asyncio.to_thread(fn, *args)))

    def _record(self, case_id: str, fields: dict) -> None:
        try:
            self.service.record_system(case_id, "VisitResult", fields)
        except Exception:
            log.exception("case %s: the visit result could not be recorded", case_id)

    def _remark(self, case_id: str, text: str) -> None:
        try:
            self.service.record_system(case_id, "Remarked", {"text": text})
        except Exception:
            log.exception("case %s: the remark could not be recorded", case_id)


class CallPath(NamedTuple):
    """What one telephony path gives the campaigns: survey calls and callbacks, agents' task
    calls (built from the campaign's ``may_dial`` and ``on_status``), how to find a line
    caller's own number by call id (for missed-call callbacks), and the path's name for the log."""

    calls: OutboundCalls | AsteriskVisits
    agent_calls_of: Callable[[Callable[[str], bool], Callable[[str, int], None]], Any]
    own_number: Callable[[str], str | None]
    over: str


def start_runner(engine: Any, path_of: Callable[[CampaignRunner], CallPath]) -> CampaignRunner | None:
    """The runner for the config's ``outbound:`` section over the telephony path that
    ``path_of(runner)`` builds; None without the section or the cases, or with ``enabled: false``."""
    config: HotlineConfig = engine.config
    section = config.outbound
    if section is None or not section.enabled or getattr(engine, "casework", None) is None:
        return None
    runner = CampaignRunner(config, section, engine.casework.service, engine.driver.clock,
                            asyncio.get_running_loop())
    path = path_of(runner)
    runner.start(path.calls)
    from callcenter.runtime.agent_campaigns import start_agent_tasks  # it builds on the runner

    runner.agent_calls = start_agent_tasks(engine, runner, path.agent_calls_of)
    runner.own_numbers.append(path.own_number)
    engine.driver.add_sink(runner.acd_commands)
    log.info("outbound: return visits %s as %s, calling hours %s", path.over, runner.caller_id,
             section.calling_hours)
    return runner


def start_asterisk_campaigns(engine: Any, asterisk: Any, originate: Callable[..., Awaitable[object]]
                             | None = None) -> CampaignRunner | None:
    """The runner over Asterisk: survey calls and missed-call callbacks by AMI Originate
    (``originate``, default the handle's AMI client) into FastAGI
    (:mod:`callcenter.asterisk_engine.visits`), the missed calls from the ACD's records as on the
    embedded engine; agents' calls ring the seat by AMI first, as callbacks do
    (:mod:`callcenter.asterisk_engine.agent_calls`). None without the section, the cases, or AMI."""
    from callcenter.asterisk_engine.agent_calls import AsteriskAgentCalls
    from callcenter.asterisk_engine.visits import AsteriskVisits

    ami = getattr(asterisk, "ami", None)
    originate = originate or (ami.originate if ami is not None else None)
    if originate is None:
        return None
    flow = asterisk.flow

    def path(runner: CampaignRunner) -> CallPath:
        flow.visits = AsteriskVisits(flow, runner.on_result, originate)
        return CallPath(flow.visits, lambda may_dial, on_status: AsteriskAgentCalls(
            flow, may_dial, on_status), flow.caller_number, "over Asterisk")

    return start_runner(engine, path)


def start_campaigns(engine: Any, telephony: Any,
                    credentials: tuple[str, str] | None = None) -> CampaignRunner | None:
    """The runner over the embedded engine's calls, through the trunk with its digest
    ``credentials``: callers answered 503 at overload are called back too."""
    from callcenter.telephony.agent_calls import AgentCalls

    control = telephony.control

    def path(runner: CampaignRunner) -> CallPath:
        gateway = runner.section.address()
        calls = OutboundCalls(control, gateway, runner.on_result, credentials=credentials)
        control.on_refused = runner.refused
        return CallPath(calls, lambda may_dial, on_status: AgentCalls(
            control, gateway, may_dial, on_status, credentials=credentials), calls.own_number,
            f"through {runner.section.gateway}")

    return start_runner(engine, path)

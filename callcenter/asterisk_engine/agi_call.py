"""One caller's ``calls.Call`` carried out over AGI: the call decides, this translates.

Events go into the call as they happen, from wherever they come (the caller's session, the
answered hook on another channel, the ACD's commands, the call's deadline in the core driver's
``Timers``); what the call says is done at once when it needs no channel (the ACD, the records,
AMI) and otherwise queued for the channel that carries the caller, where one AGI command runs
at a time (:meth:`AsteriskCall.drive`). While a command runs (a prompt, a ``Dial``), later
commands wait; one the call takes back before it ran (``StopPlay``, ``Drop``) is removed. Hold
music is a wish (``StartMoh`` until the next prompt, ``Dial`` or bridge) carried out when the
channel is idle.

Wire mapping: ``Play`` -> ``STREAM FILE`` / ``SAY`` (every key an escape digit with barge-in);
keys while a flow runs -> ``WAIT FOR DIGIT`` up to the call's next deadline; ``Dial`` agent ->
``Dial(PJSIP/<agent>,<ring timeout>,m(<class>)U(callcenter-answered^<call id>))`` on the
caller's channel, or (a caller waiting for a callback) AMI ``Originate`` of the seat;
``Dial`` department -> ``Dial`` of its configured number through the trunk; ``Dial`` callback
-> ``Dial`` of the caller's own number on the seat's channel, whose caller continues into
``callcenter-survey`` (``F()``) when the seat hangs up; ``HangUp`` -> ``HANGUP``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acd import commands as acd_cmd
from acd import events as acd_ev
from callcenter.asterisk import AGICommandFailed, AGISession
from callcenter.asterisk import CallerHungUp as ChannelGone
from callcenter.records.lifecycle import CallClosed, CallOpened
from calls import commands as cc
from calls import events as ce
from calls.call import Call
from calls.leg import IllegalTransition, State
from ivr_flows import commands as ivr_cmd
from ivr_flows import events as ivr_ev
from ivr_flows.handoff import caller_details

from .channel_audio import ChannelAudio
from .dial_ends import ANSWERED, dial_end
from .dialplan import (
    ANSWERED_CONTEXT,
    QUEUE_VARIABLE,
    QUEUED_AT_VARIABLE,
    RESULT_VARIABLE,
    SERVED_VARIABLE,
    SURVEY_CONTEXT,
)

if TYPE_CHECKING:
    from .call_flow import CallFlow
    from .task_dial import TaskDial

log = logging.getLogger(__name__)

_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_]+/[A-Za-z0-9_.@:+-]+")
MOH_STATES = frozenset({State.QUEUED, State.OFFERED})
SESSION_COMMANDS = (cc.Answer, cc.Play, cc.SetLanguage, cc.Dial, cc.HangUp, ivr_cmd.RunQuery)


class CallFlowError(RuntimeError):
    """Something our side cannot carry out (unknown line, an IVR waiting for nothing)."""


@dataclass(frozen=True, slots=True)
class Tick:
    """The call's deadline came (from ``Timers``, or a ``WAIT FOR DIGIT`` that ran out)."""

    now: float


@dataclass(frozen=True, slots=True)
class SetVariable:
    """A channel variable for the dialplan (queue and time queued, survey scores)."""

    name: str
    value: str


class AsteriskCall:
    """One caller: the call object, and the channel carrying it out (see the module)."""

    def __init__(self, flow: CallFlow, call: Call, session: AGISession | None) -> None:
        self.flow = flow
        self.call = call
        self.session: AGISession | None = session  # the caller's channel, while we have it
        self.channel = session.env.channel if session is not None else ""
        self.callerid = session.env.callerid if session is not None else ""
        self.audio: ChannelAudio | None = ChannelAudio(session) if session is not None else None
        self.wire: deque[object] = deque()  # commands for the caller's channel, in order
        self.offers: dict[str, tuple[float, float]] = {}  # agent -> (offered at, ring timeout)
        self.dialling: str | None = None  # the agent whose Dial runs on the caller's channel
        self.agent_channel: str | None = None  # the answering seat's channel (PJSIP/1001-...)
        self.called_back = False  # the seat's channel dials the caller back (``callback/<id>``)
        self.surveyed = False  # the called-back caller reached ``survey/<id>``
        self.moved = False  # the desk takes, or took, the caller's channel away (transfer, three-way
        # call): the desk's calls (:mod:`.desk_calls`) report the conversation's end to the ACD
        self._move_settled = asyncio.Event()  # the desk's Redirect was answered (see move)
        self._move_settled.set()
        self.fallback = False  # a fault: the dialplan's fallback takes the caller, no hang-up
        self.placed = False  # a call the dialer placed (no caller of the line's: never called back)
        self.task: TaskDial | None = None  # an agent's outbound task: the citizen's number, the dialer
        self._moh_wanted = False
        self._moh = False  # Asterisk plays hold music on the channel now
        self._rest: cc.Play | None = None  # what a key stopped of the running prompt
        self._events: deque[object] = deque()
        self._feeding = False
        self._wake = asyncio.Event()

    @property
    def call_id(self) -> str:
        return self.call.call_id

    @property
    def line(self) -> str:
        return self.call.line

    @property
    def in_acd(self) -> bool:
        return self.call.in_acd

    @property
    def answered_by(self) -> str | None:
        """The agent talking to the caller, if any."""
        return self.call.agent if self.call.state is State.TALKING else None

    def _now(self) -> float:
        return self.flow.driver.clock()

    # ---- into the call ---------------------------------------------------------------------

    def feed(self, event: object) -> None:
        """Hand ``event`` to the call and carry out (or queue) what it says; an event fed
        while another is being handled (the ACD answering at once) follows it."""
        self._events.append(event)
        if self._feeding:
            return
        self._feeding = True
        try:
            while self._events:
                self._handle(self._events.popleft())
        finally:
            self._feeding = False
        if self.call.ended:
            self.flow.forget(self)
        else:
            self.flow.driver.timers.set(("agi-call", self.call_id), self.call.next_deadline(),
                                        lambda now: self.feed(Tick(now)))
        self._wake.set()

    def _handle(self, event: object) -> None:
        call, now = self.call, self._now()
        try:
            if isinstance(event, Tick):
                commands = call.on_timer(max(now, event.now))  # never before its time
            else:
                if call.ended:
                    return
                commands = call.handle(event, now)  # type: ignore[arg-type]
        except IllegalTransition as exc:
            log.info("%s", exc)  # a late event racing the call's own decision
            return
        except Exception:  # noqa: BLE001 - a fault loses the call, never the engine
            log.exception("call %s failed on %s; handing it to the dialplan fallback", self.call_id, event)
            self.fallback = True
            commands = [] if call.ended else call.handle(ce.Shutdown(), now)
        for command in commands:
            log.debug("%s %s: %s", self.call_id, call.state.value, command)
            self._command(command, now)

    def _command(self, command: object, now: float) -> None:
        match command:
            case cc.ToAcd(event=event):
                self._to_acd(event, now)
            case cc.Record(entry=entry):
                self._record(entry)
            case cc.StartMoh():
                self._moh_wanted = True
                self.wire.append(command)
            case cc.Play():
                self._moh_wanted = False
                self.wire.append(command)
            case cc.Bridge() | cc.Conference():
                self._moh_wanted = False
            case cc.StopPlay(play_id=play_id):
                self._unqueue(lambda c: isinstance(c, cc.Play) and c.play_id == play_id)
                if self._rest is not None and self._rest.play_id == play_id:
                    self._rest = None
            case cc.Drop(kind=kind, target=target):
                self._unqueue(lambda c: isinstance(c, cc.Dial) and (c.kind, c.target) == (kind, target))
            case cc.Dial(kind=cc.AGENT, target=agent) if not self.call.caller_present:
                self.flow.callbacks.spawn(self._ring_for_callback(agent))
            case _ if isinstance(command, SESSION_COMMANDS):
                self.wire.append(command)
            case _:
                pass  # Collect: keys are read whenever a flow runs; TransferResult: desk calls

    def _unqueue(self, match: object) -> None:
        self.wire = deque(c for c in self.wire if not match(c))  # type: ignore[operator]

    def _to_acd(self, event: acd_ev.Event, now: float) -> None:
        driver = self.flow.driver
        if isinstance(event, acd_ev.CallArrived):
            if self.call.ivr is not None:
                driver.publish([caller_details(self.call.ivr, self.callerid)])  # the screen pop
            # What a restarted engine adopts the call by, should this one die during it.
            self.wire.append(SetVariable(QUEUE_VARIABLE, event.queue))
            self.wire.append(SetVariable(QUEUED_AT_VARIABLE, f"{now:.3f}"))
        if driver.try_submit(event):
            return
        if isinstance(event, acd_ev.CallArrived):
            self.fallback = True  # the dialplan's plain queue takes the caller
        self.feed(ce.AcdRefused(event))

    def _record(self, entry: cc.Opened | cc.Closed | cc.Score) -> None:
        call = self.call
        match entry:
            case cc.Opened():
                self.flow.driver.publish([CallOpened(call.call_id, entry.line, entry.at, entry.language)])
            case cc.Closed():
                self.flow.driver.publish([CallClosed(call.call_id, entry.line, entry.outcome,
                                                     entry.arrived_at, entry.at, entry.language,
                                                     entry.transferred_to)])
            case cc.Score(name=name, score=score):
                self.wire.append(SetVariable(f"CALLCENTER_SCORE_{name.upper()}", str(score)))
                if name == "satisfaction" and self.flow.on_score is not None:
                    try:
                        self.flow.on_score(call.call_id, score, entry.at)
                    except Exception:  # noqa: BLE001 - a records problem must not cut the caller off
                        log.exception("could not store the survey score of %s", call.call_id)

    # ---- the desk moving the caller's channel -----------------------------------------------

    def move(self) -> None:
        """The desk redirects the caller's channel (transfer, three-way call). Until it says how
        that went (:meth:`moved_to`), the end of the seat's Dial or of the channel is held back:
        it is the move's doing if the Redirect succeeds, else the agent's or caller's hang-up."""
        self.moved = True
        self._move_settled.clear()

    def moved_to(self, done: bool) -> None:
        """The Redirect succeeded (``done``: the caller is the desk's now) or failed (ours again)."""
        self.moved = done
        self._move_settled.set()

    async def _settled(self) -> None:
        await self._move_settled.wait()

    # ---- the caller's channel --------------------------------------------------------------

    async def drive(self, session: AGISession) -> None:
        """Carry out the call's commands on the caller's channel ``session`` until the call
        ends or leaves it (a callback accepted, the desk moved it). The caller hanging up is
        the call's ``CallerGone``; a fault hands the caller to the dialplan's fallback."""
        self.session, self.audio = session, ChannelAudio(session)
        try:
            while not self._released():
                if self.wire:
                    await self._carry_out(self.wire.popleft())
                elif not self.call.ended:
                    await self._idle()
        except ChannelGone:
            await self._settled()  # redirected away, or hung up while the desk tried
            if not self.moved and not self.call.ended and self.call.caller_present:
                self.feed(ce.CallerGone("caller hung up"))
            raise
        except BaseException:
            if not self.call.ended and not self.moved:
                self.fallback = True
                self.feed(ce.Shutdown())
            raise
        finally:
            self.session = None
            self.wire.clear()
            if self.moved:
                self.flow.forget(self)

    def _released(self) -> bool:
        if self.moved or self.session is None:
            return True
        call = self.call
        return not self.wire and (call.ended or not call.caller_present)

    async def _idle(self) -> None:
        """Nothing to do on the channel: hold music if wished, then keys (a flow runs) or the
        next thing the call says."""
        session = self.session
        assert session is not None
        call = self.call
        await self._start_moh()
        self._wake.clear()
        if self.wire or call.ended:
            return
        if call.run is not None:
            deadline = call.next_deadline()
            if deadline is None:
                raise CallFlowError(f"call {self.call_id}: the flow waits for nothing")
            await self._stop_moh()
            timeout_ms = max(1, math.ceil((deadline - self._now()) * 1000))
            digit = await session.wait_for_digit(timeout_ms)
            # no key: Asterisk waited the full time (the test's fake channel does not)
            self.feed(ce.Digit(digit) if digit is not None else Tick(deadline))
            return
        wake = asyncio.ensure_future(self._wake.wait())
        gone = asyncio.ensure_future(session.wait_for_hangup())
        try:
            await asyncio.wait({wake, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
            gone.cancel()
        if session.hangup_received and not self.moved:
            raise ChannelGone("caller hung up while waiting")

    async def _start_moh(self) -> None:
        """Hold music, if the call wants it and still holds the caller (not after a Dial that
        ended in a conversation, say)."""
        call = self.call
        if self._moh_wanted and not self._moh and call.state in MOH_STATES and call.run is None \
                and self.session is not None:
            await self.session.exec("StartMusicOnHold", self.flow.moh_class)
            self._moh = True

    async def _stop_moh(self) -> None:
        if self._moh and self.session is not None:
            self._moh = False
            await self.session.exec("StopMusicOnHold")

    async def _carry_out(self, command: object) -> None:
        session = self.session
        assert session is not None
        match command:
            case cc.Answer():
                await session.answer()
            case cc.StartMoh():
                await self._start_moh()
            case cc.Play():
                await self._play(command)
            case cc.SetLanguage(language=language):
                await self.audio.set_language(language)
            case SetVariable(name=name, value=value):
                await session.set_variable(name, value)
            case ivr_cmd.RunQuery():
                await self._query(command)
            case cc.Dial(kind=cc.AGENT, target=agent):
                await self._ring(agent)
            case cc.Dial(kind=cc.DEPARTMENT, target=department):
                await self._dial_department(department)
            case cc.HangUp(cause=cause):
                if not self.fallback and not session.hangup_sent:
                    log.info("hanging up %s: %s", self.call_id, cause)
                    await session.hangup()
            case _:
                log.warning("%s cannot be carried out on the caller's channel of %s", command, self.call_id)

    async def _play(self, play: cc.Play) -> None:
        await self._stop_moh()
        heard = await self.audio.play(ivr_cmd.PlayPrompts(play.play_id, play.items, play.barge_in))
        if isinstance(heard, ivr_ev.DigitPressed):
            unplayed = self.audio.unplayed
            self._rest = cc.Play(play.play_id, unplayed.items, play.barge_in) if unplayed else None
            self.feed(ce.Digit(heard.digit))
            rest, self._rest = self._rest, None
            if rest is not None and not self.call.ended:
                self.wire.append(rest)  # the flow still waits for it (a '#' ending an entry)
            return
        self.feed(ce.PlayDone(play.play_id))

    async def _query(self, command: ivr_cmd.RunQuery) -> None:
        """A plug-in query, off the event loop (it may read a database)."""
        plugins = self.flow.plugins
        if plugins is None:
            answer = ivr_ev.QueryAnswered(command.query_id, "error")
        else:
            answer = await asyncio.to_thread(plugins.answer, command)
        self.feed(answer)

    async def _ring(self, agent: str) -> None:
        """Dial the offered seat on the caller's channel; the answered hook (another session)
        tells the call; when Dial returns the conversation, or the attempt, is over."""
        session = self.session
        assert session is not None
        if agent not in self.flow.agents:
            log.warning("cannot ring %s for %s; the ring timer will move on", agent, self.call_id)
            return
        offered_at, ring_timeout = self.offers.pop(agent, (self._now(), self.flow.ring_timeout))
        # Dial (whole seconds) gives up about when the ACD does; a later answer is refused anyway.
        timeout = max(1, math.floor(ring_timeout - (self._now() - offered_at) + 0.25))
        await self._stop_moh()
        self.dialling = agent
        try:
            await session.exec("Dial", f"PJSIP/{agent},{timeout},"
                                       f"m({self.flow.moh_class})U({ANSWERED_CONTEXT}^{self.call_id})")
        finally:
            self.dialling = None
        await self._settled()  # a hang-up racing the desk's Redirect: the Redirect's answer decides
        if self.moved:
            return
        status = await session.get_variable("DIALSTATUS") or ""
        end = dial_end(status)
        call = self.call
        ours = call.agent == agent
        if ours and call.state is State.OFFERED and end is ANSWERED:
            log.warning("no answered hook ran for %s on %s: check the dialplan", agent, self.call_id)
            self.feed(ce.DialAnswered(cc.AGENT, agent))
        if ours and call.state is State.TALKING:
            self.feed(ce.PartyGone(cc.AGENT, agent))  # the caller is still here: the agent hung up
        elif ours and end.refused:  # the seat cannot take it now (a no answer is the ACD's timer)
            self.feed(ce.DialFailed(cc.AGENT, agent, end.status, status))
        else:
            log.info("dial %s for %s: %s", agent, self.call_id, status or "no status")
        await self._start_moh()  # still waiting: hold music until the next seat rings

    async def _dial_department(self, department: str) -> None:
        """The IVR's transfer: the department's configured number through the trunk."""
        session = self.session
        assert session is not None
        number = self.flow.config.department(department).number
        await self._stop_moh()
        await session.set_variable(RESULT_VARIABLE, "transferred")
        await session.exec("Dial", f"PJSIP/{number}@{self.flow.trunk},{self.flow.transfer_timeout},"
                                   f"U({ANSWERED_CONTEXT}^{self.call_id})")
        status = await session.get_variable("DIALSTATUS") or ""
        end = dial_end(status)
        if self.call.state is State.TRANSFERRING and end is ANSWERED:
            self.feed(ce.DialAnswered(cc.DEPARTMENT, department))  # no hook ran
        if self.call.state is State.TRANSFERRED:
            self.feed(ce.PartyGone(cc.DEPARTMENT, department))
        else:
            self.feed(ce.DialFailed(cc.DEPARTMENT, department, end.status, status or "no status"))

    # ---- other channels --------------------------------------------------------------------

    async def answered(self, session: AGISession, agent: str | None) -> bool:
        """The answered hook (``U()``) on the channel our Dial reached: True if the call
        takes the answer (Asterisk then bridges), False to refuse it."""
        call = self.call
        match call.state:
            case State.OFFERED if agent is not None and self.dialling == agent:
                self.feed(ce.DialAnswered(cc.AGENT, agent))
                if call.state is not State.TALKING or call.agent != agent:
                    return False
                self.agent_channel = session.env.channel
                log.info("agent %s answered %s", agent, self.call_id)
                await self._mark_served(session, agent)
                return True
            case State.TRANSFERRING if call.department is not None and call.transferor is None:
                self.feed(ce.DialAnswered(cc.DEPARTMENT, call.department[0]))
                return call.state is State.TRANSFERRED
            case State.DIALLING_BACK:
                self.feed(ce.DialAnswered(cc.CALLBACK, self.call_id))
                if call.state is State.TALKING and self.task is not None:
                    self.task.tell(200)  # the citizen answered the agent's call
                return call.state is State.TALKING
        return False

    async def _mark_served(self, session: AGISession, agent: str) -> None:
        """Tell the dialplan the caller is served (on the caller's channel, from the agent's):
        should the engine die during the conversation, the call then ends with it."""
        if not _CHANNEL_NAME.fullmatch(self.channel):
            log.warning("cannot mark %r as served: unexpected channel name", self.channel)
            return
        try:
            await session.set_variable(f"SHARED({SERVED_VARIABLE},{self.channel})", agent)
        except AGICommandFailed as exc:  # the conversation goes ahead all the same
            log.warning("could not mark %s as served: %s", self.call_id, exc)

    async def _ring_for_callback(self, agent: str) -> None:
        """A caller waiting for a callback is offered: the seat rings by AMI Originate."""
        _, ring_timeout = self.offers.pop(agent, (None, self.flow.ring_timeout))
        # an agent's task shows the line's number, as on the embedded engine (the desk masks the citizen's)
        number = self.call.number if self.task is None else self.line
        assert number is not None
        answered = await self.flow.callbacks.ring(agent, self.call_id, self.line, number, ring_timeout)
        if not answered:
            self.feed(ce.DialFailed(cc.AGENT, agent))

    async def call_back(self, session: AGISession, agent: str | None) -> None:
        """``callback/<call id>`` on the seat's answered channel: call the caller back on it,
        showing the line's number; when the seat hangs up the caller goes on to the survey.
        An agent's task dials the case's number if the dialer still allows (no survey after),
        and tells the dialer how the Dial ended."""
        if agent is not None and self.call.state is State.CALLBACK_OFFERED:
            self.feed(ce.DialAnswered(cc.AGENT, agent))  # never for a seat not rung for a callback
        dial = next((c for c in self.wire if isinstance(c, cc.Dial) and c.kind == cc.CALLBACK), None)
        if dial is None or agent is None or self.call.agent != agent:
            log.warning("callback answer by %s for %s refused", session.env.channel, self.call_id)
            await session.hangup()
            return
        self.wire.remove(dial)
        self.agent_channel = session.env.channel
        self.called_back = True
        task = self.task
        if task is not None and not task.may_dial():  # e.g. calling hours closed while the seat rang
            task.told = True  # the dialer put the task back in line itself: nothing to tell
            self.feed(ce.DialFailed(cc.CALLBACK, self.call_id, 480, "Not Now"))
            await session.hangup()
            return
        survey = self.flow.survey_flow if task is None else None
        then = f"F({SURVEY_CONTEXT}^{self.call_id}^1)" if survey is not None else ""
        await session.set_variable("CALLERID(num)", self.line)
        try:
            await session.exec("Dial", f"PJSIP/{dial.number}@{self.flow.trunk},"
                                       f"{self.flow.callbacks.dial_back_timeout},"
                                       f"U({ANSWERED_CONTEXT}^{self.call_id}){then}")
        except ChannelGone:  # the seat hung up: the caller, if answered, goes on to the survey
            if task is not None:
                task.tell(487)  # not reached unless answered (told already)
            self.feed(ce.PartyGone(cc.AGENT, agent))
            raise
        status = await session.get_variable("DIALSTATUS") or ""
        end = dial_end(status)
        log.info("called %s back for %s: %s", dial.number, self.call_id, status or "no status")
        if self.call.state is State.DIALLING_BACK and end is ANSWERED:
            self.feed(ce.DialAnswered(cc.CALLBACK, self.call_id))  # no hook ran
        if task is not None:
            task.tell(end.status)
        if self.call.state is State.TALKING:
            self.feed(ce.CallerGone("caller hung up"))  # the seat is still on: the caller left
        elif self.call.state is State.DIALLING_BACK:
            self.feed(ce.DialFailed(cc.CALLBACK, self.call_id, end.status, status or "no status"))
        if not session.hangup_sent:
            await session.hangup()

    async def survey(self, session: AGISession) -> None:
        """``survey/<call id>``: the called-back caller, whose seat hung up, rates the call.
        Only a caller the seat's channel called back (whose own session is long over) gets
        there, and only once: any other ``survey/<id>`` (replayed, stray, for a caller still on
        their own channel) is hung up and changes nothing."""
        if not self.called_back or self.surveyed or self.session is not None:
            log.warning("survey for %s on %s refused: not a called-back caller's",
                        self.call_id, session.env.channel)
            await session.hangup()
            return
        self.surveyed = True
        if self.call.state is State.TALKING and self.call.agent is not None:
            self.feed(ce.PartyGone(cc.AGENT, self.call.agent))  # before the seat's session said so
        self.channel = session.env.channel
        await self.drive(session)

    # ---- the ACD's commands ----------------------------------------------------------------

    def from_acd(self, command: acd_cmd.Command) -> None:
        if isinstance(command, acd_cmd.OfferCall):
            self.offers[command.agent_id] = (self._now(), command.ring_timeout)
        self.feed(command)

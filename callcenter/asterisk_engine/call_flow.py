"""The FastAGI handler: a line's IVR flow, the ACD's queue and offers, driven over AGI.

Request paths (``agi://127.0.0.1:4573/<path>``, see the rendered ``extensions.conf``):

* ``<line>``: a caller. The line's flow runs (prompts by ``STREAM FILE callcenter/<key>`` in the
  prompt's language, keys by escape digits and ``WAIT FOR DIGIT``); ``Enqueue`` hands the call
  to the ACD (call id = the channel's uniqueid) and holds it on music on hold; each
  ``OfferCall`` becomes ``Dial(PJSIP/<agent>,<ring timeout>,m(<class>)U(callcenter-answered^<id>))``
  (the caller keeps hearing hold music while the seat rings).
* ``answered/<call id>``: run by that ``U()`` on the agent's channel when it answers, before
  the bridge: the ACD gets ``AgentAnswered`` (a refusal sets ``GOSUB_RESULT=CONTINUE``, which
  hangs the agent up and gives the caller back to us). An accepted answer marks the caller's
  channel served (``SHARED(CALLCENTER_AGENT)``): if the engine dies during the conversation,
  the dialplan ends the call instead of queueing it again. The queue and the time a call was
  queued are kept on its channel too (``CALLCENTER_QUEUE``, ``CALLCENTER_QUEUED_AT``), for a
  restarted engine to adopt it (:mod:`.reconcile`).
* After a conversation the agent ended, the ``survey`` flow (if loaded) asks for a score; the
  ``satisfaction`` score goes to ``on_score(call_id, score)``.
* A caller waiting beyond the queue's limit hears the callback offer (``queue_busy``); one who
  accepts hangs up and keeps their place, and is called back (:mod:`.callbacks`,
  ``callback/<call id>`` on the agent's channel).
* ``feature/<code>``: an agent seat's feature code (``*11`` login ready, ``*12`` logout,
  ``*13`` ready, ``*14`` not ready).

A caller who hangs up is reported to the ACD exactly once, and only once it was queued. A fault
in this module sets ``CALLCENTER_RESULT=error`` and returns, so the dialplan falls back to a
plain Asterisk queue. Transfers only dial department numbers from the config.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from acd import commands as acd_cmd
from acd import events as acd_ev
from callcenter.asterisk import AGICommandFailed, AGISession
from callcenter.asterisk import CallerHungUp as ChannelGone
from callcenter.config import HotlineConfig
from callcenter.core_port import Core
from callcenter.records.lifecycle import LOST, CallClosed, CallOpened, ivr_outcome
from ivr_flows import commands as ivr_cmd
from ivr_flows import events as ivr_ev
from ivr_flows.handoff import call_arrived, caller_details
from ivr_flows.hold_announcement import place_announcement
from ivr_flows.interpreter import Durations, FlowRun
from ivr_flows.loader import FlowSet
from ivr_flows.plugins import PluginRegistry

from .callbacks import AsteriskCallbacks, callback_number
from .channel_audio import ChannelAudio
from .dialplan import (
    ANSWERED_CONTEXT,
    QUEUE_VARIABLE,
    QUEUED_AT_VARIABLE,
    RESULT_VARIABLE,
    SERVED_VARIABLE,
)
from .features import feature_code, seat_of

log = logging.getLogger(__name__)

_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_]+/[A-Za-z0-9_.@:+-]+")
FAILED_DIAL = frozenset({"BUSY", "CHANUNAVAIL", "CONGESTION", "INVALIDARGS"})


class CallFlowError(RuntimeError):
    """Something our side cannot carry out (unknown line, an IVR waiting for nothing)."""


@dataclass
class AsteriskCall:
    """One caller's channel as the engine follows it."""

    call_id: str
    line: str
    session: AGISession
    audio: ChannelAudio
    inbox: asyncio.Queue[acd_cmd.Command] = field(default_factory=asyncio.Queue)
    run: FlowRun | None = None
    language: str | None = None  # the language the call was queued in
    in_acd: bool = False  # the ACD holds the call (from CallArrived until CallFinished)
    hangup_reported: bool = False
    ringing: str | None = None  # agent whose Dial is in progress
    offered_at: dict[str, float] = field(default_factory=dict)  # agent -> when the ACD offered
    answered_by: str | None = None  # agent the ACD accepted as answering
    refused: str | None = None  # agent whose answer the ACD refused (hung up by Asterisk)
    record: acd_cmd.CallRecord | None = None
    scores: dict[str, int] = field(default_factory=dict)
    arrived_at: float = 0.0  # when its record opened
    queued: bool = False  # the ACD has held the call (it closes the record)
    ivr_transfer: str | None = None  # the department the IVR sent the caller to
    number: str | None = None  # the caller's own number, if it may be called back
    callback: bool = False  # the caller accepted a callback: the call keeps its place
    agent_channel: str | None = None  # the answering seat's channel (PJSIP/1001-00000001)
    moved: bool = False  # the desk took the caller out of this session (transfer, three-way
    # call): the desk's calls (:mod:`.desk_calls`) report the conversation's end to the ACD


class CallFlow:
    """The AGI handler (call the instance with a session) and a core sink."""

    def __init__(self, config: HotlineConfig, driver: Core, flows: FlowSet, *,
                 plugins: PluginRegistry | None = None, durations: Durations | None = None,
                 hold_interval: float = 30.0, moh_class: str = "default",
                 trunk: str = "trunk", transfer_timeout: int = 60,
                 survey_flow: str | None = "survey", callback_flow: str | None = "queue_busy",
                 on_score: Callable[[str, int], None] | None = None) -> None:
        self.config = config
        self.driver = driver
        self.flows = flows
        self.plugins = plugins
        self.durations = durations
        self.hold_interval = hold_interval
        self.moh_class = moh_class
        self.trunk = trunk
        self.transfer_timeout = transfer_timeout
        self.survey_flow = survey_flow if survey_flow in flows else None
        self.callback_flow = callback_flow if callback_flow in flows else None
        self.callbacks = AsteriskCallbacks(driver, trunk=trunk)
        self.on_score = on_score
        self.lines = {line.number: line for line in config.lines}
        self.agents = {agent.id for agent in config.agents}
        self.calls: dict[str, AsteriskCall] = {}
        driver.add_sink(self.sink)

    def _now(self) -> float:
        return self.driver.clock()

    def _submit(self, event: acd_ev.Event) -> bool:
        return self.driver.try_submit(event)

    # ---- entry -----------------------------------------------------------------------------

    async def __call__(self, session: AGISession) -> None:
        path = session.env.line
        kind, _, rest = path.partition("/")
        try:
            if kind == "feature":
                await feature_code(session, rest, self.agents, self._submit)
            elif kind == "answered":
                await self._answered(session, rest)
            elif kind == "callback":
                await self.callbacks.answered(session, rest)
            else:
                await self._caller(session, path)
        except ChannelGone:
            raise
        except Exception:
            log.exception("call flow failed on %s (%s); handing it to the dialplan fallback",
                          session.env.channel, path)
            with contextlib.suppress(Exception):
                await session.set_variable(RESULT_VARIABLE, "error")

    # ---- callers ---------------------------------------------------------------------------

    async def _caller(self, session: AGISession, number: str) -> None:
        line = self.lines.get(number)
        if line is None:
            raise CallFlowError(f"no line {number!r} in the config")
        call_id = session.env.uniqueid
        if not call_id or call_id in self.calls:
            raise CallFlowError(f"unusable or duplicate channel uniqueid {call_id!r}")
        call = AsteriskCall(call_id, number, session, ChannelAudio(session),
                            arrived_at=self._now(), number=callback_number(session.env.callerid))
        self.calls[call_id] = call
        self.driver.publish([CallOpened(call_id, number, call.arrived_at)])
        ended_by: BaseException | None = None
        try:
            await session.answer()
            enqueue = await self._ivr(call, line.flow)
            if enqueue is not None:
                await self._queue(call, enqueue)
        except BaseException as exc:
            ended_by = exc
            raise
        finally:
            self._ended(call, ended_by)

    def _ended(self, call: AsteriskCall, ended_by: BaseException | None = None) -> None:
        """Our part of the call is over: tell the IVR, close the record of a call the ACD never
        held (by ``ended_by``: none, the caller hanging up, or a fault or stop that loses
        it), and tell the ACD once if it still holds the call."""
        self.calls.pop(call.call_id, None)
        if call.run is not None and not call.run.finished:
            call.run.handle(ivr_ev.CallerHungUp(), self._now())
        if not call.queued:
            if ended_by is None or isinstance(ended_by, ChannelGone):
                outcome = ivr_outcome(caller_hung_up=ended_by is not None,
                                      transferred_to=call.ivr_transfer)
            else:
                outcome = LOST
            language = call.run.language if call.run is not None else None
            self.driver.publish([CallClosed(call.call_id, call.line, outcome, call.arrived_at,
                                            self._now(), language, call.ivr_transfer)])
        if call.in_acd and not call.hangup_reported and not call.moved:
            call.hangup_reported = True
            self._submit(acd_ev.CallerHungUp(call.call_id))
        while call.callback and not call.inbox.empty():  # an offer that came as they left
            self.callbacks.handle(call.inbox.get_nowait())

    # ---- IVR -------------------------------------------------------------------------------

    async def _ivr(self, call: AsteriskCall, flow: str, language: str | None = None, *,
                   returns: bool = False) -> ivr_cmd.Enqueue | None:
        """Run the flow until it enqueues (returned), transfers or ends the call (None); a flow
        that ``returns`` (the callback offer) gives the caller back to the queue instead."""
        run = call.run = FlowRun(self.flows, flow, language=language, durations=self.durations,
                                 call_id=call.call_id)
        await call.audio.set_language(run.language)
        caller = re.sub(r"[^0-9+]", "", call.session.env.callerid) or None
        commands = run.handle(ivr_ev.CallStarted(line=call.line, caller=caller), self._now())
        while True:
            events: list[ivr_ev.Event] = []
            for command in commands:
                match command:
                    case ivr_cmd.Enqueue():
                        return command
                    case ivr_cmd.Transfer():
                        await self._transfer(call, command)
                        return None
                    case ivr_cmd.ReturnControl() if returns:
                        return None
                    case ivr_cmd.HangUp() | ivr_cmd.ReturnControl():
                        await call.session.hangup()
                        return None
                    case _:
                        event = await self._ivr_command(call, command)
                        if event is not None:
                            events.append(event)
            if run.finished:
                return None
            commands = []
            for event in events:
                commands += run.handle(event, self._now())
            if resumed := call.audio.resumption(run.playing):
                commands.append(resumed)
            if not events:
                commands = await self._wait_for_key(call, run)

    async def _ivr_command(self, call: AsteriskCall, command: ivr_cmd.Command) -> ivr_ev.Event | None:
        match command:
            case ivr_cmd.PlayPrompts():
                return await call.audio.play(command)
            case ivr_cmd.SetLanguage(language=language):
                await call.audio.set_language(language)
            case ivr_cmd.RunQuery():
                if self.plugins is None:
                    return ivr_ev.QueryAnswered(command.query_id, "error")
                return await asyncio.to_thread(self.plugins.answer, command)
            case ivr_cmd.RecordScore(name=name, score=score):
                call.scores[name] = score
                await call.session.set_variable(f"CALLCENTER_SCORE_{name.upper()}", score)
                if name == "satisfaction" and self.on_score is not None:
                    try:
                        self.on_score(call.call_id, score)
                    except Exception:  # a records problem must not cut the caller off
                        log.exception("could not store the survey score of %s", call.call_id)
            case ivr_cmd.ScheduleCallback():
                if self.callbacks.accept(call.call_id, call.line, call.number):
                    call.callback = call.hangup_reported = True  # leaving keeps the place
            case _:
                pass  # StopPlaying: STREAM FILE already stopped; CollectDigits: keys always read
        return None

    async def _wait_for_key(self, call: AsteriskCall, run: FlowRun) -> list[ivr_cmd.Command]:
        deadline = run.next_deadline()
        if deadline is None:
            raise CallFlowError(f"flow waits for nothing at {run.node}")
        timeout_ms = max(1, math.ceil((deadline - self._now()) * 1000))
        digit = await call.session.wait_for_digit(timeout_ms)
        if digit is not None:
            return run.handle(ivr_ev.DigitPressed(digit), self._now())
        return run.on_timer(max(self._now(), deadline))  # Asterisk waited the full time

    async def _transfer(self, call: AsteriskCall, transfer: ivr_cmd.Transfer) -> None:
        """Dial the department's number from the config (never anything the caller keyed)."""
        number = self.config.department(transfer.department_id).number
        call.ivr_transfer = transfer.department_id
        await call.session.set_variable(RESULT_VARIABLE, "transferred")
        await call.session.exec("Dial", f"PJSIP/{number}@{self.trunk},{self.transfer_timeout}")
        await call.session.hangup()

    # ---- queue -----------------------------------------------------------------------------

    async def _queue(self, call: AsteriskCall, enqueue: ivr_cmd.Enqueue) -> None:
        assert call.run is not None
        session = call.session
        call.language = enqueue.language
        await call.audio.set_language(enqueue.language)
        await session.exec("StartMusicOnHold", self.moh_class)
        # What a restarted engine adopts the call by, should this one die during it.
        await session.set_variable(QUEUE_VARIABLE, enqueue.queue)
        await session.set_variable(QUEUED_AT_VARIABLE, f"{self._now():.3f}")
        call.in_acd = call.queued = True  # before submitting: the offer may come back at once
        self.driver.publish([caller_details(call.run, session.env.callerid)])  # for the screen pop
        try:
            self.driver.submit(call_arrived(enqueue, call.run, line=call.line))
        except Exception:
            call.in_acd = call.queued = False
            raise
        while call.in_acd:
            command = await self._next_command(call)
            if command is None:
                await self._announce_place(call)
            elif isinstance(command, acd_cmd.OfferCall):
                await self._ring(call, command)
                if call.moved:
                    return  # the caller's channel left this session for the desk's transfer
            elif isinstance(command, acd_cmd.PlayAnnouncement):
                await self._announce(call, command.prompt)
            elif isinstance(command, acd_cmd.OfferCallback):
                await self._offer_callback(call)
                if call.callback:
                    return  # the caller accepted and the flow hung up: the call keeps its place
            elif isinstance(command, acd_cmd.OverflowToMessage):
                await session.exec("StopMusicOnHold")
                await call.audio.stream(ivr_cmd.Prompt(command.prompt, enqueue.language))
        if call.answered_by is not None and self.survey_flow is not None:
            await self._ivr(call, self.survey_flow, call.language)  # the agent hung up first
        if not session.hangup_sent:
            await session.hangup()

    async def _offer_callback(self, call: AsteriskCall) -> None:
        """All agents stay busy: offer to call the caller back (only to their own number)."""
        if self.callback_flow is None or call.number is None or not self.callbacks.available:
            return
        await call.session.exec("StopMusicOnHold")
        await self._ivr(call, self.callback_flow, call.language, returns=True)
        if not call.callback and not call.session.hangup_sent:
            await call.session.exec("StartMusicOnHold", self.moh_class)

    async def _next_command(self, call: AsteriskCall) -> acd_cmd.Command | None:
        """The ACD's next command for this call; None after ``hold_interval`` without one."""
        if not call.inbox.empty():
            return call.inbox.get_nowait()
        get = asyncio.ensure_future(call.inbox.get())
        gone = asyncio.ensure_future(call.session.wait_for_hangup())
        try:
            done, _ = await asyncio.wait({get, gone}, timeout=self.hold_interval,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not get.done():
                get.cancel()
        if get in done:
            return get.result()
        if gone in done:
            raise ChannelGone("caller hung up while waiting")
        return None

    async def _announce_place(self, call: AsteriskCall) -> None:
        """Every hold interval: please hold, the caller's position and the estimated wait."""
        language = call.language or self.config.default_language
        acd = self.driver.acd
        items = place_announcement(language, acd.queue_position(call.call_id),
                                   acd.estimated_wait(call.call_id))
        await call.session.exec("StopMusicOnHold")
        for item in items:
            if isinstance(item, ivr_cmd.Number):
                await call.audio.say(item)
            else:
                await call.audio.stream(item)
        await call.session.exec("StartMusicOnHold", self.moh_class)

    async def _announce(self, call: AsteriskCall, prompt: str) -> None:
        language = call.language or self.config.default_language
        await call.session.exec("StopMusicOnHold")
        await call.audio.stream(ivr_cmd.Prompt(prompt, language))
        await call.session.exec("StartMusicOnHold", self.moh_class)

    async def _ring(self, call: AsteriskCall, offer: acd_cmd.OfferCall) -> None:
        """Dial the offered seat; the call stays in its place unless a conversation ends it."""
        session = call.session
        agent = offer.agent_id
        if offer.callback or agent not in self.agents:
            log.warning("cannot ring %s for %s; the ring timer will move on", agent, call.call_id)
            return
        waited = self._now() - call.offered_at.pop(agent, self._now())
        # Dial (whole seconds) gives up about when the ACD does; a later answer is refused anyway.
        timeout = max(1, math.floor(offer.ring_timeout - waited + 0.25))
        call.ringing, call.answered_by, call.refused = agent, None, None
        await session.exec("StopMusicOnHold")
        try:
            await session.exec("Dial", f"PJSIP/{agent},{timeout},"
                                       f"m({self.moh_class})U({ANSWERED_CONTEXT}^{call.call_id})")
        finally:
            call.ringing = None
        if call.moved:
            return
        status = await session.get_variable("DIALSTATUS") or ""
        if call.answered_by == agent:
            # The conversation is over and the caller is still here: the agent hung up.
            if call.in_acd:
                self._submit(acd_ev.AgentHungUp(agent))
            return
        unhooked = status == "ANSWER" and call.refused != agent and call.in_acd
        if unhooked and self._submit(acd_ev.AgentAnswered(agent, call.call_id)):
            log.warning("no answered hook ran for %s on %s: check the dialplan", agent, call.call_id)
            self._submit(acd_ev.AgentHungUp(agent))
            return
        if status in FAILED_DIAL and call.in_acd:
            self._submit(acd_ev.AgentDeclined(agent, call.call_id))
        log.info("dial %s for %s: %s", agent, call.call_id, status or "no status")
        await session.exec("StartMusicOnHold", self.moh_class)

    async def _answered(self, session: AGISession, call_id: str) -> None:
        """The agent's channel answered a Dial of ours: the ACD decides if the bridge goes ahead."""
        agent = seat_of(session.env.channel)
        call = self.calls.get(call_id)
        accepted = (call is not None and agent is not None and call.ringing == agent
                    and call.in_acd and self._submit(acd_ev.AgentAnswered(agent, call_id)))
        if accepted:
            assert call is not None and agent is not None
            call.answered_by, call.agent_channel = agent, session.env.channel
            log.info("agent %s answered %s", agent, call_id)
            await self._mark_served(session, call, agent)
        else:
            log.warning("answer by %s for %s refused", session.env.channel, call_id)
            if call is not None:
                call.refused = agent
            await session.set_variable("GOSUB_RESULT", "CONTINUE")

    @staticmethod
    async def _mark_served(session: AGISession, call: AsteriskCall, agent: str) -> None:
        """Tell the dialplan the caller is served (on the caller's channel, from the agent's):
        should the engine die during the conversation, the call then ends with it."""
        channel = call.session.env.channel
        if not _CHANNEL_NAME.fullmatch(channel):
            log.warning("cannot mark %r as served: unexpected channel name", channel)
            return
        try:
            await session.set_variable(f"SHARED({SERVED_VARIABLE},{channel})", agent)
        except AGICommandFailed as exc:  # the conversation goes ahead all the same
            log.warning("could not mark %s as served: %s", call.call_id, exc)

    # ---- ACD commands ----------------------------------------------------------------------

    def sink(self, commands: Sequence[acd_cmd.Command]) -> None:
        """Core sink: route the commands about our calls to their AGI sessions."""
        for command in commands:
            if isinstance(command, acd_cmd.CallFinished):
                call_id = command.record.call_id
            elif isinstance(command, (acd_cmd.AgentStateChanged, CallOpened, CallClosed)):
                continue
            else:
                call_id = command.call_id
            call = self.calls.get(str(call_id))
            if call is None or isinstance(command, acd_cmd.CallFinished):
                self.callbacks.handle(command)  # a caller called back, not on the line
            if call is None:
                continue
            if isinstance(command, acd_cmd.CallFinished):
                call.in_acd = False
                call.record = command.record
            elif isinstance(command, acd_cmd.OfferCall):
                call.offered_at[command.agent_id] = self._now()
            call.inbox.put_nowait(command)

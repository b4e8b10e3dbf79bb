"""One caller's call, sans-IO: the leg's state table, the IVR, the ACD handoff, hold
announcements, callbacks, transfers and the post-call survey.

``handle(event, now)`` and ``on_timer(now)`` return wire-neutral commands (``calls.commands``);
``next_deadline()`` says when ``on_timer`` is due. Events that cannot happen in the leg's state
raise ``IllegalTransition`` and change nothing; ACD commands about a call that has ended are
ignored (the core cannot know yet). Teardown order lives in :meth:`Call._end` only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from acd import commands as acd_cmd
from acd import events as acd_ev
from calls import commands as c
from calls import events as e
from calls.leg import IllegalTransition, Leg, State
from ivr_flows import commands as ivr_cmd
from ivr_flows import events as ivr_ev
from ivr_flows.handoff import call_arrived
from ivr_flows.hold_announcement import place_announcement
from ivr_flows.interpreter import Durations, FlowRun
from ivr_flows.loader import FlowSet

S = State
HOLDING = frozenset({S.QUEUED, S.OFFERED, S.CALLBACK_OFFER})
"""States in which the caller waits in the ACD's queue and hears hold announcements."""
SELF_SERVICE, IVR_ABANDONED, IVR_TRANSFERRED, LOST = (
    "self_service", "ivr_abandoned", "ivr_transferred", "lost")
UNAVAILABLE = "service_unavailable"
AcdCommand = (acd_cmd.OfferCall | acd_cmd.CancelOffer | acd_cmd.OfferCallback
              | acd_cmd.PlayAnnouncement | acd_cmd.OverflowToMessage | acd_cmd.CallFinished)
ACD_COMMANDS = (acd_cmd.OfferCall, acd_cmd.CancelOffer, acd_cmd.OfferCallback,
                acd_cmd.PlayAnnouncement, acd_cmd.OverflowToMessage, acd_cmd.CallFinished)


class QueueView(Protocol):
    """What hold announcements read from the routing core (``acd.engine.ACD`` has both)."""

    def queue_position(self, call_id: Hashable) -> int | None: ...

    def estimated_wait(self, call_id: Hashable) -> float | None: ...


@dataclass(frozen=True)
class CallSettings:
    """What every call of an engine shares: flows, prompt durations, timers, queue view."""

    flows: FlowSet
    durations: Durations | None = None
    hold_interval: float | None = 30.0
    """Seconds of hold music between place-in-queue announcements (None: none)."""
    callback_flow: str | None = "queue_busy"
    survey_flow: str | None = "survey"
    department_ring_timeout: float = 60.0
    dial_back_timeout: float = 30.0
    default_language: str = "zh"
    queue: QueueView | None = None


class Call:
    """One caller: build it when the call reaches ``line``, then feed it ``Arrived``."""

    def __init__(self, call_id: str, line: str, flow: str, settings: CallSettings, *,
                 language: str | None = None, variables: Mapping[str, str] | None = None,
                 recorded: bool = True) -> None:
        self.call_id = call_id
        self.line = line
        self.flow = flow
        self.settings = settings
        self.leg = Leg(call_id)
        self.language = language or settings.flows[flow].language or settings.default_language
        self.variables = dict(variables or {})  # the line's flow starts with these
        self.recorded = recorded  # False: a call with no record of its own (a survey call)
        self.number: str | None = None  # the caller's own number, for a callback
        self.arrived_at: float | None = None
        self.run: FlowRun | None = None  # the flow the caller's keys go to now
        self.ivr: FlowRun | None = None  # the line's flow
        self.in_acd = False  # the ACD holds the call (until its CallFinished)
        self.queued = False  # the ACD has held it: its CallFinished closes the record
        self.acd_done = False  # the ACD was told the call (or its conversation) ended
        self.caller_present = True  # False once a caller who accepted a callback hung up
        self.agent: str | None = None  # the seat ringing or talking
        self.transferor: str | None = None  # the seat whose transfer is under way
        self.three_way = False  # the transfer under way is a three-way call: the seat stays
        self.department: tuple[str, str] | None = None  # (id, number) ringing or bridged
        self.ivr_transfer: str | None = None  # the department the IVR sent the caller to
        self.scores: dict[str, int] = {}
        self.task = False  # an agent's outbound task: the seat first, then the citizen; no survey
        self.preview = False  # ... whose seat rings when the agent starts the call
        self.awaiting_agent = False  # a preview offered: the agent reads the case, may start it
        self.cause = ""  # why the call ended
        self._plays: dict[int, tuple[FlowRun | None, int | str]] = {}
        self._play_seq = 0
        self._playing: int | None = None
        self._moh = False
        self._hold_at: float | None = None
        self._ring_until: float | None = None
        self._dial_back_until: float | None = None

    # ---- public surface -------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self.leg.state

    @property
    def ended(self) -> bool:
        return self.leg.state is S.ENDED

    def next_deadline(self) -> float | None:
        if self.ended:
            return None
        deadlines = [self._ring_until, self._dial_back_until]
        if self.state in HOLDING:
            deadlines.append(self._hold_at)
        if self.run is not None:
            deadlines.append(self.run.next_deadline())
        return min((d for d in deadlines if d is not None), default=None)

    def handle(self, event: e.Event | AcdCommand | ivr_ev.QueryAnswered, now: float) -> list[c.Command]:
        """Apply ``event``; the ``ToAcd`` commands come last, in order."""
        if isinstance(event, ACD_COMMANDS):
            return [] if self.ended else _acd_last(self._acd(event, now))
        if self.ended:
            raise IllegalTransition(f"call {self.call_id}: {type(event).__name__} after the end")
        handler = self._HANDLERS.get(type(event))
        if handler is None:
            raise IllegalTransition(f"call {self.call_id}: unknown event {event!r}")
        return _acd_last(handler(self, event, now))

    def on_timer(self, now: float) -> list[c.Command]:
        out: list[c.Command] = []
        if self.run is not None and _due(self.run.next_deadline(), now):
            out += self._from_run(self.run, self.run.on_timer(now), now)
        if self.state in HOLDING and _due(self._hold_at, now):
            out += self._hold_due(now)
        if not self.ended and _due(self._ring_until, now):
            self._ring_until = None
            assert self.department is not None
            out += [c.Drop(c.DEPARTMENT, self.department[0]),
                    *self._transfer_failed(408, "Request Timeout", now)]
        if not self.ended and _due(self._dial_back_until, now):
            self._dial_back_until = None
            out += self._end(now, "no answer on the callback")
        return _acd_last(out)

    # ---- caller ---------------------------------------------------------------------------

    def _arrived(self, event: e.Arrived, now: float) -> list[c.Command]:
        self.leg.apply("arrive", now)
        self.number = event.number
        run = self.ivr = self.run = self._flow_run(self.flow, self.language, self.variables)
        out: list[c.Command] = [c.Answer()]
        if self.recorded:
            self.arrived_at = now
            out.append(c.Record(c.Opened(self.line, now, self.language)))
        return out + self._from_run(run, run.handle(ivr_ev.CallStarted(self.line, event.caller), now),
                                    now)

    def _task_placed(self, event: e.TaskPlaced, now: float) -> list[c.Command]:
        """The ACD holds the task already (the blending gate put it there)."""
        self.leg.apply("task_placed", now)
        self.number, self.preview, self.task = event.number, event.preview, True
        self.caller_present = False
        self.in_acd = self.queued = True
        return []

    def _preview_call(self, event: e.PreviewCall, now: float) -> list[c.Command]:
        if not self.awaiting_agent or event.agent_id != self.agent or self.state is not S.CALLBACK_OFFERED:
            raise IllegalTransition(f"call {self.call_id}: no preview offered to {event.agent_id}")
        self.awaiting_agent = False
        return [c.Dial(c.AGENT, event.agent_id)]

    def _digit(self, event: e.Digit, now: float) -> list[c.Command]:
        if self.run is None:
            return []  # keys on hold or in a conversation are the caller's business
        return self._from_run(self.run, self.run.handle(ivr_ev.DigitPressed(event.digit), now), now)

    def _answered_query(self, event: ivr_ev.QueryAnswered, now: float) -> list[c.Command]:
        if self.run is None:
            return []
        return self._from_run(self.run, self.run.handle(event, now), now)

    def _play_done(self, event: e.PlayDone, now: float) -> list[c.Command]:
        entry = self._plays.pop(event.play_id, None)
        if entry is None:
            return []  # stopped or replaced
        if self._playing == event.play_id:
            self._playing = None
        run, then = entry
        if run is not None:
            if run is not self.run:
                return []
            return self._from_run(run, run.handle(ivr_ev.PromptFinished(then), now), now)  # type: ignore[arg-type]
        if then == "end":
            return self._end(now, "message played")
        if then == "place" and self.state in HOLDING and self.settings.hold_interval is not None:
            self._hold_at = now + self.settings.hold_interval
        return self._hold_music()

    def _caller_gone(self, event: e.CallerGone, now: float) -> list[c.Command]:
        if self.state is S.CALLBACK_PENDING:
            self.leg.apply("caller_left", now)
            self._caller_left(now)
            return []
        return self._end(now, event.reason, left=event.left)

    def _shutdown(self, event: e.Shutdown, now: float) -> list[c.Command]:
        return self._end(now, "engine stopping", lost=True)

    # ---- flows ----------------------------------------------------------------------------

    def _flow_run(self, flow: str, language: str | None,
                  variables: Mapping[str, str] | None = None) -> FlowRun:
        return FlowRun(self.settings.flows, flow, language=language, variables=variables,
                       durations=self.settings.durations, call_id=self.call_id)

    def _from_run(self, run: FlowRun, commands: Sequence[ivr_cmd.Command], now: float) -> list[c.Command]:
        """Translate a flow's commands; a flow that ends hands the caller on."""
        out: list[c.Command] = []
        for command in commands:
            if self.ended or run is not self.run:
                break
            match command:
                case ivr_cmd.PlayPrompts(play_id=inner, items=items, barge_in=barge_in):
                    out.append(self._play(items, (run, inner), barge_in))
                case ivr_cmd.StopPlaying(play_id=inner):
                    out += self._stop_run_play(run, inner)
                case ivr_cmd.CollectDigits():
                    out.append(c.Collect(command.max_digits, command.first_digit_timeout,
                                         command.terminator, command.min_digits,
                                         command.inter_digit_timeout))
                case ivr_cmd.SetLanguage(language=language):
                    self.language = language
                    out.append(c.SetLanguage(language))
                case ivr_cmd.RunQuery():
                    out.append(command)
                case ivr_cmd.RecordScore(name=name, score=score):
                    self.scores[name] = score
                    out.append(c.Record(c.Score(name, score, now)))
                case ivr_cmd.Enqueue():
                    out += self._enqueue(command, now)
                case ivr_cmd.Transfer(department_id=department, number=number):
                    out += self._ivr_transfer(department, number, now)
                case ivr_cmd.ScheduleCallback():
                    out += self._accept_callback(now)
                case ivr_cmd.HangUp() | ivr_cmd.ReturnControl():
                    out += self._flow_ended(isinstance(command, ivr_cmd.ReturnControl), now)
        return out

    def _flow_ended(self, returned: bool, now: float) -> list[c.Command]:
        """The current flow ended: the callback offer returns to the queue or lets an accepted
        caller go; the line's flow and the survey end the call."""
        state = self.state
        if state is S.CALLBACK_OFFER and returned:
            self.leg.apply("callback_declined", now)
            self.run = None
            self._hold_at = _after(now, self.settings.hold_interval)
            return self._hold_music()
        if state is S.CALLBACK_PENDING:
            self.leg.apply("caller_left", now)
            self._caller_left(now)
            return [c.HangUp("callback accepted")]
        return self._end(now, "survey done" if state is S.SURVEY else "flow ended")

    def _enqueue(self, command: ivr_cmd.Enqueue, now: float) -> list[c.Command]:
        self.leg.apply("enqueue", now)
        assert self.ivr is not None
        self.run = None
        self.language = command.language
        self.in_acd = self.queued = True
        self._hold_at = _after(now, self.settings.hold_interval)
        return [*self._hold_music(), c.ToAcd(call_arrived(command, self.ivr, line=self.line))]

    def _ivr_transfer(self, department: str, number: str, now: float) -> list[c.Command]:
        self.leg.apply("transfer", now)
        self.run = None
        self.ivr_transfer = department
        return [*self._hold_music(), *self._dial_department(department, number, now)]

    # ---- queue ----------------------------------------------------------------------------

    def _acd(self, command: AcdCommand, now: float) -> list[c.Command]:
        match command:
            case acd_cmd.OfferCall(agent_id=agent):
                return self._offered(agent, now)
            case acd_cmd.CancelOffer(agent_id=agent):
                if agent != self.agent or self.state not in (S.OFFERED, S.CALLBACK_OFFERED):
                    return []
                return [c.Drop(c.AGENT, agent), *self._ring_ended(now)]
            case acd_cmd.OfferCallback():
                flow = self.settings.callback_flow
                if self.state is not S.QUEUED or self.number is None or flow is None \
                        or flow not in self.settings.flows:
                    return []  # nobody to call back, or busy with something else
                self.leg.apply("offer_callback", now)
                run = self.run = self._flow_run(flow, self.language)
                return self._from_run(run, run.handle(ivr_ev.CallStarted(self.line), now), now)
            case acd_cmd.PlayAnnouncement(prompt=prompt):
                if self.state is not S.QUEUED:
                    return []
                return [self._play((ivr_cmd.Prompt(prompt, self.language),), (None, "moh"))]
            case acd_cmd.OverflowToMessage(prompt=prompt):
                if not self.caller_present:
                    return []  # CallFinished follows and ends the call
                self.leg.apply("last_message", now)
                out = self._leave_queue_flow(now)
                if self.agent is not None:
                    out.append(c.Drop(c.AGENT, self.agent))
                    self.agent = None
                return out + [self._play((ivr_cmd.Prompt(prompt, self.language),), (None, "end"))]
            case acd_cmd.CallFinished():
                self.in_acd = False
                if not self.caller_present:
                    return self._end(now, "callback closed by the ACD", left=True)
        return []

    def _offered(self, agent: str, now: float) -> list[c.Command]:
        absent = self.state is S.CALLBACK_PENDING and not self.caller_present
        self.leg.apply("offer_absent" if absent else "offer", now)
        out = [] if absent else self._leave_queue_flow(now)
        self.agent = agent
        if absent and self.preview:
            self.awaiting_agent = True  # the seat rings once the agent starts the call
            return out
        return out + [c.Dial(c.AGENT, agent)]

    def _leave_queue_flow(self, now: float) -> list[c.Command]:
        """Stop the callback offer (if it runs): the queue has news for the caller."""
        run, self.run = self.run, None
        if run is None or run.finished:
            return []
        playing = run.playing
        run.handle(ivr_ev.CallerHungUp(), now)
        return self._stop_run_play(run, playing) if playing is not None else []

    def _ring_ended(self, now: float) -> list[c.Command]:
        self.leg.apply("ring_end", now)
        self.agent = None
        self.awaiting_agent = False
        return self._hold_music() if self.caller_present else []

    def _hold_due(self, now: float) -> list[c.Command]:
        """Every hold interval: please hold, callers ahead, the wait (not over other sounds)."""
        self._hold_at = None
        if self.state is not S.QUEUED or self._playing is not None or self.settings.queue is None:
            self._hold_at = _after(now, self.settings.hold_interval)
            return []
        view = self.settings.queue
        items = place_announcement(self.language, view.queue_position(self.call_id),
                                   view.estimated_wait(self.call_id))
        return [self._play(tuple(items), (None, "place"))]

    # ---- callbacks ------------------------------------------------------------------------

    def _accept_callback(self, now: float) -> list[c.Command]:
        if self.state is not S.CALLBACK_OFFER or self.number is None:
            return []
        self.leg.apply("callback_accepted", now)
        return [c.ToAcd(acd_ev.CallbackAccepted(self.call_id))]

    def _caller_left(self, now: float) -> None:
        """An accepted callback's caller hung up: the call keeps its place without them."""
        self.caller_present = False
        self._leave_queue_flow(now)
        self._playing, self._moh = None, False
        self._plays.clear()

    # ---- parties --------------------------------------------------------------------------

    def _dial_answered(self, event: e.DialAnswered, now: float) -> list[c.Command]:
        kind, target = event.kind, event.target
        if kind == c.AGENT and target == self.agent and self.state is S.OFFERED:
            self.leg.apply("agent_answered", now)
            self._playing, self._moh = None, False
            return [c.Bridge(c.AGENT, target), c.ToAcd(acd_ev.AgentAnswered(target, self.call_id))]
        if kind == c.AGENT and target == self.agent and self.state is S.CALLBACK_OFFERED:
            self.leg.apply("agent_answered", now)
            self._dial_back_until = now + self.settings.dial_back_timeout
            assert self.number is not None
            return [c.Dial(c.CALLBACK, self.call_id, self.number),
                    c.ToAcd(acd_ev.AgentAnswered(target, self.call_id))]
        if kind == c.CALLBACK and self.state is S.DIALLING_BACK:
            self.leg.apply("caller_answered", now)
            self._dial_back_until = None
            self.caller_present = True
            assert self.agent is not None
            return [c.Bridge(c.AGENT, self.agent)]
        if kind == c.DEPARTMENT and self.department and target == self.department[0] \
                and self.state is S.TRANSFERRING:
            if self.three_way and self.transferor is not None:
                return self._conference(target, now)
            return self._transfer_answered(target, now)
        return [c.Drop(kind, target)]  # answered after we gave up on it

    def _dial_failed(self, event: e.DialFailed, now: float) -> list[c.Command]:
        kind, target = event.kind, event.target
        if kind == c.AGENT and target == self.agent and self.state in (S.OFFERED, S.CALLBACK_OFFERED):
            out = self._ring_ended(now)
            return out + [c.ToAcd(acd_ev.AgentDeclined(target, self.call_id))]
        if kind == c.CALLBACK and self.state is S.DIALLING_BACK:
            self._dial_back_until = None
            return self._end(now, f"callback failed: {event.status} {event.reason}")
        if kind == c.DEPARTMENT and self.department and target == self.department[0] \
                and self.state is S.TRANSFERRING:
            return self._transfer_failed(event.status, event.reason, now)
        return []  # a party we no longer wait for

    def _party_gone(self, event: e.PartyGone, now: float) -> list[c.Command]:
        kind, target, state = event.kind, event.target, self.state
        if state is S.CONFERENCE:
            return self._left_conference(kind, target, now)
        if kind == c.DEPARTMENT:
            if state is S.TRANSFERRED and self.department and target == self.department[0]:
                self.department = None
                return self._end(now, "department hung up")
            return []
        if kind != c.AGENT or target != self.agent:
            return []
        if state is S.TRANSFERRING and target == self.transferor:
            return self._transferor_left(target, now)
        if state is S.OFFERED or state is S.CALLBACK_OFFERED:
            return self._dial_failed(e.DialFailed(kind, target), now)
        if state is S.DIALLING_BACK:
            return self._end(now, "the agent hung up before the caller answered")
        if state is not S.TALKING:
            return []
        if event.lost and self.in_acd and self.caller_present:
            self.leg.apply("seat_lost", now)  # back to the queue at their place
            self.agent = None
            self._hold_at = _after(now, self.settings.hold_interval)
            return [*self._hold_music(), c.ToAcd(acd_ev.AgentLost(target, "unreachable"))]
        self.leg.apply("agent_hung_up", now)
        self.agent = None
        out = self._acd_conversation_over(target, None)
        survey = self.settings.survey_flow
        if event.lost or self.task or survey is None or survey not in self.settings.flows:
            return out + self._end(now, "agent hung up")
        run = self.run = self._flow_run(survey, self.language)
        return out + self._from_run(run, run.handle(ivr_ev.CallStarted(self.line), now), now)

    def _acd_conversation_over(self, agent: str, department: str | None) -> list[c.Command]:
        """The seat is done with the call: the ACD closes it (and no caller hang-up follows)."""
        if not self.in_acd or self.acd_done:
            return []
        self.acd_done = True
        return [c.ToAcd(acd_ev.AgentHungUp(agent, transferred_to=department))]

    # ---- transfers ------------------------------------------------------------------------

    def _transfer_requested(self, event: e.TransferRequested, now: float) -> list[c.Command]:
        self.leg.target("transfer")
        if event.agent_id != self.agent:
            raise IllegalTransition(f"call {self.call_id}: {event.agent_id} is not its agent")
        self.leg.apply("transfer", now)
        self.transferor = event.agent_id
        return self._dial_department(event.department_id, event.number, now)

    def _three_way_requested(self, event: e.ThreeWayRequested, now: float) -> list[c.Command]:
        self.leg.target("three_way")
        if event.agent_id != self.agent:
            raise IllegalTransition(f"call {self.call_id}: {event.agent_id} is not its agent")
        self.leg.apply("three_way", now)
        self.transferor, self.three_way = event.agent_id, True
        return self._dial_department(event.department_id, event.number, now)

    def _conference(self, department: str, now: float) -> list[c.Command]:
        """The department answered the three-way call: all three talk."""
        self.leg.apply("conference", now)
        self._ring_until = None
        assert self.agent is not None
        return [c.Conference(((c.AGENT, self.agent), (c.DEPARTMENT, department)))]

    def _agent_leaves(self, event: e.AgentLeaves, now: float) -> list[c.Command]:
        self.leg.target("agent_left")
        if event.agent_id != self.agent:
            raise IllegalTransition(f"call {self.call_id}: {event.agent_id} is not its agent")
        return [c.Drop(c.AGENT, event.agent_id), *self._left_conference(c.AGENT, event.agent_id, now)]

    def _left_conference(self, kind: str, target: str, now: float) -> list[c.Command]:
        """A party left the three-way call: the other two talk on (the caller leaving ends it)."""
        assert self.agent is not None and self.department is not None
        if kind == c.AGENT and target == self.agent:
            self.leg.apply("agent_left", now)
            department = self.department[0]
            self.agent = self.transferor = None
            self.three_way = False
            return [c.Bridge(c.DEPARTMENT, department), *self._acd_conversation_over(target, department)]
        if kind == c.DEPARTMENT and target == self.department[0]:
            self.leg.apply("department_left", now)
            self.department = self.transferor = None
            self.three_way = False
            return [c.Bridge(c.AGENT, self.agent)]
        return []

    def _dial_department(self, department: str, number: str, now: float) -> list[c.Command]:
        self.department = (department, number)
        self._ring_until = now + self.settings.department_ring_timeout
        return [c.Dial(c.DEPARTMENT, department, number)]

    def _transfer_answered(self, department: str, now: float) -> list[c.Command]:
        self.leg.apply("transfer_answered", now)
        self.three_way = False  # a seat that left its three-way call: a transfer after all
        self._ring_until = None
        self._playing, self._moh = None, False
        out: list[c.Command] = []
        agent, self.transferor = self.transferor, None
        if agent is not None:
            self.agent = None
            out += [c.TransferResult(agent, 200, "OK"), c.Drop(c.AGENT, agent),
                    *self._acd_conversation_over(agent, department)]
        return [c.Bridge(c.DEPARTMENT, department), *out]

    def _transfer_failed(self, status: int, reason: str, now: float) -> list[c.Command]:
        """The department did not take the call: the seat keeps it, or the caller is told."""
        self._ring_until = None
        self.department = None
        agent = self.transferor
        three_way, self.three_way = self.three_way, False
        if agent is not None:
            self.leg.apply("transfer_failed", now)
            self.transferor = None
            return [] if three_way else [c.TransferResult(agent, status, reason)]
        self.leg.apply("last_message", now)
        return [self._play((ivr_cmd.Prompt(UNAVAILABLE, self.language),), (None, "end"))]

    def _transferor_left(self, agent: str, now: float) -> list[c.Command]:
        """The seat hung up after asking for the transfer: the caller waits for the department."""
        self.leg.apply("transferor_left", now)
        self.transferor = self.agent = None
        assert self.department is not None
        return [self._play((ivr_cmd.Prompt("transferring", self.language),), (None, "moh")),
                *self._acd_conversation_over(agent, self.department[0])]

    # ---- the ACD's answers ----------------------------------------------------------------

    def _refused(self, event: e.AcdRefused, now: float) -> list[c.Command]:
        match event.event:
            case acd_ev.CallArrived():
                self.in_acd = self.queued = False
                return self._end(now, "the ACD refused the call")
            case acd_ev.AgentAnswered(agent_id=agent) if agent == self.agent:
                if self.state is S.DIALLING_BACK:
                    self.leg.apply("answer_refused", now)
                    self._dial_back_until = None
                    self.agent = None
                    return [c.Drop(c.CALLBACK, self.call_id), c.Drop(c.AGENT, agent)]
                if self.state is S.TALKING:
                    self.leg.apply("answer_refused", now)
                    self.agent = None
                    self._hold_at = _after(now, self.settings.hold_interval)
                    return [c.Drop(c.AGENT, agent), *self._hold_music()]
            case acd_ev.CallbackAccepted() if self.state is S.CALLBACK_PENDING and self.caller_present:
                self.leg.apply("callback_refused", now)
            case acd_ev.AgentLost() if self.state is S.QUEUED:
                return self._end(now, "the ACD refused the lost seat")
        return []

    # ---- teardown -------------------------------------------------------------------------

    def _end(self, now: float, cause: str, *, left: bool = False, lost: bool = False) -> list[c.Command]:
        """The one place a call ends, in this order: the flow, the record, the other parties,
        the caller, then the ACD (last: its answers about the call find it ended)."""
        state = self.state
        self.leg.apply("end", now)
        self.cause = cause
        out: list[c.Command] = []
        for run in (self.run, self.ivr):
            if run is not None and not run.finished:
                run.handle(ivr_ev.CallerHungUp(), now)
        self.run = None
        if not self.queued and self.arrived_at is not None:
            out.append(c.Record(c.Closed(self.line, _outcome(left, lost, self.ivr_transfer),
                                         self.arrived_at, now, self.language, self.ivr_transfer)))
        if self.agent is not None:
            out.append(c.Drop(c.AGENT, self.agent))
        if self.department is not None:
            out.append(c.Drop(c.DEPARTMENT, self.department[0]))
        if state is S.DIALLING_BACK:
            out.append(c.Drop(c.CALLBACK, self.call_id))
        if self.caller_present and not left:
            out.append(c.HangUp(cause))
        if state is S.DIALLING_BACK and self.agent is not None:
            out += self._acd_conversation_over(self.agent, None)
        elif self.in_acd and not self.acd_done:
            self.acd_done = True
            out.append(c.ToAcd(acd_ev.CallerHungUp(self.call_id)))
        self.agent = self.department = self.transferor = None
        self.three_way = False
        self._hold_at = self._ring_until = self._dial_back_until = None
        self._playing, self._moh = None, False
        self._plays.clear()
        return out

    # ---- sounds ---------------------------------------------------------------------------

    def _play(self, items: Sequence[ivr_cmd.PlayItem], owner: tuple[FlowRun | None, int | str],
              barge_in: bool = False) -> c.Play:
        if self._playing is not None and self._plays.get(self._playing, (None,))[0] is None:
            del self._plays[self._playing]  # a message cut short by the next one
        self._play_seq += 1
        self._plays[self._play_seq] = owner
        self._playing, self._moh = self._play_seq, False
        return c.Play(self._play_seq, tuple(items), barge_in)

    def _stop_run_play(self, run: FlowRun, inner: int | None) -> list[c.Command]:
        for outer, owner in list(self._plays.items()):
            if owner == (run, inner):
                del self._plays[outer]
                if self._playing == outer:
                    self._playing = None
                return [c.StopPlay(outer)]
        return []

    def _hold_music(self) -> list[c.Command]:
        """Music on hold, unless it plays already or a message is being heard."""
        if self._moh or self._playing is not None or not self.caller_present:
            return []
        self._moh = True
        return [c.StartMoh()]

    _HANDLERS: dict[type, Callable[[Call, object, float], list[c.Command]]] = {
        e.Arrived: _arrived,
        e.TaskPlaced: _task_placed,
        e.PreviewCall: _preview_call,
        e.Digit: _digit,
        e.PlayDone: _play_done,
        e.CallerGone: _caller_gone,
        e.Shutdown: _shutdown,
        e.DialAnswered: _dial_answered,
        e.DialFailed: _dial_failed,
        e.PartyGone: _party_gone,
        e.TransferRequested: _transfer_requested,
        e.ThreeWayRequested: _three_way_requested,
        e.AgentLeaves: _agent_leaves,
        e.AcdRefused: _refused,
        ivr_ev.QueryAnswered: _answered_query,
    }  # type: ignore[dict-item]


def _outcome(left: bool, lost: bool, transferred_to: str | None) -> str:
    """How a call the ACD never held ended (the records' IVR outcomes)."""
    if lost:
        return LOST
    if transferred_to is not None:
        return IVR_TRANSFERRED
    return IVR_ABANDONED if left else SELF_SERVICE


def _acd_last(commands: list[c.Command]) -> list[c.Command]:
    """``ToAcd`` commands after all others (the core may answer at once about this call)."""
    if not any(isinstance(cmd, c.ToAcd) for cmd in commands):
        return commands
    return ([cmd for cmd in commands if not isinstance(cmd, c.ToAcd)]
            + [cmd for cmd in commands if isinstance(cmd, c.ToAcd)])


def _due(deadline: float | None, now: float) -> bool:
    return deadline is not None and now >= deadline


def _after(now: float, interval: float | None) -> float | None:
    return None if interval is None else now + interval

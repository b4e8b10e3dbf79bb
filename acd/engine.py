"""The ACD: skill-based routing of waiting calls to agent seats.

Pure and clock-injected: ``handle(event, now)`` and ``on_timer(now)`` return commands, and
``next_deadline()`` says when ``on_timer`` is due next. Nothing here reads a clock, sleeps,
or does I/O, so the live engine and the simulator drive the very same object.

Indexing. Calls and idle agents meet in *buckets*: one per (queue, requirement alternatives).
Each bucket keeps a heap of its waiting calls keyed ``(-priority, enqueued_at, seq)`` and a
pool of its idle eligible agents keyed by the queue's strategy (``acd/idle_pools.py``). Each agent knows the
buckets it is eligible for (computed once, from its skills). So:

* a call entering a bucket takes the best idle agent of that bucket, or waits in its heap;
* an agent becoming idle looks at the heads of its own buckets only and takes the best call
  across all the queues it serves (priority first, then the longest wait: cross-queue
  fairness), or joins those buckets' idle lists.

Neither path scans the roster or the queue, so the cost of a decision does not grow with the
number of agents or calls in the common case.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

from acd.commands import (
    AgentStateChanged,
    CallFinished,
    CallRecord,
    CancelOffer,
    Command,
    OfferCall,
    OfferCallback,
    OverflowToMessage,
    PlayAnnouncement,
)
from acd.compiled import mypyc_attr
from acd.events import (
    AgentAnswered,
    AgentDeclined,
    AgentHungUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentLost,
    AgentNotReady,
    AgentReady,
    CallAdopted,
    CallArrived,
    CallbackAccepted,
    CallerHungUp,
    CallId,
    Event,
    WrapUpDone,
)
from acd.idle_pools import PooledAgent
from acd.model import EscalationStep, QueueSpec, RequirementSet, requirement_set
from acd.native_heap import EventQueue
from acd.stats import QueueStats
from acd.strategies import Strategy, make_strategy
from agents.model import AgentSpec
from agents.seat import Activity, IllegalTransition, Presence, Seat


@mypyc_attr(native_class=False)  # compiled core: these stay Python classes (KeyError bases)
class ACDError(Exception):
    """A request the ACD refuses; nothing was changed."""


@mypyc_attr(native_class=False)
class UnknownCall(ACDError, KeyError):
    pass


@mypyc_attr(native_class=False)
class UnknownAgent(ACDError, KeyError):
    pass


@mypyc_attr(native_class=False)
class UnknownQueue(ACDError, KeyError):
    pass


class CallState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ANSWERED = "answered"


# A timer just set: (when, kind, call or agent, version it was set for). In the heap (an
# ``EventQueue`` of rank 0: by time, then the order they were set) kind is ``n``, the call or
# agent ``a`` and the version ``b``.
_Timer = tuple[float, int, Any, int]
_RING: Final = 0
_WRAP: Final = 1
_ESCALATE: Final = 2
# Times within this margin count as equal (float sums such as t + 10 - t can fall short).
_TIME_EPSILON: Final = 1e-6
# Bound once: the compiled core then calls them without a module attribute lookup.
_heappush: Final = heapq.heappush
_heappop: Final = heapq.heappop


class _Agent(PooledAgent):
    """Runtime state of one agent (seat plus routing bookkeeping)."""

    __slots__ = (
        "spec", "seat", "buckets", "idle_keys", "call", "wrap_version", "skills", "agent_id",
        "wrap_up",
    )

    def __init__(self, spec: AgentSpec, order: int) -> None:
        super().__init__(order)
        self.spec = spec
        self.agent_id: str = spec.agent_id
        self.wrap_up: float = spec.wrap_up_seconds
        self.skills = dict(spec.skills)
        self.seat = Seat(spec.agent_id)
        self.buckets: list[_Bucket] = []
        self.idle_keys: dict[_Bucket, tuple] = {}
        self.call: _Call | None = None
        self.wrap_version = 0

    def proficiency(self, skill: str) -> int:
        return self.skills.get(skill, 0)

    def eligible(self, alternatives: frozenset[RequirementSet]) -> bool:
        skills = self.skills
        return any(
            all(skills.get(skill, 0) >= level for skill, level in alternative)
            for alternative in alternatives
        )


class _Queue:
    __slots__ = ("spec", "strategy", "levels", "stats", "strategy_state", "waiting", "name",
                 "ring_timeout", "escalation", "priority", "requirements", "sl_from_arrival",
                 "buckets")

    def __init__(self, spec: QueueSpec, rng: random.Random) -> None:
        self.spec = spec
        # The spec's fields the router reads per call, as plain attributes.
        self.name: str = spec.name
        self.ring_timeout: float = spec.ring_timeout_seconds
        self.escalation: tuple[EscalationStep, ...] = spec.escalation
        self.priority: int = spec.priority
        self.requirements: Mapping[str, int] = spec.requirements
        self.sl_from_arrival: bool = spec.service_level.clock_start == "arrival"
        self.strategy: Strategy = make_strategy(spec.strategy, rng)
        self.levels = spec.levels()
        self.stats = QueueStats(policy=spec.service_level)
        self.buckets: list[_Bucket] = []  # the bucket of each level, for calls without extras
        self.strategy_state: dict = {}
        self.waiting = 0


class _Bucket:
    """Waiting calls and idle eligible agents of one queue at one requirement level."""

    __slots__ = ("queue", "alternatives", "calls", "idle", "stale")

    def __init__(self, queue: _Queue, alternatives: frozenset[RequirementSet]) -> None:
        self.queue = queue
        self.alternatives = alternatives
        self.calls: list[_Entry] = []
        self.idle = queue.strategy.new_pool()
        self.stale = 0

    def head(self) -> _Call | None:
        """The best waiting call, dropping stale heap entries."""
        calls = self.calls
        while calls:
            entry = calls[0]
            call = entry[4]
            if call.state is CallState.WAITING and call.version == entry[3]:
                return call
            _heappop(calls)
            self.stale -= 1
        return None


# A waiting call's place in its bucket's heap: (-priority, enqueued at, seq, version, call).
_Entry = tuple[int, float, int, int, "_Call"]


class _Call:
    __slots__ = (
        "call_id", "queue", "bucket", "base_priority", "priority", "arrived_at", "enqueued_at",
        "queue_entered_at", "seq", "level", "state", "version", "agent", "offers", "callback",
        "line", "language", "extra", "answered_at", "first_queue", "esc_version", "talk_started",
        "prior_talk",
    )

    def __init__(self, event: CallArrived, queue: _Queue, now: float, seq: int) -> None:
        self.call_id = event.call_id
        self.queue = queue
        self.bucket: _Bucket | None = None
        self.base_priority = event.priority
        self.priority = event.priority
        self.arrived_at = now if event.arrived_at is None else event.arrived_at
        self.enqueued_at = now
        self.queue_entered_at = now
        self.seq = seq
        self.level = 0
        self.state = CallState.WAITING
        self.version = 0
        self.agent: _Agent | None = None
        self.offers = 0
        self.callback = False
        self.line = event.line
        self.language = event.language
        self.extra = requirement_set(event.requirements) if event.requirements else None
        self.answered_at: float | None = None  # the first answer (service level, wait)
        self.talk_started: float | None = None  # the current conversation's answer
        self.prior_talk = 0.0  # talk before a seat was lost mid-call
        self.first_queue = queue.name
        self.esc_version = 0


class ACD:
    """Skill-based automatic call distribution over a set of queues and agents."""

    def __init__(
        self,
        queues: Sequence[QueueSpec],
        agents: Iterable[AgentSpec] = (),
        *,
        rng: random.Random | None = None,
        emit_agent_states: bool = True,
    ) -> None:
        self.rng = rng if rng is not None else random.Random(0)
        self.emit_agent_states = emit_agent_states
        self._queues: dict[str, _Queue] = {}
        for spec in queues:
            if spec.name in self._queues:
                raise ValueError(f"duplicate queue name {spec.name!r}")
            self._queues[spec.name] = _Queue(spec, self.rng)
        for q in self._queues.values():
            for step in q.escalation:
                if step.overflow_queue is not None and step.overflow_queue not in self._queues:
                    raise UnknownQueue(
                        f"queue {q.spec.name}: overflow to unknown queue {step.overflow_queue!r}"
                    )
        self._buckets: dict[tuple[str, frozenset[RequirementSet]], _Bucket] = {}
        self._agents: dict[str, _Agent] = {}
        self._order: list[_Agent] = []
        self._calls: dict[CallId, _Call] = {}
        self._timers = EventQueue()
        self._fresh: list[_Timer] = []  # timers set since the heap was last consulted
        self._seq = 0  # calls in arrival order
        self._dispatch = {
            CallArrived: self._on_call_arrived,
            CallerHungUp: self._on_caller_hung_up,
            CallbackAccepted: self._on_callback_accepted,
            CallAdopted: self._on_call_adopted,
            AgentAnswered: self._on_agent_answered,
            AgentDeclined: self._on_agent_declined,
            AgentHungUp: self._on_agent_hung_up,
            AgentLost: self._on_agent_lost,
            AgentLoggedIn: self._on_logged_in,
            AgentLoggedOut: self._on_logged_out,
            AgentReady: self._on_ready,
            AgentNotReady: self._on_not_ready,
            WrapUpDone: self._on_wrap_up_done,
        }
        for q in self._queues.values():
            q.buckets = [self._bucket(q, alternatives) for alternatives, _ in q.levels]
        for spec in agents:
            self.add_agent(spec)

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> Mapping[str, QueueStats]:
        """Accounting per queue name."""
        return {name: q.stats for name, q in self._queues.items()}

    @property
    def queue_names(self) -> list[str]:
        return list(self._queues)

    def add_agent(self, spec: AgentSpec) -> None:
        """Add an agent to the roster (logged out)."""
        if spec.agent_id in self._agents:
            raise ValueError(f"duplicate agent id {spec.agent_id!r}")
        agent = _Agent(spec, len(self._agents))
        for bucket in self._buckets.values():
            if agent.eligible(bucket.alternatives):
                agent.buckets.append(bucket)
        self._agents[spec.agent_id] = agent
        self._order.append(agent)

    def handle(self, event: Event, now: float) -> list[Command]:
        """Apply ``event`` at time ``now``; returns the commands to carry out.

        Raises ``ACDError`` or ``IllegalTransition`` for an event that does not fit the
        current state, and then nothing has changed.
        """
        out: list[Command] = []
        # The three events of every call first, as direct calls; the rest by the table.
        if type(event) is CallArrived:
            self._on_call_arrived(event, now, out)
        elif type(event) is AgentAnswered:
            self._on_agent_answered(event, now, out)
        elif type(event) is AgentHungUp:
            self._on_agent_hung_up(event, now, out)
        else:
            handler = self._dispatch.get(type(event))
            if handler is None:
                raise ACDError(f"unknown event {event!r}")
            handler(event, now, out)
        return out

    def on_timer(self, now: float) -> list[Command]:
        """Fire every deadline at or before ``now`` (ring-no-answer, wrap-up, escalation)."""
        out: list[Command] = []
        timers = self._timers
        while True:
            if self._fresh:  # including timers set by the ones just fired
                self._flush_timers()
            if timers.first() > now:
                break
            timers.pop()
            kind, obj, when = timers.n, timers.a, timers.now
            if not self._timer_live(kind, obj, timers.b):
                continue
            if kind == _RING:
                self._ring_ended(obj, when, "ring-no-answer", out)
            elif kind == _WRAP:
                self._end_wrap_up(obj, when, out)
            else:
                self._escalate(obj, when, out)
        return out

    def next_deadline(self) -> float | None:
        """The earliest time ``on_timer`` has something to do, or None."""
        if self._fresh:
            self._flush_timers()
        timers = self._timers
        while len(timers):
            timers.peek()
            if self._timer_live(timers.n, timers.a, timers.b):
                return timers.now
            timers.pop()
        return None

    def _timer_live(self, kind: int, obj: Any, version: int) -> bool:
        """False once the timer's call or agent has moved on (a stale entry)."""
        if kind == _WRAP:
            agent: _Agent = obj
            return agent.wrap_version == version and agent.seat.activity is Activity.WRAP_UP
        call: _Call = obj
        if kind == _RING:
            return call.state is CallState.OFFERED and call.version == version
        return call.esc_version == version and call.call_id in self._calls

    def _flush_timers(self) -> None:
        """Move the timers set since the last look into the heap, leaving out those already
        stale (most ring timers: the seat answered before anyone asked for a deadline)."""
        timers = self._timers
        for when, kind, obj, version in self._fresh:
            if self._timer_live(kind, obj, version):
                timers.push(when, 0, obj, version, kind)
        self._fresh.clear()

    def seat(self, agent_id: str) -> Seat:
        """The seat of ``agent_id`` (read-only use)."""
        return self._agent(agent_id).seat

    def agent_call(self, agent_id: str) -> CallId | None:
        """The call the agent is ringing with or talking on, if any."""
        call = self._agent(agent_id).call
        return call.call_id if call is not None else None

    def call_state(self, call_id: CallId) -> CallState | None:
        call = self._calls.get(call_id)
        return call.state if call is not None else None

    def call_line(self, call_id: CallId) -> str | None:
        """The line a live call came in on (None: not a live call, or no line)."""
        call = self._calls.get(call_id)
        return call.line if call is not None else None

    def enqueued_at(self, call_id: CallId) -> float | None:
        """When the call joined its current queue (what "time waited" counts from)."""
        call = self._calls.get(call_id)
        return call.enqueued_at if call is not None else None

    def queue_position(self, call_id: CallId) -> int | None:
        """1 for the next caller of the call's queue to be served; None if not waiting.

        Counts the waiting calls of the same queue ahead by priority, then by time waited
        (an announcement path: it scans the calls, it is not used for routing).
        """
        call = self._calls.get(call_id)
        if call is None or call.state is not CallState.WAITING:
            return None
        key = (-call.priority, call.enqueued_at, call.seq)
        ahead = sum(
            1 for other in self._calls.values()
            if other.queue is call.queue and other.state is CallState.WAITING
            and (-other.priority, other.enqueued_at, other.seq) < key
        )
        return ahead + 1

    def estimated_wait(self, call_id: CallId, *, default_handle_seconds: float = 300.0) -> float | None:
        """Expected seconds until the call is offered: its position times the mean time an
        agent of the queue needs per call (talk plus wrap-up), shared by the agents serving it.

        Uses the queue's own average talk time once it has answered calls. None if the call
        is not waiting or nobody who could take it is logged in.
        """
        position = self.queue_position(call_id)
        if position is None:
            return None
        call = self._calls[call_id]
        queue = call.queue
        serving = [
            agent for agent in self._order
            if agent.seat.presence is not Presence.LOGGED_OUT
            and any(bucket.queue is queue for bucket in agent.buckets)
        ]
        if not serving:
            return None
        talk = queue.stats.aht if queue.stats.aht is not None else default_handle_seconds
        wrap = sum(agent.wrap_up for agent in serving) / len(serving)
        return position * (talk + wrap) / len(serving)

    def idle_agent_for(self, queue: str, requirements: Mapping[str, int] | None = None) -> bool:
        """True if an agent is idle now who is eligible (as routing decides it) for a call
        entering ``queue`` with ``requirements`` beside the queue's own. Changes nothing."""
        q = self._queues.get(queue)
        if q is None:
            raise UnknownQueue(f"unknown queue {queue!r}")
        alternatives = _with_extra(q.levels[0][0], requirement_set(requirements) if requirements else None)
        bucket = self._buckets.get((q.name, alternatives))
        if bucket is not None:
            return bucket.idle.live > 0
        return any(agent.seat.routable and agent.eligible(alternatives) for agent in self._order)

    def waiting_calls(self) -> int:
        return sum(q.waiting for q in self._queues.values())

    def live_calls(self) -> int:
        """Calls the ACD still holds (waiting, ringing or talking)."""
        return len(self._calls)

    def snapshot(self, now: float) -> dict:
        """A consistent view for wallboards and metrics (not a hot path)."""
        queues: dict[str, dict] = {}
        for name, q in self._queues.items():
            queues[name] = {
                "waiting": 0,
                "longest_wait": 0.0,
                "agents": {state: 0 for state in _SNAPSHOT_STATES},
                "stats": q.stats.as_dict(),
            }
        for call in self._calls.values():
            if call.state is CallState.WAITING:
                entry = queues[call.queue.name]
                entry["waiting"] += 1
                entry["longest_wait"] = max(entry["longest_wait"], now - call.enqueued_at)
        agents = []
        for agent in self._agents.values():
            state = _snapshot_state(agent.seat)
            served = {bucket.queue.name for bucket in agent.buckets}
            for name in served:
                queues[name]["agents"][state] += 1
            agents.append(
                {
                    "agent_id": agent.agent_id,
                    "name": agent.spec.name,
                    "presence": agent.seat.presence.value,
                    "activity": agent.seat.activity.value,
                    "reason": agent.seat.reason,
                    "since": agent.seat.since,
                    "call_id": agent.call.call_id if agent.call else None,
                    "line": agent.call.line if agent.call else None,
                    "language": agent.call.language if agent.call else None,
                    "queues": sorted(served),
                }
            )
        return {"queues": queues, "agents": agents}

    # ------------------------------------------------------------------ calls

    def _on_call_arrived(self, event: CallArrived, now: float, out: list[Command]) -> None:
        if event.call_id in self._calls:
            raise ACDError(f"call {event.call_id!r} is already in the ACD")
        queue = self._queues.get(event.queue)
        if queue is None:
            raise UnknownQueue(f"unknown queue {event.queue!r}")
        self._seq += 1
        call = _Call(event, queue, now, self._seq)
        self._calls[event.call_id] = call
        queue.stats.offered += 1
        self._enter_level(call, 0)
        self._schedule_escalation(call)
        bucket = call.bucket
        if bucket.idle.live and bucket.head() is None:
            # Nobody waits in the bucket and an agent is idle: the call is the bucket's head,
            # offered at once without passing through the heap.
            self._offer(call, queue.strategy.pick(bucket.idle, queue.strategy_state), now, out)
            return
        queue.waiting += 1
        self._push_call(call)
        self._route_waiting(call, now, out)

    def _on_caller_hung_up(self, event: CallerHungUp, now: float, out: list[Command]) -> None:
        call = self._call(event.call_id)
        if call.state is CallState.ANSWERED:
            self._end_conversation(call, now, out)
            return
        if call.state is CallState.OFFERED:
            agent = call.agent
            out.append(CancelOffer(call.call_id, agent.agent_id, "caller-hung-up"))
            self._release_ringing_agent(agent, now, out)
        else:
            call.queue.waiting -= 1
            call.bucket.stale += 1
        call.state = CallState.WAITING  # for the record; the call is gone below
        if call.answered_at is not None:  # talked, lost its seat, hung up while back in queue
            self._finish_answered(call, now, out)
            return
        wait = now - call.enqueued_at
        sl_wait = self._sl_wait(call, now)
        call.queue.stats.record_abandon(wait, sl_wait)
        del self._calls[call.call_id]
        call.version += 1
        call.esc_version += 1
        out.append(CallFinished(self._record(call, "abandoned", now, wait, sl_wait)))

    def _on_callback_accepted(
        self, event: CallbackAccepted, now: float, out: list[Command]
    ) -> None:
        call = self._call(event.call_id)
        if call.state is CallState.ANSWERED:
            raise ACDError(f"call {call.call_id!r} is already answered")
        call.callback = True

    def _on_call_adopted(self, event: CallAdopted, now: float, out: list[Command]) -> None:
        if event.call_id in self._calls:
            raise ACDError(f"call {event.call_id!r} is already in the ACD")
        queue = self._queues.get(event.queue)
        if queue is None:
            raise UnknownQueue(f"unknown queue {event.queue!r}")
        agent = self._agent(event.agent_id)
        if agent.call is not None or agent.seat.activity is not Activity.IDLE:
            raise IllegalTransition(f"agent {event.agent_id}: busy, cannot adopt {event.call_id!r}")
        # An idle seat goes through its own table (login, ready, offer, answer) without a
        # refusal; one state change is reported.
        self._leave_idle(agent)
        steps = ["ready", "offer", "answer"]
        if agent.seat.presence is Presence.LOGGED_OUT:
            steps.insert(0, "login")
        for step in steps:
            agent.seat.apply(step, now)
        self._seq += 1
        call = _Call(CallArrived(event.call_id, event.queue, arrived_at=event.arrived_at,
                                 language=event.language, line=event.line), queue, now,
                     self._seq)
        call.enqueued_at = call.queue_entered_at = (
            event.enqueued_at if event.enqueued_at is not None else event.arrived_at)
        call.state = CallState.ANSWERED
        call.agent, agent.call = agent, call
        call.offers = 1
        call.answered_at = call.talk_started = event.answered_at
        self._calls[event.call_id] = call
        queue.stats.offered += 1
        queue.stats.record_answer(event.answered_at - call.enqueued_at,
                                  self._sl_wait(call, event.answered_at))
        agent.calls_answered += 1
        if self.emit_agent_states:
            seat = agent.seat
            out.append(AgentStateChanged(seat.agent_id, seat.presence.value, seat.activity.value,
                                         seat.reason, now, call.call_id))

    def _on_agent_answered(self, event: AgentAnswered, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        call = self._call(event.call_id)
        if call.state is not CallState.OFFERED or call.agent is not agent:
            raise IllegalTransition(
                f"agent {event.agent_id}: call {event.call_id!r} is not ringing at this seat"
            )
        self._seat(agent, "answer", now, out)
        call.state = CallState.ANSWERED
        call.talk_started = now
        call.esc_version += 1
        agent.calls_answered += 1
        if call.answered_at is None:
            call.answered_at = now
            call.queue.stats.record_answer(now - call.enqueued_at, self._sl_wait(call, now))

    def _on_agent_declined(self, event: AgentDeclined, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        call = self._call(event.call_id)
        if call.state is not CallState.OFFERED or call.agent is not agent:
            raise IllegalTransition(
                f"agent {event.agent_id}: call {event.call_id!r} is not ringing at this seat"
            )
        self._ring_ended(call, now, "declined", out)

    def _on_agent_hung_up(self, event: AgentHungUp, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        call = agent.call
        if call is None or call.state is not CallState.ANSWERED:
            raise IllegalTransition(f"agent {event.agent_id}: no conversation to hang up")
        self._end_conversation(call, now, out, event.transferred_to)

    def _on_agent_lost(self, event: AgentLost, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        call = agent.call
        if call is None or call.state is not CallState.ANSWERED:
            raise IllegalTransition(f"agent {event.agent_id}: no conversation to lose")
        talk = now - call.talk_started
        call.prior_talk += talk
        agent.talk_total += talk
        agent.call = None
        self._seat(agent, "not_ready", now, out, reason=event.reason)
        self._seat(agent, "hang_up", now, out)
        self._end_wrap_up(agent, now, out)  # not ready: nothing is routed to it
        self._leave_idle(agent)
        call.talk_started = None
        self._schedule_escalation(call)
        self._requeue(call, now, out)

    def _end_conversation(self, call: _Call, now: float, out: list[Command],
                          transferred_to: str | None = None) -> None:
        agent = call.agent
        assert agent is not None  # an answered call has its agent
        talk = now - call.talk_started
        agent.talk_total += talk
        agent.call = None
        self._seat(agent, "hang_up", now, out)
        self._finish_answered(call, now, out, transferred_to)
        if agent.wrap_up > 0:
            agent.wrap_version += 1
            self._push_timer(now + agent.wrap_up, _WRAP, agent, agent.wrap_version)
        else:
            self._end_wrap_up(agent, now, out)

    def _finish_answered(self, call: _Call, now: float, out: list[Command],
                         transferred_to: str | None = None) -> None:
        """End an answered call: its talk (all conversations) and its record."""
        record = self._record(call, "answered", now, call.answered_at - call.enqueued_at,
                              self._sl_wait(call, call.answered_at),
                              transferred_to=transferred_to)
        call.queue.stats.record_talk(record.talk)
        del self._calls[call.call_id]
        call.version += 1
        call.esc_version += 1
        out.append(CallFinished(record))

    def _ring_ended(self, call: _Call, now: float, reason: str, out: list[Command]) -> None:
        """The offer failed (no answer or declined): the agent is made not ready and the call
        goes back to its place in the queue."""
        agent = call.agent
        out.append(CancelOffer(call.call_id, agent.agent_id, reason))
        agent.call = None
        self._seat(agent, "ring_end", now, out)
        self._seat(agent, "not_ready", now, out, reason="no-answer" if reason != "declined"
                   else "declined")
        self._requeue(call, now, out)

    def _requeue(self, call: _Call, now: float, out: list[Command]) -> None:
        call.state = CallState.WAITING
        call.agent = None
        call.queue.waiting += 1
        due = self._due_level(call, now)
        if due > call.level:
            self._escalate(call, now, out, requeue=True)
        else:
            self._push_call(call)
            self._route_waiting(call, now, out)

    # ------------------------------------------------------------------ escalation

    def _due_level(self, call: _Call, now: float, timer: bool = False) -> int:
        """The escalation level the call has reached by ``now``.

        When its escalation timer fired, the step that timer was for is due even if float
        rounding makes ``now - entered`` come out a hair short of ``after_seconds``.
        """
        steps = call.queue.escalation
        level = call.level
        waited = now - call.queue_entered_at + _TIME_EPSILON
        while level < len(steps) and steps[level].after_seconds <= waited:
            level += 1
        if timer and level == call.level and level < len(steps):
            level += 1
        return level

    def _schedule_escalation(self, call: _Call) -> None:
        steps = call.queue.escalation
        call.esc_version += 1
        if call.level < len(steps):
            when = call.queue_entered_at + steps[call.level].after_seconds
            self._push_timer(when, _ESCALATE, call, call.esc_version)

    def _escalate(self, call: _Call, now: float, out: list[Command], requeue: bool = False)\
            -> None:
        """Apply every step now due. A ringing call escalates when its offer ends."""
        if call.state is not CallState.WAITING:
            return
        queue = call.queue
        steps = queue.escalation
        due = self._due_level(call, now, timer=not requeue)
        for step in steps[call.level:due]:
            if step.announce:
                out.append(PlayAnnouncement(call.call_id, step.announce))
            if step.offer_callback and not call.callback:
                out.append(OfferCallback(call.call_id, queue.name))
            if step.overflow_message:
                if not requeue:
                    call.bucket.stale += 1
                queue.waiting -= 1
                self._overflow_to_message(call, step.overflow_message, now, out)
                return
            if step.overflow_queue:
                if not requeue:
                    call.bucket.stale += 1
                queue.waiting -= 1
                self._overflow_to_queue(call, self._queues[step.overflow_queue], now, out)
                return
        if not requeue:
            call.bucket.stale += 1
        self._enter_level(call, due)
        self._push_call(call)
        self._schedule_escalation(call)
        self._route_waiting(call, now, out)

    def _overflow_to_message(self, call: _Call, prompt: str, now: float,
                             out: list[Command]) -> None:
        call.queue.stats.overflowed += 1
        del self._calls[call.call_id]
        call.version += 1
        call.esc_version += 1
        out.append(OverflowToMessage(call.call_id, prompt))
        wait = now - call.enqueued_at
        record = self._record(call, "overflowed", now, wait, self._sl_wait(call, now),
                              overflow_target=f"message:{prompt}")
        out.append(CallFinished(record))

    def _overflow_to_queue(self, call: _Call, target: _Queue, now: float,
                           out: list[Command]) -> None:
        """Move the call to ``target``; its enqueue time (its place) is kept."""
        call.queue.stats.overflowed += 1
        call.queue = target
        call.queue_entered_at = now
        target.stats.offered += 1
        target.waiting += 1
        self._enter_level(call, 0)
        self._push_call(call)
        self._schedule_escalation(call)
        self._route_waiting(call, now, out)

    def _enter_level(self, call: _Call, level: int) -> None:
        queue = call.queue
        level = min(level, len(queue.levels) - 1)
        alternatives, extra_priority = queue.levels[level]
        call.level = level
        call.priority = call.base_priority + queue.priority + extra_priority
        if call.extra:
            call.bucket = self._bucket(queue, _with_extra(alternatives, call.extra))
        else:
            call.bucket = queue.buckets[level]

    # ------------------------------------------------------------------ matching

    def _route_waiting(self, call: _Call, now: float, out: list[Command]) -> None:
        """A call entered (or re-entered) its bucket: offer to the best idle agent there."""
        bucket = call.bucket
        idle = bucket.idle
        if not idle.live:
            return
        # The call is in the bucket heap; another call may be ahead of it (re-queued after a
        # ring-no-answer), so always serve the bucket's head.
        head = bucket.head()
        if head is None:
            return
        agent = bucket.queue.strategy.pick(idle, bucket.queue.strategy_state)
        _heappop(bucket.calls)
        head.queue.waiting -= 1
        self._offer(head, agent, now, out)

    def _route_agent(self, agent: _Agent, now: float, out: list[Command]) -> None:
        """An agent became routable: take the best waiting call of its buckets, or go idle."""
        best: _Bucket | None = None
        best_entry: _Entry | None = None
        for bucket in agent.buckets:
            if bucket.head() is not None:
                entry = bucket.calls[0]
                if best_entry is None or entry < best_entry:
                    best, best_entry = bucket, entry
        if best is not None and best_entry is not None:
            call = best_entry[4]
            _heappop(best.calls)
            call.queue.waiting -= 1
            self._offer(call, agent, now, out)
            return
        agent.idle_since = now
        for bucket in agent.buckets:
            key = bucket.queue.strategy.key(agent, bucket.queue.requirements)
            agent.idle_keys[bucket] = key
            bucket.idle.add(key, agent)

    def _offer(self, call: _Call, agent: _Agent, now: float, out: list[Command]) -> None:
        self._leave_idle(agent)
        self._seat(agent, "offer", now, out, call=call)
        call.state = CallState.OFFERED
        call.agent = agent
        call.offers += 1
        call.version += 1
        agent.call = call
        timeout = call.queue.ring_timeout
        self._push_timer(now + timeout, _RING, call, call.version)
        out.append(
            OfferCall(call.call_id, agent.agent_id, call.queue.name, timeout,
                      call.callback)
        )

    def _leave_idle(self, agent: _Agent) -> None:
        if agent.idle_keys:
            agent.idle_epoch += 1
            for bucket, key in agent.idle_keys.items():
                bucket.idle.discard(key, agent)
            agent.idle_keys.clear()

    def _push_call(self, call: _Call) -> None:
        """Put the call in its bucket's heap under its (new) key; older entries go stale."""
        bucket = call.bucket
        call.version += 1
        _heappush(
            bucket.calls, (-call.priority, call.enqueued_at, call.seq, call.version, call)
        )
        if bucket.stale > 64 and bucket.stale > len(bucket.calls) // 2:
            self._compact(bucket)

    @staticmethod
    def _compact(bucket: _Bucket) -> None:
        bucket.calls = [
            e for e in bucket.calls
            if e[4].state is CallState.WAITING and e[4].version == e[3]
        ]
        heapq.heapify(bucket.calls)
        bucket.stale = 0

    # ------------------------------------------------------------------ agents

    def _on_logged_in(self, event: AgentLoggedIn, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        self._seat(agent, "login", now, out, reason="logged-in")
        if event.ready:
            self._seat(agent, "ready", now, out)
            self._route_agent(agent, now, out)

    def _on_ready(self, event: AgentReady, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        was_routable = agent.seat.routable
        self._seat(agent, "ready", now, out)
        if agent.seat.routable and not was_routable:
            self._route_agent(agent, now, out)

    def _on_not_ready(self, event: AgentNotReady, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        self._seat(agent, "not_ready", now, out, reason=event.reason)
        self._leave_idle(agent)

    def _on_logged_out(self, event: AgentLoggedOut, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        agent.seat.check("logout")  # refuses a logout during a conversation, changing nothing
        call = agent.call
        self._leave_idle(agent)
        agent.wrap_version += 1
        self._seat(agent, "logout", now, out)
        if call is not None and call.state is CallState.OFFERED:
            out.append(CancelOffer(call.call_id, agent.agent_id, "agent-logged-out"))
            agent.call = None
            self._requeue(call, now, out)

    def _on_wrap_up_done(self, event: WrapUpDone, now: float, out: list[Command]) -> None:
        agent = self._agent(event.agent_id)
        if agent.seat.activity is not Activity.WRAP_UP:
            raise IllegalTransition(f"agent {event.agent_id}: not in wrap-up")
        self._end_wrap_up(agent, now, out)

    def _end_wrap_up(self, agent: _Agent, now: float, out: list[Command]) -> None:
        agent.wrap_version += 1
        self._seat(agent, "wrap_up_end", now, out)
        if agent.seat.routable:
            self._route_agent(agent, now, out)

    def _release_ringing_agent(self, agent: _Agent, now: float, out: list[Command]) -> None:
        """The caller left while this agent rang: the agent is free again, no penalty."""
        agent.call = None
        self._seat(agent, "ring_end", now, out)
        if agent.seat.routable:
            self._route_agent(agent, now, out)

    def _seat(self, agent: _Agent, event: str, now: float, out: list[Command],
              reason: str | None = None, call: _Call | None = None) -> None:
        changed = agent.seat.apply(event, now, reason)
        if changed and self.emit_agent_states:
            seat = agent.seat
            out.append(
                AgentStateChanged(
                    seat.agent_id, seat.presence.value, seat.activity.value, seat.reason, now,
                    (call or agent.call).call_id if (call or agent.call) is not None else None,
                )
            )

    # ------------------------------------------------------------------ helpers

    def _bucket(self, queue: _Queue, alternatives: frozenset[RequirementSet]) -> _Bucket:
        key = (queue.name, alternatives)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(queue, alternatives)
            self._buckets[key] = bucket
            for agent in self._agents.values():
                if agent.eligible(alternatives):
                    agent.buckets.append(bucket)
                    if agent.seat.routable:
                        k = queue.strategy.key(agent, queue.requirements)
                        agent.idle_keys[bucket] = k
                        bucket.idle.add(k, agent)
        return bucket

    def _push_timer(self, when: float, kind: int, obj: object, version: int) -> None:
        self._fresh.append((when, kind, obj, version))

    def _sl_wait(self, call: _Call, now: float) -> float:
        return now - (call.arrived_at if call.queue.sl_from_arrival else call.enqueued_at)

    def _record(self, call: _Call, outcome: str, now: float, wait: float, sl_wait: float,
                overflow_target: str | None = None,
                transferred_to: str | None = None) -> CallRecord:
        answered_here = outcome == "answered" and call.state is CallState.ANSWERED
        agent = call.agent if answered_here else None
        talk = call.prior_talk
        if call.talk_started is not None and call.state is CallState.ANSWERED:
            talk += now - call.talk_started
        return CallRecord(  # positional, in field order: the fastest way to build it
            call.call_id, call.queue.name, call.line, call.language, call.priority,
            call.arrived_at, call.enqueued_at, outcome, now, call.answered_at,
            agent.agent_id if agent is not None else None, wait, sl_wait, talk,
            call.offers, call.callback, overflow_target, call.first_queue, transferred_to,
        )

    def _agent(self, agent_id: str) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(f"unknown agent {agent_id!r}")
        return agent

    def _call(self, call_id: CallId) -> _Call:
        call = self._calls.get(call_id)
        if call is None:
            raise UnknownCall(f"unknown or finished call {call_id!r}")
        return call


def _with_extra(alternatives: frozenset[RequirementSet],
                extra: RequirementSet | None) -> frozenset[RequirementSet]:
    """A level's requirement alternatives, each with a call's ``extra`` requirements added."""
    return frozenset(alt | extra for alt in alternatives) if extra else alternatives


_SNAPSHOT_STATES = (
    "logged_out", "not_ready", "idle", "ringing", "on_call", "wrap_up",
)


def _snapshot_state(seat: Seat) -> str:
    if seat.presence is Presence.LOGGED_OUT:
        return "logged_out"
    if seat.activity is Activity.IDLE:
        return "idle" if seat.presence is Presence.AVAILABLE else "not_ready"
    return seat.activity.value

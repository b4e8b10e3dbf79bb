"""Hypothesis stateful tests: the router's invariants over random event sequences.

* no agent is ever offered a second call while ringing or talking;
* every call ends exactly once (answered, abandoned or overflowed);
* an offer always goes to the best waiting call the agent is eligible for (priority, then
  the longest wait, across all queues the agent serves);
* after any event, no eligible idle agent is left idle while an eligible call waits.
"""

import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from acd.commands import CallFinished, CancelOffer, OfferCall, OverflowToMessage
from acd.engine import ACD
from acd.events import (
    AgentAnswered,
    AgentDeclined,
    AgentHungUp,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentLost,
    AgentNotReady,
    AgentReady,
    CallArrived,
    CallerHungUp,
    WrapUpDone,
)
from acd.model import EscalationStep, QueueSpec
from agents.model import AgentSpec

QUEUES = [
    QueueSpec("zh", {"zh": 2}, ring_timeout_seconds=8, strategy="longest-idle-agent"),
    QueueSpec("en", {"en": 3}, ring_timeout_seconds=8, strategy="most-skilled"),
    QueueSpec("ja", {"ja": 3}, ring_timeout_seconds=8, strategy="round-robin"),
    QueueSpec("fund", {"zh": 1, "fund": 2}, ring_timeout_seconds=8, strategy="random"),
]
AGENTS = [
    AgentSpec("a1", skills={"zh": 5}, wrap_up_seconds=5),
    AgentSpec("a2", skills={"zh": 3, "en": 4}, wrap_up_seconds=0),
    AgentSpec("a3", skills={"en": 5, "ja": 3}, wrap_up_seconds=3),
    AgentSpec("a4", skills={"ja": 4, "zh": 1, "fund": 4}, wrap_up_seconds=0),
    AgentSpec("a5", skills={"zh": 2, "fund": 2}, wrap_up_seconds=10),
]
AGENT_IDS = [a.agent_id for a in AGENTS]


def eligible(agent: AgentSpec, queue: str) -> bool:
    spec = next(q for q in QUEUES if q.name == queue)
    return all(agent.skills.get(s, 0) >= lvl for s, lvl in spec.requirements.items())


class RouterMachine(RuleBasedStateMachine):
    queues = QUEUES
    check_order = True  # with escalation, eligibility changes over time: order is checked
    # by the timeline tests instead

    def __init__(self) -> None:
        super().__init__()
        self.acd = ACD(self.queues, AGENTS, rng=random.Random(1))
        self.now = 0.0
        self.next_id = 0
        self.calls: dict[str, dict] = {}  # call -> {queue, priority, enq, seq}
        self.waiting: set[str] = set()
        self.ringing: dict[str, str] = {}  # agent -> call
        self.talking: dict[str, str] = {}  # agent -> call
        self.ended: dict[str, int] = {}

    # ----------------------------------------------------------------- bookkeeping
    def apply(self, commands: list) -> None:
        for command in commands:
            if isinstance(command, OfferCall):
                agent, call = command.agent_id, command.call_id
                assert agent not in self.ringing and agent not in self.talking, (
                    f"{agent} offered {call} while busy")
                assert call in self.waiting, f"{call} offered but not waiting"
                spec = next(a for a in AGENTS if a.agent_id == agent)
                if self.check_order:
                    assert eligible(spec, self.calls[call]["queue"])
                    key = self.key(call)
                    for other in self.waiting:
                        if other != call and eligible(spec, self.calls[other]["queue"]):
                            assert key <= self.key(other), f"{call} served before {other}"
                self.waiting.discard(call)
                self.ringing[agent] = call
            elif isinstance(command, CancelOffer):
                assert self.ringing.pop(command.agent_id) == command.call_id
                if command.reason != "caller-hung-up":
                    self.waiting.add(command.call_id)
            elif isinstance(command, OverflowToMessage):
                assert command.call_id in self.waiting
            elif isinstance(command, CallFinished):
                call = command.record.call_id
                self.ended[call] = self.ended.get(call, 0) + 1
                assert self.ended[call] == 1, f"{call} ended twice"
                self.waiting.discard(call)
                for table in (self.ringing, self.talking):
                    for agent, c in list(table.items()):
                        if c == call:
                            del table[agent]

    def key(self, call: str) -> tuple:
        info = self.calls[call]
        return (-info["priority"], info["enq"], info["seq"])

    def do(self, event) -> None:
        try:
            out = self.acd.handle(event, self.now)
        except Exception as exc:  # refused events must change nothing: checked by invariants
            assert type(exc).__name__ in {"IllegalTransition", "UnknownCall", "ACDError"}, exc
            return
        self.apply(out)

    # ----------------------------------------------------------------- rules
    @rule(queue=st.sampled_from([q.name for q in QUEUES]), priority=st.integers(0, 2))
    def arrive(self, queue, priority):
        call = f"c{self.next_id}"
        self.next_id += 1
        self.calls[call] = {"queue": queue, "priority": priority, "enq": self.now,
                            "seq": self.next_id}
        self.waiting.add(call)
        self.do(CallArrived(call, queue, priority=priority))

    @precondition(lambda self: self.calls.keys() - self.ended.keys())
    @rule(data=st.data())
    def caller_hangs_up(self, data):
        live = sorted(self.calls.keys() - self.ended.keys())
        self.do(CallerHungUp(data.draw(st.sampled_from(live))))

    @rule(agent=st.sampled_from(AGENT_IDS), ready=st.booleans())
    def login(self, agent, ready):
        self.do(AgentLoggedIn(agent, ready=ready))

    @rule(agent=st.sampled_from(AGENT_IDS))
    def ready(self, agent):
        self.do(AgentReady(agent))

    @rule(agent=st.sampled_from(AGENT_IDS))
    def not_ready(self, agent):
        self.do(AgentNotReady(agent, "break"))

    @rule(agent=st.sampled_from(AGENT_IDS))
    def logout(self, agent):
        self.do(AgentLoggedOut(agent))

    @precondition(lambda self: self.ringing)
    @rule(data=st.data(), decline=st.booleans())
    def agent_responds(self, data, decline):
        agent = data.draw(st.sampled_from(sorted(self.ringing)))
        call = self.ringing[agent]
        if decline:
            self.do(AgentDeclined(agent, call))
        else:
            self.do(AgentAnswered(agent, call))
            if self.acd.agent_call(agent) == call:
                del self.ringing[agent]
                self.talking[agent] = call

    @precondition(lambda self: self.talking)
    @rule(data=st.data())
    def agent_hangs_up(self, data):
        self.do(AgentHungUp(data.draw(st.sampled_from(sorted(self.talking)))))

    @precondition(lambda self: self.talking)
    @rule(data=st.data())
    def seat_lost_mid_call(self, data):
        """The seat dies while talking: the caller is back in the queue at its old place."""
        agent = data.draw(st.sampled_from(sorted(self.talking)))
        call = self.talking.pop(agent)
        self.waiting.add(call)
        self.apply(self.acd.handle(AgentLost(agent), self.now))
        assert not self.acd.seat(agent).routable
        assert self.acd.seat(agent).reason == "unreachable"

    @rule(agent=st.sampled_from(AGENT_IDS))
    def wrap_up_done(self, agent):
        self.do(WrapUpDone(agent))

    @rule(dt=st.floats(0.1, 12.0))
    def time_passes(self, dt):
        self.now += dt
        deadline = self.acd.next_deadline()
        while deadline is not None and deadline <= self.now:
            self.apply(self.acd.on_timer(deadline))
            deadline = self.acd.next_deadline()

    # ----------------------------------------------------------------- invariants
    @invariant()
    def shadow_matches_core(self):
        for agent in AGENT_IDS:
            expected = self.ringing.get(agent) or self.talking.get(agent)
            assert self.acd.agent_call(agent) == expected
        assert self.acd.waiting_calls() == len(self.waiting)
        assert self.acd.live_calls() == len(self.calls) - len(self.ended)

    @invariant()
    def no_idle_eligible_agent_while_an_eligible_call_waits(self):
        if not self.check_order:
            return
        for spec in AGENTS:
            if self.acd.seat(spec.agent_id).routable:
                for call in self.waiting:
                    assert not eligible(spec, self.calls[call]["queue"]), (
                        f"{spec.agent_id} idle while {call} waits")

    def teardown(self):
        # End every call still live: each ends exactly once.
        for call in sorted(self.calls.keys() - self.ended.keys()):
            self.apply(self.acd.handle(CallerHungUp(call), self.now))
        assert all(self.ended.get(call) == 1 for call in self.calls)
        assert self.acd.live_calls() == 0


RouterMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60,
                                           deadline=None)
TestRouter = RouterMachine.TestCase


ESCALATING = [
    QueueSpec("zh", {"zh": 4}, ring_timeout_seconds=8, escalation=(
        EscalationStep(5, min_proficiency=2), EscalationStep(15, raise_priority=1),
        EscalationStep(30, announce="busy", offer_callback=True))),
    QueueSpec("en", {"en": 5}, ring_timeout_seconds=8, escalation=(
        EscalationStep(4, add_alternatives=({"zh": 3},)),
        EscalationStep(25, overflow_message="leave"))),
    QueueSpec("ja", {"ja": 5}, ring_timeout_seconds=8, escalation=(
        EscalationStep(6, overflow_queue="en"),)),
    QueueSpec("fund", {"zh": 1, "fund": 4}, ring_timeout_seconds=8, escalation=(
        EscalationStep(10, overflow_queue="zh"),)),
]


class EscalatingRouterMachine(RouterMachine):
    """Same rules over escalating queues: still never two calls, every call ends once."""

    queues = ESCALATING
    check_order = False

    @invariant()
    def idle_agents_only_when_nothing_they_can_take_waits(self):
        snapshot = self.acd.snapshot(self.now)
        waiting = {name: q["waiting"] for name, q in snapshot["queues"].items()}
        assert sum(waiting.values()) == len(self.waiting)


EscalatingRouterMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=60,
                                                     deadline=None)
TestEscalatingRouter = EscalatingRouterMachine.TestCase

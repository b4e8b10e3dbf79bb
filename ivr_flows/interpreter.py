"""The pure IVR interpreter: one ``FlowRun`` per call, events in, commands out.

No I/O and no clock: every entry point takes ``now`` (seconds, any epoch); the run reports
``next_deadline()`` and expects ``on_timer(now)`` (or ``TimerFired``) once it has passed.
Whatever goes wrong inside a node sends the caller to the flow's ``fallback`` node, so a
fault ends in a queue rather than in silence.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

from ivr_flows import commands as c
from ivr_flows import events as e
from ivr_flows.digit_checks import CHECKS, NORMALISERS
from ivr_flows.loader import FlowSet
from ivr_flows.model import (
    RETRY,
    CallbackNode,
    CollectNode,
    Flow,
    GotoNode,
    HangUpNode,
    MenuNode,
    PinnedPrompt,
    PlayNode,
    PromptRef,
    QueryNode,
    ReturnNode,
    RouteNode,
    SayValue,
    SetNode,
    SubflowNode,
    SurveyNode,
    TransferNode,
)

MAX_STEPS = 200
"""Nodes entered without waiting for the caller before a loop is declared a fault."""

Durations = Callable[[c.PlayItem], float]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the run ended: ``enqueued``, ``transferred``, ``hung_up`` (by the flow),
    ``caller_hung_up``, ``returned`` or ``failed``."""

    kind: str
    flow: str
    node: str
    at: float


class IllegalEvent(RuntimeError):
    """The event makes no sense in the run's state; the run is unchanged."""


class FlowRun:
    """One caller's walk through a flow."""

    def __init__(
        self,
        flows: FlowSet,
        flow: str,
        *,
        language: str | None = None,
        variables: Mapping[str, str] | None = None,
        durations: Durations | None = None,
        prompt_guard: float = 5.0,
        call_id: Hashable = None,
    ) -> None:
        self.call_id = call_id
        self._flows = flows
        self._flow: Flow = flows[flow]
        self._departments = flows.context.departments
        self.language = language or self._flow.language or flows.context.default_language
        self.variables: dict[str, str] = dict(variables or {})
        self.scores: dict[str, int] = {}
        self.path: list[str] = []
        """Nodes entered, as ``flow:node``."""
        self.errors: list[str] = []
        self.outcome: Outcome | None = None
        self.started_at: float | None = None
        self._durations = durations
        self._guard = prompt_guard if durations else 120.0
        self._stack: list[tuple[Flow, str | None]] = []
        self._name = self._flow.start
        self._phase = "new"  # new | playing | asking | query | done
        self._playing: int | None = None
        self._play_seq = 0
        self._query_id: int | None = None
        self._digits = ""
        self._attempt = 0
        self._deadline: float | None = None
        self._late_terminator: tuple[str, float] | None = None
        """(key, until): a full-length entry's terminator still expected, whatever node is next."""

    # ---- public surface -------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def node(self) -> str:
        return self._name

    @property
    def playing(self) -> int | None:
        """The ``play_id`` whose ``PromptFinished`` the run waits for, if any."""
        return self._playing

    def next_deadline(self) -> float | None:
        return None if self.finished else self._deadline

    def collected(self) -> list[tuple[str, str, str | None]]:
        """What the caller keyed into collect nodes and was accepted, in the order the nodes
        were entered: ``(variable, value, validator)`` (a node entered twice counts once)."""
        out: dict[str, tuple[str, str, str | None]] = {}
        for entry in self.path:
            flow, _, name = entry.partition(":")
            node = self._flows[flow].nodes.get(name) if flow in self._flows else None
            if isinstance(node, CollectNode) and node.into in self.variables:
                out[node.into] = (node.into, self.variables[node.into], node.validator)
        return list(out.values())

    def on_timer(self, now: float) -> list[c.Command]:
        if self.finished or self._deadline is None or now < self._deadline:
            return []
        self._deadline = None
        return self._guarded(now, lambda: self._timer(now))

    def handle(self, event: e.Event, now: float) -> list[c.Command]:
        if self.finished:
            return []
        if self._phase == "new" and not isinstance(event, e.CallStarted | e.CallerHungUp):
            raise IllegalEvent(f"{type(event).__name__} before CallStarted")
        match event:
            case e.CallStarted():
                if self._phase != "new":
                    raise IllegalEvent("CallStarted twice")
                return self._guarded(now, lambda: self._start(event, now))
            case e.CallerHungUp():
                self._finish("caller_hung_up", now)
                return []
            case e.TimerFired():
                return self.on_timer(now)
            case e.PromptFinished(play_id=play_id):
                if play_id != self._playing:
                    return []  # stale: stopped by barge-in or replaced
                return self._guarded(now, lambda: self._prompt_finished(now))
            case e.DigitPressed(digit=digit):
                return self._guarded(now, lambda: self._digit(digit, now))
            case e.QueryAnswered():
                if self._phase != "query" or event.query_id != self._query_id:
                    return []
                return self._guarded(now, lambda: self._answered(event, now))
        raise IllegalEvent(f"unknown event {event!r}")

    # ---- event handlers -------------------------------------------------------------------

    def _start(self, event: e.CallStarted, now: float) -> list[c.Command]:
        self.started_at = now
        if event.line:
            self.variables.setdefault("line", event.line)
        return self._goto(self._flow.start, now)

    def _prompt_finished(self, now: float) -> list[c.Command]:
        self._playing = None
        if self._phase == "asking":
            node = self._current()
            self._deadline = now + (node.inter_digit if self._digits else node.wait)
            return []
        return self._act(now)

    def _digit(self, digit: str, now: float) -> list[c.Command]:
        late, self._late_terminator = self._late_terminator, None
        if late is not None and digit == late[0] and now <= late[1]:
            return []  # "18 digits, then #": the # ends the entry already taken, not the next menu
        node = self._current()
        out: list[c.Command] = []
        if self._phase == "playing" and isinstance(node, PlayNode) and node.barge_in:
            out.append(c.StopPlaying(self._playing))
            self._playing = None
            return out + self._act(now)
        if self._phase != "asking":
            return []  # keys during a non-interruptible prompt or a query are ignored
        if self._playing is not None:
            out.append(c.StopPlaying(self._playing))  # barge-in
            self._playing = None
        return out + self._key(node, digit, now)

    def _timer(self, now: float) -> list[c.Command]:
        node = self._current()
        if self._playing is not None:  # PromptFinished never came: carry on as if it had
            return self._prompt_finished(now)
        if self._phase == "query":
            return self._goto(node.outcomes["error"], now)
        if isinstance(node, CollectNode) and self._digits:
            return self._complete(node, now)
        if isinstance(node, CallbackNode):
            return self._goto(node.declined, now)
        return self._branch(node, node.timeout, node.timeout_prompts, now)

    def _answered(self, event: e.QueryAnswered, now: float) -> list[c.Command]:
        node = self._current()
        self.variables.update({k: str(v) for k, v in event.values.items()})
        target = node.outcomes.get(event.outcome, node.outcomes["error"])
        return self._goto(target, now)

    # ---- nodes ----------------------------------------------------------------------------

    def _key(self, node, digit: str, now: float) -> list[c.Command]:
        if isinstance(node, MenuNode):
            if digit in node.choices:
                return self._goto(node.choices[digit], now)
            return self._branch(node, node.invalid, node.invalid_prompts, now)
        if isinstance(node, SurveyNode):
            if digit.isdigit() and node.lowest <= int(digit) <= node.highest:
                self.scores[node.name] = int(digit)
                return [c.RecordScore(node.name, int(digit)), *self._goto(node.next, now)]
            return self._branch(node, node.invalid, node.invalid_prompts, now)
        if isinstance(node, CallbackNode):
            if digit == node.accept:
                cmd = c.ScheduleCallback(self.language, node.queue)
                return [cmd, *self._goto(node.accepted, now)]
            return self._goto(node.declined, now)
        # collect
        if not self._digits and node.escape_key and digit == node.escape_key:
            return self._goto(node.escape, now)
        if node.terminator and digit == node.terminator:
            return self._complete(node, now)
        self._digits += digit
        if len(self._digits) >= node.max_length:
            if node.terminator:
                self._late_terminator = (node.terminator, now + node.inter_digit)
            return self._complete(node, now)
        self._deadline = now + node.inter_digit
        return []

    def _complete(self, node: CollectNode, now: float) -> list[c.Command]:
        value, self._digits = self._digits, ""
        check = CHECKS.get(node.validator or "", lambda _v: True)
        if not node.min_length <= len(value) <= node.max_length or not check(value):
            return self._branch(node, node.invalid, node.invalid_prompts, now)
        self.variables[node.into] = NORMALISERS.get(node.validator or "", str)(value)
        return self._goto(node.next, now)

    def _branch(self, node, branch: str, lead: Sequence[PromptRef], now: float):
        if branch != RETRY:
            return self._goto(branch, now)
        self._attempt += 1
        if self._attempt >= node.tries:
            return self._goto(node.failure, now)
        return self._ask(node, now, lead)

    def _goto(self, name: str, now: float) -> list[c.Command]:
        out: list[c.Command] = []
        for _ in range(MAX_STEPS):
            self._name = name
            self._attempt = 0
            self._digits = ""
            self._deadline = None
            self.path.append(f"{self._flow.flow}:{name}")
            node = self._current()
            if isinstance(node, MenuNode | CollectNode | SurveyNode | CallbackNode):
                return out + self._ask(node, now, ())
            if node.prompts:
                self._phase = "playing"
                return out + [self._play(node.prompts, now, getattr(node, "barge_in", False))]
            step, target = self._step(node, now)
            out += step
            if target is None:
                return out
            name = target
        raise RuntimeError(f"flow '{self._flow.flow}' runs in a loop without waiting")

    def _act(self, now: float) -> list[c.Command]:
        """After a node's prompts: do what the node does, then enter the next node."""
        step, target = self._step(self._current(), now)
        return step if target is None else step + self._goto(target, now)

    def _step(self, node, now: float) -> tuple[list[c.Command], str | None]:
        """A node's action: commands, and the next node to enter (None: wait or end)."""
        if isinstance(node, PlayNode):
            return [], node.next
        if isinstance(node, GotoNode):
            return [], node.target
        if isinstance(node, SetNode):
            self.variables.update(node.variables)
            if node.language and node.language != self.language:
                self.language = node.language
                return [c.SetLanguage(node.language)], node.next
            return [], node.next
        if isinstance(node, SubflowNode):
            self._stack.append((self._flow, node.next))
            self._flow = self._flows[node.flow]
            return [], self._flow.start
        if isinstance(node, ReturnNode):
            if self._stack:
                self._flow, target = self._stack.pop()
                return [], target
            self._finish("returned", now)
            return [c.ReturnControl()], None
        if isinstance(node, RouteNode):
            cmd = c.Enqueue(node.queue, node.language or self.language, node.priority,
                            dict(node.requirements), node.service)
            self._finish("enqueued", now)
            return [cmd], None
        if isinstance(node, TransferNode):
            cmd = c.Transfer(node.department, self._departments[node.department])
            self._finish("transferred", now)
            return [cmd], None
        if isinstance(node, HangUpNode):
            self._finish("hung_up", now)
            return [c.HangUp()], None
        if isinstance(node, QueryNode):
            self._play_seq += 1
            self._query_id = self._play_seq
            self._phase = "query"
            self._deadline = now + node.timeout
            args = {arg: self.variables.get(var, "") for arg, var in node.inputs.items()}
            return [c.RunQuery(self._query_id, node.plugin, args)], None
        raise RuntimeError(f"node kind {node.kind} has no action")

    def _ask(self, node, now: float, lead: Sequence[PromptRef]) -> list[c.Command]:
        self._phase = "asking"
        self._digits = ""
        out: list[c.Command] = []
        refs = [*lead, *node.prompts]
        if refs:
            out.append(self._play(refs, now, barge_in=True))
        else:
            self._deadline = now + node.wait
        if isinstance(node, CollectNode):
            out.append(c.CollectDigits(node.min_length, node.max_length, node.terminator,
                                       node.wait, node.inter_digit))
        else:
            out.append(c.CollectDigits(1, 1, None, node.wait, node.wait))
        return out

    # ---- helpers --------------------------------------------------------------------------

    def _current(self):
        return self._flow.nodes[self._name]

    def _play(self, refs: Sequence[PromptRef], now: float, barge_in: bool) -> c.PlayPrompts:
        items = tuple(self._item(ref) for ref in refs)
        self._play_seq += 1
        self._playing = self._play_seq
        estimate = sum(self._durations(i) for i in items) if self._durations else 0.0
        self._deadline = now + estimate + self._guard
        return c.PlayPrompts(self._playing, items, barge_in)

    def _item(self, ref: PromptRef) -> c.PlayItem:
        if isinstance(ref, SayValue):
            return c.Number(self.variables[ref.say], ref.style, ref.language or self.language)
        if isinstance(ref, PinnedPrompt):
            return c.Prompt(ref.key, ref.language)
        return c.Prompt(ref, self.language)

    def _finish(self, kind: str, now: float) -> None:
        self._phase = "done"
        self._late_terminator = None
        self._deadline = None
        self._playing = None
        self.outcome = Outcome(kind, self._flow.flow, self._name, now)

    def _guarded(self, now: float, handler: Callable[[], list[c.Command]]) -> list[c.Command]:
        """Error boundary: a fault inside a node sends the caller to the fallback node."""
        try:
            return handler()
        except Exception as exc:  # noqa: BLE001 - any fault must end in a queue, not silence
            self.errors.append(f"{self._flow.flow}:{self._name}: {exc!r}")
            fallback = self._flow.fallback
            if fallback and self._name != fallback and len(self.errors) == 1:
                out: list[c.Command] = []
                if self._playing is not None:
                    out.append(c.StopPlaying(self._playing))
                    self._playing = None
                try:
                    return out + self._goto(fallback, now)
                except Exception as again:  # noqa: BLE001
                    self.errors.append(f"{self._flow.flow}:{fallback}: {again!r}")
            self._finish("failed", now)
            return [c.HangUp()]

"""Vocabulary of the outbound core: kinds of work, ways to run a call, outcomes, rules, commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from outbound.hours import CallingHours


class Kind(StrEnum):
    RETURN_VISIT = "return_visit"  # 回访 of a closed (replied or directly answered) case
    REVISIT = "revisit"  # the visit after a re-handling (重办)
    MISSED_CALL = "missed_call"  # a caller who abandoned or was refused at overload


class Mode(StrEnum):
    SURVEY = "survey"  # the engine calls and plays the return-visit questions
    AGENT = "agent"  # the ACD offers the task to an agent; the seat rings first, then the citizen


class CallOutcome(StrEnum):
    """How one dial attempt ended, as a telephony path reports it."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"  # network or trunk failure: worth another try
    INVALID = "invalid"  # the number does not exist (404, 484, 604): never again
    SILENT = "silent"  # answered but nobody spoke or keyed: not reached


@dataclass(frozen=True)
class KindRules:
    """Attempts and spacing for one kind of work. ``spacing`` is seconds before the next try
    after each outcome; ``window`` is how long after creation a task may still be dialled
    (None: until its own due time, e.g. the case's visit deadline)."""

    mode: Mode = Mode.SURVEY
    max_attempts: int = 3
    spacing: dict[CallOutcome, float] = field(default_factory=lambda: {
        CallOutcome.BUSY: 600.0, CallOutcome.NO_ANSWER: 3600.0, CallOutcome.FAILED: 1800.0,
        CallOutcome.SILENT: 3600.0})
    window: float | None = None
    queue: str | None = None  # the ACD queue of agent tasks
    preview: bool = False  # agent tasks: the agent reads the case and starts the call (else progressive)
    max_concurrent: int = 10  # survey calls of this kind in progress at once

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts: must be at least 1")
        if self.max_concurrent < 1:
            raise ValueError("max_concurrent: must be at least 1")
        for outcome, seconds in self.spacing.items():
            if seconds < 0:
                raise ValueError(f"spacing.{outcome}: must not be negative")
        if self.mode is Mode.AGENT and not self.queue:
            raise ValueError("queue: an agent campaign needs the ACD queue its tasks go to")


@dataclass(frozen=True)
class Rules:
    """What every outbound call obeys."""

    hours: CallingHours = field(default_factory=CallingHours)
    kinds: dict[Kind, KindRules] = field(default_factory=lambda: {
        Kind.RETURN_VISIT: KindRules(), Kind.REVISIT: KindRules(),
        Kind.MISSED_CALL: KindRules(max_attempts=2, window=2 * 3600.0)})
    missed_call_period: float = 24 * 3600.0  # a number is called back at most once per period
    do_not_call: frozenset[str] = frozenset()  # national numbers

    def of(self, kind: Kind) -> KindRules:
        rules = self.kinds.get(kind)
        if rules is None:
            raise ValueError(f"kinds: no rules for {kind.value}")
        return rules


@dataclass(frozen=True, slots=True)
class Answers:
    """What the citizen keyed in a survey call (or the agent recorded)."""

    solved: bool
    satisfied: bool
    score: int | None = None  # 1-5 where the config asks for it

    @classmethod
    def of(cls, scores: dict[str, int]) -> Answers | None:
        """A survey flow's scores (1 yes, 2 no); None unless both questions were answered."""
        solved, satisfied = scores.get("solved"), scores.get("satisfied")
        if solved is None or satisfied is None:
            return None
        return cls(solved=solved == 1, satisfied=satisfied == 1, score=scores.get("score"))


# ---- commands out


@dataclass(frozen=True, slots=True)
class Dial:
    """Call ``number`` (validated, national form) showing ``caller_id`` (the line's number)."""

    task_id: str
    number: str
    caller_id: str
    kind: Kind
    mode: Mode
    attempt: int
    case_id: str | None = None
    language: str = "zh"


@dataclass(frozen=True, slots=True)
class TaskEnded:
    """A task is over: ``reached`` with ``answers`` (a survey or an agent's entry), or not
    reached after its attempts, or stopped (``reason``: do-not-call, expired, cancelled)."""

    task_id: str
    kind: Kind
    number: str
    reached: bool
    attempts: int
    reason: str
    case_id: str | None = None
    call_id: str | None = None
    answers: Answers | None = None


Command = Dial | TaskEnded

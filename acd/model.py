"""Queue definitions the ACD is built from: requirements, strategy, escalation, service level."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ClockStart = Literal["queue_entry", "arrival"]

# A requirement set: every (skill, minimum proficiency) pair must be met.
RequirementSet = frozenset[tuple[str, int]]


def requirement_set(skills: Mapping[str, int]) -> RequirementSet:
    """Freeze a ``{skill: minimum proficiency}`` mapping into a hashable requirement set."""
    return frozenset((skill, int(level)) for skill, level in skills.items())


@dataclass(frozen=True, slots=True)
class ServiceLevelPolicy:
    """How the service level is counted: the one definition the engine, the simulator, the
    staffing calculator, reports and the wallboard all use, and print (``describe``).

    service level = answered within the threshold / (answered + overflowed [+ abandoned,
    less the short abandons]). Calls still waiting are not counted yet.

    * ``threshold_seconds``: an answer within this wait counts as within target.
    * ``abandons_in_denominator``: abandoned calls count in the denominator.
    * ``short_abandon_seconds``: abandons before this wait are left out of the denominator.
    * ``clock_start``: the wait is measured from queue entry or from call arrival (before IVR).
    """

    threshold_seconds: float = 15.0
    abandons_in_denominator: bool = True
    short_abandon_seconds: float = 0.0
    clock_start: ClockStart = "queue_entry"

    def is_short_abandon(self, wait: float) -> bool:
        """An abandon after ``wait`` (the service-level wait) too short to count."""
        return wait < self.short_abandon_seconds

    def denominator(self, *, answered: int, abandoned: int, short_abandons: int,
                    overflowed: int) -> int:
        """The calls the service level is counted over."""
        counted = answered + overflowed
        if self.abandons_in_denominator:
            counted += abandoned - short_abandons
        return counted

    def ratio(self, within: int, *, answered: int, abandoned: int, short_abandons: int,
              overflowed: int) -> float | None:
        """The service level; None before any call is counted."""
        counted = self.denominator(answered=answered, abandoned=abandoned,
                                   short_abandons=short_abandons, overflowed=overflowed)
        return within / counted if counted else None

    def describe(self) -> str:
        """One line naming the definition, for every command that prints a service level."""
        base = ("answered + overflowed + abandoned" if self.abandons_in_denominator
                else "answered + overflowed")
        short = (
            f", abandons under {self.short_abandon_seconds:g} s excluded"
            if self.short_abandon_seconds > 0
            else ""
        )
        start = "call arrival" if self.clock_start == "arrival" else "queue entry"
        return (
            f"service level = answered within {self.threshold_seconds:g} s / "
            f"({base}{short}); wait measured from {start}"
        )


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One escalation step, applied once a call has waited ``after_seconds`` in the queue.

    A step never costs the caller their place: the original enqueue time keeps ordering.
    """

    after_seconds: float
    min_proficiency: int | None = None
    add_alternatives: tuple[Mapping[str, int], ...] = ()
    raise_priority: int = 0
    announce: str | None = None
    offer_callback: bool = False
    overflow_queue: str | None = None
    overflow_message: str | None = None


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue: who may take its calls, how agents are ranked, and how it escalates."""

    name: str
    requirements: Mapping[str, int]
    strategy: str = "longest-idle-agent"
    ring_timeout_seconds: float = 15.0
    escalation: tuple[EscalationStep, ...] = ()
    service_level: ServiceLevelPolicy = field(default_factory=ServiceLevelPolicy)
    priority: int = 0

    def levels(self) -> list[tuple[frozenset[RequirementSet], int]]:
        """Requirement alternatives and extra priority after each escalation step.

        Entry ``k`` is the state after the first ``k`` steps have applied.
        """
        alternatives = {requirement_set(self.requirements)}
        priority = 0
        out = [(frozenset(alternatives), priority)]
        for step in self.escalation:
            if step.min_proficiency is not None:
                cap = step.min_proficiency
                alternatives = {
                    frozenset((s, min(level, cap)) for s, level in alt) for alt in alternatives
                }
            for extra in step.add_alternatives:
                alternatives.add(requirement_set(extra))
            priority += step.raise_priority
            out.append((frozenset(alternatives), priority))
        return out

    def could_serve(self, skills: Mapping[str, int]) -> bool:
        """True if an agent with ``skills`` is eligible at some escalation level."""
        return any(all(skills.get(skill, 0) >= level for skill, level in alternative)
                   for alternatives, _ in self.levels() for alternative in alternatives)

    def describe_requirements(self) -> str:
        """``zh>=3 general>=2``, and the alternatives its escalation adds (``or en>=4``)."""
        seen = [alternative for alternatives, _ in self.levels()
                for alternative in sorted(alternatives, key=sorted)]
        texts = list(dict.fromkeys(" ".join(f"{s}>={level}" for s, level in sorted(alt))
                                   for alt in seen))
        return " or ".join(texts)

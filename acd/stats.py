"""Per-queue accounting kept by the core: offered, answered, abandoned, waits and talk."""

from __future__ import annotations

from dataclasses import dataclass, field

from acd.model import ServiceLevelPolicy


@dataclass(slots=True)
class QueueStats:
    """Counters of one queue since the ACD started (or since ``reset``)."""

    policy: ServiceLevelPolicy = field(default_factory=ServiceLevelPolicy)
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    overflowed: int = 0
    answered_within_threshold: int = 0
    short_abandons: int = 0
    wait_answered_total: float = 0.0
    wait_abandoned_total: float = 0.0
    max_wait: float = 0.0
    talk_total: float = 0.0
    talk_count: int = 0

    def record_answer(self, wait: float, sl_wait: float) -> None:
        self.answered += 1
        self.wait_answered_total += wait
        self.max_wait = max(self.max_wait, wait)
        if sl_wait <= self.policy.threshold_seconds:
            self.answered_within_threshold += 1

    def record_abandon(self, wait: float, sl_wait: float) -> None:
        self.abandoned += 1
        self.wait_abandoned_total += wait
        self.max_wait = max(self.max_wait, wait)
        if self.policy.is_short_abandon(sl_wait):
            self.short_abandons += 1

    def record_talk(self, talk: float) -> None:
        self.talk_total += talk
        self.talk_count += 1

    @property
    def service_level_denominator(self) -> int:
        """Calls the service level is counted over, by the policy's definition."""
        return self.policy.denominator(answered=self.answered, abandoned=self.abandoned,
                                       short_abandons=self.short_abandons,
                                       overflowed=self.overflowed)

    @property
    def service_level(self) -> float | None:
        """Answered within threshold / denominator; None before any call is counted."""
        return self.policy.ratio(self.answered_within_threshold, answered=self.answered,
                                 abandoned=self.abandoned, short_abandons=self.short_abandons,
                                 overflowed=self.overflowed)

    @property
    def connection_rate(self) -> float | None:
        """Answered / offered (GB/T 33358 asks for at least 95 %)."""
        return self.answered / self.offered if self.offered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    @property
    def asa(self) -> float | None:
        """Average speed of answer, seconds."""
        return self.wait_answered_total / self.answered if self.answered else None

    @property
    def aht(self) -> float | None:
        """Average talk time of completed answered calls, seconds (wrap-up not included)."""
        return self.talk_total / self.talk_count if self.talk_count else None

    def as_dict(self) -> dict[str, float | int | None | str]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "overflowed": self.overflowed,
            "answered_within_threshold": self.answered_within_threshold,
            "short_abandons": self.short_abandons,
            "service_level": self.service_level,
            "connection_rate": self.connection_rate,
            "abandon_rate": self.abandon_rate,
            "asa_seconds": self.asa,
            "aht_seconds": self.aht,
            "max_wait_seconds": self.max_wait,
            "service_level_definition": self.policy.describe(),
        }

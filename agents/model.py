"""Agent skills: what an agent can do, with proficiency 1 (basic) to 5 (expert)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MIN_PROFICIENCY = 1
MAX_PROFICIENCY = 5


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """One agent as the roster describes them.

    ``skills`` maps a skill name (a language code such as ``en``, a service such as
    ``housing_fund``, or a line such as ``line:12329``) to a proficiency from 1 to 5.
    """

    agent_id: str
    name: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)
    wrap_up_seconds: float = 30.0

    def __post_init__(self) -> None:
        for skill, level in self.skills.items():
            if not MIN_PROFICIENCY <= level <= MAX_PROFICIENCY:
                raise ValueError(
                    f"agent {self.agent_id}: skill {skill!r} has proficiency {level}, "
                    f"allowed {MIN_PROFICIENCY}..{MAX_PROFICIENCY}"
                )
        if self.wrap_up_seconds < 0:
            raise ValueError(f"agent {self.agent_id}: wrap_up_seconds must be >= 0")

    def proficiency(self, skill: str) -> int:
        """The agent's proficiency in ``skill``, 0 when they do not have it."""
        return self.skills.get(skill, 0)

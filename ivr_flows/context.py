"""What a flow may refer to: enabled languages, queues, departments and plug-ins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LANGUAGES = ("zh", "en", "ja", "ko", "fr", "de", "ru")


@dataclass(frozen=True)
class FlowContext:
    """The validator's view of the hotline config; build by hand or with ``from_config``."""

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    default_language: str = "zh"
    queues: frozenset[str] = frozenset()
    departments: Mapping[str, str] = field(default_factory=dict)
    """Department id -> the number a transfer dials."""
    plugins: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, cfg: Any, plugins: Iterable[str] = ()) -> FlowContext:
        """Read ``languages``, ``default_language``, ``queues``, ``departments`` (duck-typed)."""
        languages = tuple(cfg.languages)
        return cls(
            languages=languages,
            default_language=getattr(cfg, "default_language", None) or languages[0],
            queues=frozenset(q.name for q in cfg.queues),
            departments={d.id: str(d.number) for d in cfg.departments},
            plugins=frozenset(plugins),
        )

"""Prompt durations (key and language -> seconds), from built WAVs or estimated from text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ivr_flows import inputs
from ivr_flows.catalogue import Catalogue
from ivr_flows.commands import Number, PlayItem, Prompt
from ivr_flows.say import number_prompts

CHARS_PER_SECOND = {"zh": 4.0, "ja": 6.5, "ko": 5.0}
"""Speaking rates for the estimate; other languages use ``DEFAULT_RATE``."""
DEFAULT_RATE = 12.0
PAUSE = 0.3


NUMERAL_SECONDS = 0.65
"""A numeral text ("97", "300") is said as a number word: 0.3 to 1.1 s in every language."""


def estimate_seconds(text: str, language: str) -> float:
    """A rough speaking time for ``text``."""
    if len(text) > 1 and text.isdigit():
        return NUMERAL_SECONDS
    letters = sum(1 for ch in text if not ch.isspace())
    return PAUSE + letters / CHARS_PER_SECOND.get(language, DEFAULT_RATE)


class PromptDurations:
    """Callable table: ``durations(item)`` gives the seconds a play item lasts."""

    def __init__(self, seconds: Mapping[tuple[str, str], float], default: float = 2.0) -> None:
        self.seconds = dict(seconds)
        self.default = default

    def __call__(self, item: PlayItem) -> float:
        if isinstance(item, Number):
            return sum(self(p) for p in number_prompts(item))
        assert isinstance(item, Prompt)
        return self.seconds.get((item.key, item.language), self.default)

    def total(self, items: tuple[PlayItem, ...] | list[PlayItem]) -> float:
        return sum(self(i) for i in items)

    @classmethod
    def estimated(cls, catalogue: Catalogue) -> PromptDurations:
        return cls({(key, lang): estimate_seconds(text, lang)
                    for key, texts in catalogue.texts.items() for lang, text in texts.items()})

    @classmethod
    def from_manifest(cls, path: Path | str) -> PromptDurations:
        """Read the ``manifest.json`` that ``callcenter prompts build`` writes."""
        entries = json.loads(inputs.read_bytes(path).decode("utf-8"))["prompts"]
        return cls({(e["key"], e["language"]): float(e["seconds"]) for e in entries})

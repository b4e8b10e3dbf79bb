"""The prompt catalogue: every prompt key with its text per language and the TTS voices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ivr_flows.yaml_limits import read_text
from ivr_flows.yaml_source import SourceMap, load_data, load_yaml

PROMPTS_DIR = Path(__file__).parent / "prompts"
CATALOGUE_PATH = PROMPTS_DIR / "catalogue.yaml"


@dataclass(frozen=True)
class Catalogue:
    path: Path
    voices: dict[str, str]
    """Language -> espeak-ng voice."""
    texts: dict[str, dict[str, str]]
    """Prompt key -> language -> text."""
    yaml_text: str = field(repr=False)
    """The file's text, to find lines in when a message names one."""

    @cached_property
    def source(self) -> SourceMap:
        """Where each key stands: composed only when a message asks (a third of the loading)."""
        return load_yaml(self.yaml_text, str(self.path))[1]

    def text(self, key: str, language: str) -> str:
        return self.texts[key][language]

    def line(self, key: str, language: str | None = None) -> int:
        path = ("prompts", key, language) if language else ("prompts", key)
        return self.source.line(path)

    def problem(self, key: str, languages: Iterable[str]) -> str | None:
        """Why ``key`` cannot be played in every one of ``languages``, or None."""
        if key not in self.texts:
            return f"unknown prompt '{key}' (not in {self.path.name})"
        lacking = [lang for lang in languages if not str(self.texts[key].get(lang) or "").strip()]
        if lacking:
            return (f"prompt '{key}' has no text for enabled language "
                    f"{', '.join(repr(lang) for lang in lacking)} ({self.path.name}:{self.line(key)})")
        return None

    def missing(self, languages: tuple[str, ...]) -> list[str]:
        """Messages for every key or voice lacking one of ``languages``."""
        out = []
        for lang in languages:
            if lang not in self.voices:
                out.append(f"{self.path.name}:{self.source.line(('voices',))}: "
                           f"no voice for language '{lang}'")
        for key, texts in self.texts.items():
            for lang in languages:
                if not str(texts.get(lang) or "").strip():
                    out.append(f"{self.path.name}:{self.line(key)}: prompt '{key}' "
                               f"has no text for language '{lang}'")
        return out


def load_catalogue(path: Path | str = CATALOGUE_PATH) -> Catalogue:
    path = Path(path)
    text = read_text(path)
    data = load_data(text, str(path))
    if not isinstance(data, dict) or not isinstance(data.get("prompts"), dict):
        raise ValueError(f"{path}:1: a prompt catalogue needs a 'prompts' mapping")
    texts = {str(k): {str(lang): str(t) for lang, t in (v or {}).items()}
             for k, v in data["prompts"].items()}
    voices = {str(k): str(v) for k, v in (data.get("voices") or {}).items()}
    return Catalogue(path=path, voices=voices, texts=texts, yaml_text=text)

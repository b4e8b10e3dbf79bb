"""SMS notice templates: one YAML file of ``kind -> language -> text``, validated with file
and line for every problem, rendered for a case in its language (else the default one).

Kinds and the placeholders each may use:

* ``intake`` (受理): ``{case_id}``, ``{line}``, ``{center}``
* ``closure`` (办结, with the reply or direct answer): the same and ``{reply}``
* ``closure_no_reply`` (办结 without one: withdrawn, duplicate, not accepted)
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from callcenter.config.yaml_source import Loc, SourceError, SourceIssue, SourceMap, dotted, load_yaml_or_raise
from callcenter.sms.text import segmentation

KINDS: dict[str, frozenset[str]] = {
    "intake": frozenset({"case_id", "line", "center"}),
    "closure": frozenset({"case_id", "line", "center", "reply"}),
    "closure_no_reply": frozenset({"case_id", "line", "center"}),
}
REQUIRED_LANGUAGES = ("zh", "en")
LANGUAGES = ("zh", "en", "ja", "ko", "fr", "de", "ru")
SAMPLE = {"case_id": "20260101-000001", "line": "12345", "center": "12345", "reply": ""}
_SPACE = re.compile(r"\s+")


class TemplateError(SourceError):
    """The templates file is invalid; every issue names file, line and field."""


def default_templates_path() -> Path:
    return Path(str(resources.files("callcenter.sms") / "data" / "templates.yaml"))


@dataclass(frozen=True)
class Templates:
    texts: dict[str, dict[str, str]]
    source: str = ""

    def language_for(self, kind: str, language: str, default: str = "zh") -> str:
        texts = self.texts[kind]
        return language if language in texts else (default if default in texts else "zh")

    def render(self, kind: str, language: str, values: dict[str, str], *, max_segments: int = 6,
               default: str = "zh") -> str:
        """The notice's text in ``language`` (else ``default``). ``{reply}`` is cut, with an
        ellipsis, so that the message takes at most ``max_segments`` SMS."""
        template = self.texts[kind][self.language_for(kind, language, default)]
        values = {**values, "reply": _SPACE.sub(" ", values.get("reply", "")).strip()}
        text = template.format_map(values)
        reply = values["reply"]
        if segmentation(text).segments <= max_segments or "{reply}" not in template:
            return text
        low, high = 0, len(reply)  # the longest cut that fits
        while low < high:
            middle = (low + high + 1) // 2
            if segmentation(template.format_map({**values, "reply": _cut(reply, middle)})).segments \
                    <= max_segments:
                low = middle
            else:
                high = middle - 1
        return template.format_map({**values, "reply": _cut(reply, low)})


def _cut(reply: str, n: int) -> str:
    if n >= len(reply):
        return reply
    ellipsis = "..." if reply.isascii() else "…"
    return reply[:max(0, n - len(ellipsis))].rstrip() + ellipsis


def load_templates(path: Path | str | None = None, *, max_segments: int = 6) -> Templates:
    """The templates in ``path`` (default: the shipped file). Raises ``TemplateError``."""
    path = Path(path) if path is not None else default_templates_path()
    data, source = load_yaml_or_raise(path, TemplateError)
    issues = check_templates(data, source, max_segments)
    if issues:
        raise TemplateError(issues)
    return Templates({k: dict(v) for k, v in data.items()}, str(path))


def check_templates(data: object, source: SourceMap, max_segments: int) -> list[SourceIssue]:
    issues: list[SourceIssue] = []

    def add(loc: Loc, message: str) -> None:
        issues.append(SourceIssue(source.locate(loc), dotted(loc), message))

    if not isinstance(data, dict):
        add((), "expected a mapping of kind -> language -> text")
        return issues
    for kind in KINDS:
        if kind not in data:
            add((), f"{kind}: required template kind is missing")
    for kind, texts in data.items():
        if kind not in KINDS:
            add((kind,), f"unknown kind (expected one of {', '.join(KINDS)})")
            continue
        if not isinstance(texts, dict):
            add((kind,), "expected a mapping of language -> text")
            continue
        for language in REQUIRED_LANGUAGES:
            if language not in texts:
                add((kind,), f"{language}: required language is missing")
        for language, text in texts.items():
            loc = (kind, language)
            if language not in LANGUAGES:
                add(loc, f"unknown language (expected one of {', '.join(LANGUAGES)})")
            elif not isinstance(text, str) or not text.strip():
                add(loc, "expected a non-empty text")
            else:
                problem = _placeholder_problem(text, KINDS[kind])
                if problem:
                    add(loc, problem)
                else:
                    segments = segmentation(text.format_map(SAMPLE)).segments
                    if segments > max_segments:
                        add(loc, f"takes {segments} SMS without the reply (max_segments is {max_segments})")
    return issues


def _placeholder_problem(text: str, allowed: frozenset[str]) -> str | None:
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"bad braces: {exc} (write {{{{ and }}}} for literal braces)"
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            return f"unknown placeholder {{{name}}} (allowed: {', '.join(sorted(allowed))})"
        if spec or conversion:
            return f"placeholder {{{name}}}: no format spec or conversion allowed"
    return None

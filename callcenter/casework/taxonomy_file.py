"""Reading a request taxonomy file (YAML) into ``cases.taxonomy.Taxonomy``, validated, with
every problem named by file, line and field (the default is the shipped
``cases/data/taxonomy.yaml``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from callcenter.config.yaml_source import (
    Origin,
    SourceError,
    SourceIssue,
    SourceMap,
    dotted,
    load_yaml,
    loads_yaml,
)
from cases.taxonomy import DEFAULT_PATH, EMERGENCY_NUMBERS, Category, EmergencyHint, Kind, Taxonomy

__all__ = ["SourceError", "load_taxonomy", "loads_taxonomy", "parse_taxonomy"]

_CODE = re.compile(r"^[0-9]{2,12}$")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy file; raises ``SourceError`` listing every problem."""
    data, source = load_yaml(Path(path) if path is not None else DEFAULT_PATH)
    return parse_taxonomy(data, source)


def loads_taxonomy(text: str, filename: str = "<taxonomy>") -> Taxonomy:
    data, source = loads_yaml(text, filename)
    return parse_taxonomy(data, source)


def parse_taxonomy(data: Any, source: SourceMap) -> Taxonomy:
    issues: list[SourceIssue] = []

    def issue(loc: tuple[str | int, ...], message: str) -> None:
        issues.append(SourceIssue(source.locate(loc), dotted(loc), message))

    if not isinstance(data, dict):
        raise SourceError([SourceIssue(Origin(source.default_file, 1), "", "expected a mapping")])
    for key in sorted(set(data) - {"categories", "emergency"}):
        issue((key,), "unknown field")
    categories: dict[str, Category] = {}
    top = data.get("categories")
    if not isinstance(top, list) or not top:
        issue(("categories",), "expected a non-empty list")
    else:
        _walk(top, ("categories",), None, None, categories, issue)
    hints = _emergency(data.get("emergency", []), issue)
    if issues:
        raise SourceError(issues)
    return Taxonomy(categories, hints)


def _walk(items: Any, loc: tuple[str | int, ...], parent: Category | None, kind: Kind | None,
          out: dict[str, Category], issue: Any) -> None:
    if not isinstance(items, list):
        issue(loc, "expected a list")
        return
    for index, item in enumerate(items):
        here = (*loc, index)
        if not isinstance(item, dict):
            issue(here, "expected a mapping with code and name")
            continue
        for key in sorted(set(item) - {"code", "name", "kind", "children"}):
            issue((*here, key), "unknown field")
        code, name = item.get("code"), item.get("name")
        if not isinstance(code, str) or not _CODE.match(code):
            issue((*here, "code"), "expected a quoted string of 2-12 digits")
            continue
        if parent is not None and not (code.startswith(parent.code) and len(code) > len(parent.code)):
            issue((*here, "code"), f"{code!r} must extend its parent's code {parent.code!r}")
            continue
        if parent is None and len(code) != 2:
            issue((*here, "code"), "a top-level code has two digits")
            continue
        if code in out:
            issue((*here, "code"), f"duplicate code {code!r}")
            continue
        if not isinstance(name, str) or not name.strip():
            issue((*here, "name"), "expected a non-empty name")
            continue
        own_kind = kind
        if "kind" in item:
            if parent is not None:
                issue((*here, "kind"), "only a top-level category has a kind")
                continue
            try:
                own_kind = Kind(item["kind"])
            except ValueError:
                issue((*here, "kind"), f"expected one of {', '.join(k.value for k in Kind)}")
                continue
        if own_kind is None:
            issue(here, "a top-level category needs a kind")
            continue
        category = Category(code, name.strip(), own_kind, parent.code if parent else None)
        out[code] = category
        if "children" in item:
            _walk(item["children"], (*here, "children"), category, own_kind, out, issue)


def _emergency(items: Any, issue: Any) -> tuple[EmergencyHint, ...]:
    if not isinstance(items, list):
        issue(("emergency",), "expected a list")
        return ()
    hints = []
    for index, item in enumerate(items):
        here = ("emergency", index)
        if not isinstance(item, dict):
            issue(here, "expected a mapping with number, name and words")
            continue
        for key in sorted(set(item) - {"number", "name", "words"}):
            issue((*here, key), "unknown field")
        number, words = item.get("number"), item.get("words")
        if number not in EMERGENCY_NUMBERS:
            issue((*here, "number"), f"expected one of {', '.join(EMERGENCY_NUMBERS)} (quoted)")
            continue
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
            issue((*here, "words"), "expected a non-empty list of words")
            continue
        hints.append(EmergencyHint(number, str(item.get("name", number)), tuple(words)))
    return tuple(hints)

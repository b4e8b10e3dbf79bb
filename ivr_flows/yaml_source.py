"""YAML with line numbers: compose once, keep each value's line for error messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from ivr_flows.yaml_limits import FAST_LOADER, check_limits


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Maps a path of keys/indexes (``("nodes", "greeting", "choices", "9")``) to a line."""

    lines: dict[tuple[Any, ...], int]
    duplicates: list[tuple[tuple[Any, ...], int]] = field(default_factory=list)

    def line(self, path: Sequence[Any]) -> int:
        """Line (1-based) of the deepest known prefix of ``path``; unknown parts are skipped."""
        best = self.lines.get((), 1)
        known: tuple[Any, ...] = ()
        for part in path:
            for candidate in (part, str(part)):
                if (*known, candidate) in self.lines:
                    known = (*known, candidate)
                    best = self.lines[known]
                    break
        return best


def load_yaml(text: str, name: str = "<string>") -> tuple[Any, SourceMap]:
    """Parse one YAML document; return its plain data and a ``SourceMap``.

    Raises ``yaml.YAMLError``, or ``YamlLimitError`` for a document too deep or too large.
    """
    check_limits(text, name)
    try:  # libyaml when present (see FAST_LOADER); its refusal is left to the pure loader's words
        node = yaml.compose(text, Loader=FAST_LOADER)
        data = yaml.load(text, Loader=FAST_LOADER) if node is not None else None  # noqa: S506
    except yaml.YAMLError:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader) if node is not None else None  # noqa: S506
    if node is None:
        return None, SourceMap({(): 1})
    lines: dict[tuple[Any, ...], int] = {}
    duplicates: list[tuple[tuple[Any, ...], int]] = []
    _walk(node, (), lines, duplicates)
    return data, SourceMap(lines, duplicates)


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: dict, duplicates: list) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                duplicates.append((child, key_node.start_mark.line + 1))
                continue
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, duplicates)

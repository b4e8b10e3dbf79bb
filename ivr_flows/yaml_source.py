"""YAML with line numbers: compose once, keep each value's line for error messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ivr_flows.yaml_cache import cached_parse
from ivr_flows.yaml_limits import check_limits, fast_loader

if TYPE_CHECKING:
    import yaml


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

    Raises ``yaml.YAMLError``, or ``YamlLimitError`` for a document too deep or too large. The
    parse may come from an earlier run's for the same text (``ivr_flows.yaml_cache``).
    """
    return cached_parse("lines", text, lambda text: _parse_with_lines(text, name), _decode)


def _parse_with_lines(text: str, name: str) -> dict[str, Any]:
    check_limits(text, name)
    node, data = compose_and_construct(text)
    if node is None:
        return {"data": None, "lines": [[[], 1]], "duplicates": []}
    lines: dict[tuple[Any, ...], int] = {}
    duplicates: list[tuple[tuple[Any, ...], int]] = []
    _walk(node, (), lines, duplicates)
    return {"data": data, "lines": [[list(path), line] for path, line in lines.items()],
            "duplicates": [[list(path), line] for path, line in duplicates]}


def _decode(parsed: dict[str, Any]) -> tuple[Any, SourceMap]:
    return parsed["data"], SourceMap({tuple(path): line for path, line in parsed["lines"]},
                                     [(tuple(path), line) for path, line in parsed["duplicates"]])


def load_data(text: str, name: str = "<string>") -> Any:
    """``load_yaml``'s data alone, without composing the node tree the lines come from (a third
    of the time); for documents whose lines are looked up only in messages, if ever."""
    return cached_parse("data", text, lambda text: _parse_data(text, name), lambda data: data)


def _parse_data(text: str, name: str) -> Any:
    import yaml

    check_limits(text, name)
    try:  # libyaml when present (see fast_loader); its refusal is left to the pure loader's words
        return yaml.load(text, Loader=fast_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506


def compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """``yaml.compose`` and ``yaml.load`` of ``text`` in one pass: the data is constructed from
    the composed nodes, as ``yaml.load`` does, rather than from a second parse of the text. By
    libyaml when present (see fast_loader); a document it refuses is read by the pure parser,
    whose words the error then has. Check the limits first (``check_limits``)."""
    import yaml

    try:
        return _compose_and_construct(text, fast_loader())
    except yaml.YAMLError:
        return _compose_and_construct(text, yaml.SafeLoader)


def _compose_and_construct(text: str, loader_class: type) -> tuple[yaml.Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: dict, duplicates: list) -> None:
    import yaml

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

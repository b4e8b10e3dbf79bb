"""YAML with line numbers: compose once, keep each value's line for error messages.

The one reader of located YAML: flows (``load_yaml``, a ``SourceMap`` of lines and the keys
given twice) and the config, scenarios and the other files of ``callcenter.config.yaml_source``
(``parse_lines``, which it turns into file and line origins) share its parse, and so its entry
in the parse cache. Paths are the data's own keys: an integer key (``5: ...``) is the integer
5, as in the data; a key given twice is listed in ``duplicates`` and its lines are those of
its last value (the one the data holds); merge keys (``<<: *defaults``) give the merged
values the lines of the mapping they come from, and a key the mapping gives itself keeps its
own line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ivr_flows.yaml_cache import cached_parse
from ivr_flows.yaml_limits import check_limits, fast_loader

if TYPE_CHECKING:
    import yaml

Path_ = tuple[Any, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"
T = TypeVar("T")


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
            for candidate in _spellings(part):
                if (*known, candidate) in self.lines:
                    known = (*known, candidate)
                    best = self.lines[known]
                    break
        return best


def _spellings(part: Any) -> tuple[Any, ...]:
    """A path part as the data may have it: ``"9"`` is also the integer key 9, and back."""
    if isinstance(part, str) and part.isdigit():
        return part, int(part)
    return (part, str(part)) if isinstance(part, int) else (part,)


def load_yaml(text: str, name: str = "<string>") -> tuple[Any, SourceMap]:
    """Parse one YAML document; return its plain data and a ``SourceMap``.

    Raises ``yaml.YAMLError``, or ``YamlLimitError`` for a document too deep or too large. The
    parse may come from an earlier run's for the same text (``ivr_flows.yaml_cache``).
    """
    data, lines, duplicates = parse_lines(text, name)
    return data, SourceMap(lines, duplicates)


def parse_lines(text: str, name: str = "<string>") -> tuple[Any, dict[Path_, int],
                                                            list[tuple[Path_, int]]]:
    """One YAML document's data, the line of each path in it and the keys given twice (path
    and line of the repeat); raises as ``load_yaml`` does."""
    return cached_parse("lines", text, lambda text: _parse_with_lines(text, name), _decode)


def _parse_with_lines(text: str, name: str) -> dict[str, Any]:
    check_limits(text, name)
    walked, data = compose_and_construct(text, _lines)
    lines, duplicates = walked or ({(): 1}, [])
    return {"data": data, "lines": [[list(path), line] for path, line in lines.items()],
            "duplicates": [[list(path), line] for path, line in duplicates]}


def _lines(node: yaml.Node) -> tuple[dict[Path_, int], list[tuple[Path_, int]]]:
    lines: dict[Path_, int] = {}
    duplicates: list[tuple[Path_, int]] = []
    _walk(node, (), lines, duplicates)
    return lines, duplicates


def _decode(parsed: dict[str, Any]) -> tuple[Any, dict[Path_, int], list[tuple[Path_, int]]]:
    return (parsed["data"], {tuple(path): line for path, line in parsed["lines"]},
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


def compose_and_construct(text: str, walk: Callable[[yaml.Node], T]) -> tuple[T | None, Any]:
    """``walk`` of the node tree ``yaml.compose`` gives and ``yaml.load``'s data, in one pass:
    the data is constructed from the composed nodes, as ``yaml.load`` does, rather than from a
    second parse of the text; ``walk`` sees the nodes before (construction merges the values
    of merge keys into their mappings). None for an empty document. By libyaml when present
    (see fast_loader); a document it refuses is read by the pure parser, whose words the error
    then has. Check the limits first (``check_limits``)."""
    import yaml

    try:
        return _compose_and_construct(text, fast_loader(), walk)
    except yaml.YAMLError:
        return _compose_and_construct(text, yaml.SafeLoader, walk)


def _compose_and_construct(text: str, loader_class: type,
                           walk: Callable[[yaml.Node], T]) -> tuple[T | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        walked = walk(node)
        return walked, loader.construct_document(node)
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path_, lines: dict, duplicates: list) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        own, merged = _split(node)
        last: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
        for key, key_node, value_node in own:
            if key in last:  # the data holds the last value: only its lines are walked
                duplicates.append(((*path, key), key_node.start_mark.line + 1))
            last[key] = key_node, value_node
        for key, (key_node, value_node) in last.items():
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, duplicates)
        _walk_merged(merged, path, set(last), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, duplicates)


def _walk_merged(merged: list[yaml.Node], path: Path_, given: set[Any], lines: dict) -> None:
    """Merge keys' mappings (``<<: *a`` or ``<<: [*a, *b]``, the first one given winning) add
    the keys the mapping at ``path`` does not give itself. (A key given twice in them is
    reported where they are written.)"""
    import yaml

    for value_node in merged:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                continue  # PyYAML refuses it when it constructs the data
            own, inner = _split(source)
            for key, key_node, item in own:
                if key not in given:
                    given.add(key)
                    lines[(*path, key)] = key_node.start_mark.line + 1
                    _walk(item, (*path, key), lines, [])
            _walk_merged(inner, path, given, lines)


def _split(node: yaml.MappingNode) -> tuple[list[tuple[Any, yaml.Node, yaml.Node]], list[yaml.Node]]:
    """A mapping's own pairs (key, key node, value node) and its merge keys' values."""
    own, merged = [], []
    for key_node, value_node in node.value:
        if key_node.tag == MERGE_TAG:
            merged.append(value_node)
        else:
            own.append((_key(key_node), key_node, value_node))
    return own, merged


def _key(node: yaml.Node) -> Any:
    """A mapping key as the data has it: an integer for an integer scalar, else its text."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:int":
            try:
                return int(node.value)
            except ValueError:
                return node.value
        return node.value
    return str(node.value)

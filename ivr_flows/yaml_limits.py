"""Checks run on YAML text before it is composed: encoding, nesting depth, size after aliases.

PyYAML composes recursively (a hundred thousand ``[`` exhaust Python's stack) and expands
aliases when the document is walked (nine aliases of nine aliases of ... make billions of
values out of a few hundred bytes). The checks read the event stream, which PyYAML produces
without recursion, and refuse such documents with ``file:line: message``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr_flows import inputs

if TYPE_CHECKING:
    import yaml


@cache
def fast_loader() -> Any:
    """libyaml's parser when PyYAML has it (about ten times faster, also without recursion); a
    document it refuses is read again by the pure parser, so errors read the same either way.
    (PyYAML is imported here, on first use: a run whose documents are all in the parse cache,
    ``ivr_flows.yaml_cache``, does without it.)"""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_error(name: str = "YAMLError") -> type[Exception]:
    """PyYAML's exception class ``name`` for an ``except`` clause, which evaluates it only when
    an exception is being matched: PyYAML is not imported on the way that raises none."""
    import yaml

    return getattr(yaml, name)


def __getattr__(name: str) -> Any:
    if name == "FAST_LOADER":
        return fast_loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

MAX_DEPTH = 64
"""Nested mappings and lists; real configs and flows use fewer than ten."""
MAX_VALUES = 200_000
"""Values in the document with every alias expanded (the shipped config has a few thousand)."""


class YamlLimitError(ValueError):
    """The text is not UTF-8 or the document is too deep or too large; names file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


def read_text(path: Path | str) -> str:
    """A file's text as UTF-8, or ``YamlLimitError`` naming the line of the first bad byte."""
    data = inputs.read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlLimitError(str(path), line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                              f"save the file as UTF-8") from None


def check_limits(text: str, filename: str, *, max_depth: int = MAX_DEPTH,
                 max_values: int = MAX_VALUES) -> None:
    """Raise ``YamlLimitError`` if the document nests deeper or expands larger than allowed.

    YAML syntax errors are left to the caller's parser (they raise ``yaml.YAMLError`` here too).
    """
    import yaml

    if fast_loader() is not yaml.SafeLoader:
        try:
            _check_events(yaml.parse(text, Loader=fast_loader()), filename, max_depth, max_values)
            return
        except yaml.YAMLError:
            pass  # the pure parser below raises its own message, as without libyaml
    _check_events(yaml.parse(text, Loader=yaml.SafeLoader), filename, max_depth, max_values)


def _check_events(events: Iterator[yaml.Event], filename: str, max_depth: int,
                  max_values: int) -> None:
    import yaml

    expanded = 0  # values so far, aliases counted with everything they stand for
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    open_: list[tuple[str | None, int]] = []  # (anchor, expanded when the collection started)
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent):
            expanded += sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            expanded += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            expanded += 1
            open_.append((event.anchor, expanded - 1))
            if len(open_) > max_depth:
                raise YamlLimitError(filename, line, f"nested deeper than {max_depth} levels")
        elif isinstance(event, yaml.CollectionEndEvent) and open_:
            anchor, start = open_.pop()
            if anchor:
                sizes[anchor] = expanded - start
        if expanded > max_values:
            raise YamlLimitError(filename, line, f"more than {max_values} values once aliases "
                                                 f"are expanded (an alias bomb?)")

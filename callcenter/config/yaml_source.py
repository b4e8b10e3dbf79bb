"""YAML loading that remembers where every value came from (file and line)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ivr_flows.yaml_limits import YamlLimitError, read_text, yaml_error
from ivr_flows.yaml_source import parse_lines

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Origin:
    file: str
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(slots=True)
class SourceMap:
    """Origins of values by their path in the loaded document."""

    origins: dict[Loc, Origin] = field(default_factory=dict)
    default_file: str = "<config>"

    def locate(self, loc: Iterable[str | int]) -> Origin:
        """The origin of ``loc`` or of its nearest ancestor that has one."""
        path = tuple(loc)
        while path:
            origin = self.origins.get(path)
            if origin is not None:
                return origin
            path = path[:-1]
        return self.origins.get((), Origin(self.default_file, 1))


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """One problem in a YAML source, located by file, line and field path."""

    origin: Origin
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.field}: {self.message}" if self.field else (
            f"{self.origin}: {self.message}"
        )


class SourceError(ValueError):
    """A YAML source is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[SourceIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def dotted(loc: Iterable[str | int]) -> str:
    """``("queues", 1, "strategy")`` -> ``queues[1].strategy``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validation_issues(exc: ValidationError, source: SourceMap) -> list[SourceIssue]:
    """pydantic's errors as issues located by file, line and dotted field."""
    issues = []
    for error in exc.errors():
        # Drop pydantic's union/tag segments such as "function-after[...]".
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field is missing"
        issues.append(SourceIssue(source.locate(loc), dotted(loc), message))
    return issues


def validate_mapping(model: type[M], data: Any, source: SourceMap, error: type[SourceError]) -> M:
    """``model`` validated from loaded YAML ``data``; problems raise ``error`` with located issues."""
    if not isinstance(data, dict):
        raise error([SourceIssue(source.locate(()), "", "expected a mapping")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(validation_issues(exc, source)) from None


class YamlError(ValueError):
    """The file is not valid YAML; ``origin`` is the file and line, ``message`` the rest."""

    def __init__(self, origin: Origin, message: str) -> None:
        super().__init__(f"{origin}: {message}")
        self.origin, self.message = origin, message


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Load one YAML file, returning the data and where each value stands."""
    try:
        text = read_text(path)
    except YamlLimitError as exc:
        raise YamlError(Origin(exc.file, exc.line), exc.message) from None
    return loads_yaml(text, str(path))


def load_yaml_or_raise(path: Path, error: type[SourceError]) -> tuple[Any, SourceMap]:
    """``load_yaml``; an unreadable or malformed file raises ``error`` with one located issue."""
    try:
        return load_yaml(path)
    except YamlError as exc:
        line, _, message = str(exc).removeprefix(f"{path}:").partition(": ")
        if line.isdigit():
            raise error([SourceIssue(Origin(str(path), int(line)), "", message)]) from None
        raise error([SourceIssue(Origin(str(path), 1), "", str(exc))]) from None
    except OSError as exc:
        raise error([SourceIssue(Origin(str(path), 1), "",
                                 f"cannot read: {exc.strerror or exc}")]) from None


def loads_yaml(text: str, filename: str) -> tuple[Any, SourceMap]:
    """``text`` parsed (``ivr_flows.yaml_source.parse_lines``, maybe from an earlier run's
    parse) with the origin of every value; an invalid document raises ``YamlError`` naming
    ``filename`` and the line."""
    try:
        data, lines, _ = parse_lines(text, filename)
    except yaml_error("MarkedYAMLError") as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlError(Origin(filename, line), f"invalid YAML: {exc.problem or exc}") from None
    except yaml_error() as exc:
        raise YamlError(Origin(filename, 1), f"invalid YAML: {exc}") from None
    except YamlLimitError as exc:
        raise YamlError(Origin(exc.file, exc.line), exc.message) from None
    source = SourceMap(default_file=filename)
    source.origins.update((loc, Origin(filename, line)) for loc, line in lines.items())
    return data, source

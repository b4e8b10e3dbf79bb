"""Option types and the exit for user mistakes shared by the commands: one line, exit 2."""

from __future__ import annotations

import importlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import click


class UserError(click.ClickException):
    """A mistake on the command line: click prints ``Error: message`` and exits 2."""

    exit_code = 2


def fail(message: str) -> NoReturn:
    """Stop the command with a one-line message and exit status 2."""
    raise UserError(message)


def require(module: str, what: str, extra: str) -> None:
    """Stop with the install command when an optional dependency is missing."""
    try:
        importlib.import_module(module)
    except ImportError:
        fail(f"{what} needs {module}, which is not installed: pip install -e '.[{extra}]'")


def _name(param: click.Parameter | None) -> str:
    return param.opts[0] if param is not None and param.opts else "value"


class Quantity(click.ParamType):
    """A float above ``minimum`` (or from it, unless ``strict``): never NaN, finite unless
    ``infinite`` allows +inf (such as a patience of callers who never give up)."""

    name = "number"

    def __init__(self, minimum: float = 0.0, *, strict: bool = True, infinite: bool = False) -> None:
        self.minimum, self.strict, self.infinite = minimum, strict, infinite

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                fail(f"{_name(param)}: {value!r} is not a number")
        if math.isnan(number):
            fail(f"{_name(param)}: {value} is not a number")
        if math.isinf(number) and not (self.infinite and number > 0):
            fail(f"{_name(param)}: {value} is not a finite number")
        if number < self.minimum or (self.strict and number == self.minimum):
            relation = "more than" if self.strict else "at least"
            fail(f"{_name(param)}: must be {relation} {self.minimum:g}, got {value}")
        return number


class Count(click.ParamType):
    """A whole number from ``minimum`` up (a seed, a count)."""

    name = "integer"

    def __init__(self, minimum: int = 0) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            fail(f"{_name(param)}: {value!r} is not a whole number")
        if number < self.minimum:
            fail(f"{_name(param)}: must be {self.minimum} or more, got {value}")
        return number


class OutputFile(click.ParamType):
    """A file to write later: its folder must exist and be writable now, before any work."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        path = Path(value)
        folder = path.parent
        if path.is_dir():
            fail(f"{_name(param)}: {value} is a folder, not a file")
        if not folder.is_dir():
            fail(f"{_name(param)}: folder {folder} does not exist")
        try:
            with tempfile.TemporaryFile(dir=folder):  # can a file be made there (root, /proc)?
                pass
        except OSError as exc:
            fail(f"{_name(param)}: cannot write in folder {folder} ({exc.strerror or exc})")
        if path.exists() and not os.access(path, os.W_OK):
            fail(f"{_name(param)}: cannot write {value} (permission denied)")
        return str(value)

"""Load errors that name the file, the line and the node."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlowIssue:
    file: str
    line: int
    node: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:"
        if self.node:
            return f"{where} node '{self.node}': {self.message}"
        return f"{where} {self.message}"


class FlowError(ValueError):
    """One or more flows are invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[FlowIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))

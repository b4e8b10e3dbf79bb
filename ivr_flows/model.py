"""Flow definitions as typed data: one pydantic model per node kind.

The models check shapes only; graph, prompt and config checks live in ``ivr_flows.checks``.
Exits that a flow may forget (``next``, ``failure``, ...) are optional here so that the checks
can report them as a node with no way out rather than as a bare schema error.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ivr_flows.strict_model import STRICT

RETRY = "retry"
"""As an ``invalid``/``timeout`` branch: play the retry prompt and ask again (uses a try)."""


class _Strict(BaseModel):
    model_config = ConfigDict(**STRICT, populate_by_name=True)


class PinnedPrompt(_Strict):
    """A prompt always spoken in one language, whatever the call's language."""

    key: str
    language: str


class SayValue(_Strict):
    """Read a variable out: ``{say: balance, as: amount}``."""

    say: str
    style: Literal["digits", "number", "amount"] = Field("number", alias="as")
    language: str | None = None


PromptRef = str | PinnedPrompt | SayValue


class _Node(_Strict):
    prompts: list[PromptRef] = []

    def exits(self) -> dict[str, str]:
        """Outgoing branches: label -> target node (``retry`` excluded)."""
        return {}

    terminal: ClassVar[bool] = False
    """True when the node ends the flow (route, transfer, hang-up, return)."""


class _Asking(_Node):
    """Shared by nodes that wait for keys: tries, wait and retry prompts."""

    tries: int = Field(3, ge=1, le=9)
    wait: float = Field(5.0, gt=0, le=60)
    invalid: str | None = None
    timeout: str | None = None
    failure: str | None = None
    invalid_prompts: list[PromptRef] = ["invalid_input"]
    timeout_prompts: list[PromptRef] = ["no_input"]

    def exits(self) -> dict[str, str]:
        branches = {"invalid": self.invalid, "timeout": self.timeout, "failure": self.failure}
        return {k: v for k, v in branches.items() if v and v != RETRY}


class PlayNode(_Node):
    kind: Literal["play"]
    next: str | None = None
    barge_in: bool = False

    def exits(self) -> dict[str, str]:
        return {"next": self.next} if self.next else {}


class MenuNode(_Asking):
    kind: Literal["menu"]
    choices: dict[str, str]

    def exits(self) -> dict[str, str]:
        return {**{f"choice {k}": v for k, v in self.choices.items()}, **super().exits()}


class CollectNode(_Asking):
    kind: Literal["collect"]
    into: str
    min_length: int = Field(1, ge=1)
    max_length: int = Field(20, ge=1, le=64)
    terminator: str | None = "#"
    inter_digit: float = Field(4.0, gt=0, le=30)
    validator: str | None = None
    escape_key: str | None = None
    """A key that, pressed first, leaves to ``escape`` (for example ``*`` for an agent)."""
    escape: str | None = None
    next: str | None = None

    def exits(self) -> dict[str, str]:
        out = {"next": self.next} if self.next else {}
        if self.escape:
            out["escape"] = self.escape
        return {**out, **super().exits()}


class SurveyNode(_Asking):
    """Asks for a score from ``lowest`` to ``highest`` and records it under ``name``."""

    kind: Literal["survey"]
    name: str = "satisfaction"
    lowest: int = Field(1, ge=0, le=9)
    highest: int = Field(5, ge=0, le=9)
    invalid: str | None = RETRY
    timeout: str | None = RETRY
    next: str | None = None

    def exits(self) -> dict[str, str]:
        out = {"next": self.next} if self.next else {}
        return {**out, **super().exits()}


class CallbackNode(_Node):
    """Offers a callback: ``accept`` key schedules it, anything else or silence declines."""

    kind: Literal["callback"]
    accept: str = "1"
    wait: float = Field(6.0, gt=0, le=60)
    queue: str | None = None
    accepted: str | None = None
    declined: str | None = None

    def exits(self) -> dict[str, str]:
        branches = {"accepted": self.accepted, "declined": self.declined}
        return {k: v for k, v in branches.items() if v}


class SetNode(_Node):
    kind: Literal["set"]
    language: str | None = None
    variables: dict[str, str] = {}
    next: str | None = None

    def exits(self) -> dict[str, str]:
        return {"next": self.next} if self.next else {}


class RouteNode(_Node):
    kind: Literal["route"]
    queue: str
    language: str | None = None
    service: str | None = None
    priority: int = 0
    requirements: dict[str, int] = {}
    terminal: ClassVar[bool] = True


class TransferNode(_Node):
    kind: Literal["transfer"]
    department: str
    terminal: ClassVar[bool] = True


class QueryNode(_Node):
    """Self-service query: ``inputs`` maps plug-in argument -> variable; answers merge into
    the variables; ``outcomes`` maps the plug-in's outcome -> node and must include ``error``."""

    kind: Literal["query"]
    plugin: str
    inputs: dict[str, str] = {}
    outcomes: dict[str, str]
    timeout: float = Field(5.0, gt=0, le=60)

    def exits(self) -> dict[str, str]:
        return {f"outcome {k}": v for k, v in self.outcomes.items()}


class HangUpNode(_Node):
    kind: Literal["hangup"]
    terminal: ClassVar[bool] = True


class ReturnNode(_Node):
    """Ends a sub-flow (back to the caller node's ``next``) or the flow (``ReturnControl``)."""

    kind: Literal["return"]
    terminal: ClassVar[bool] = True


class GotoNode(_Node):
    kind: Literal["goto"]
    target: str | None = None

    def exits(self) -> dict[str, str]:
        return {"target": self.target} if self.target else {}


class SubflowNode(_Node):
    kind: Literal["subflow"]
    flow: str
    next: str | None = None

    def exits(self) -> dict[str, str]:
        return {"next": self.next} if self.next else {}


Node = Annotated[
    PlayNode
    | MenuNode
    | CollectNode
    | SurveyNode
    | CallbackNode
    | SetNode
    | RouteNode
    | TransferNode
    | QueryNode
    | HangUpNode
    | ReturnNode
    | GotoNode
    | SubflowNode,
    Field(discriminator="kind"),
]

ASKING_KINDS = (MenuNode, CollectNode, SurveyNode, CallbackNode)


class Flow(_Strict):
    """One flow file: ``flow`` name, ``start`` node, optional ``fallback`` node for errors."""

    flow: str
    description: str = ""
    language: str | None = None
    start: str
    fallback: str | None = None
    nodes: dict[str, Node]

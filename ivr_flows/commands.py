"""Commands out of the IVR interpreter: what the adapter should do (imperative). No behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Prompt:
    """One recorded prompt: catalogue ``key`` spoken in ``language``."""

    key: str
    language: str


@dataclass(frozen=True, slots=True)
class Number:
    """A value read out in ``language``; ``style`` is ``digits``, ``number`` or ``amount``.

    Adapters render it natively (Asterisk ``SAY DIGITS``/``SAY NUMBER``) or with
    ``ivr_flows.say.number_prompts`` which spells it with the catalogue's digit prompts.
    """

    value: str
    style: str
    language: str


PlayItem = Prompt | Number


@dataclass(frozen=True, slots=True)
class PlayPrompts:
    """Play ``items`` in order; answer with ``PromptFinished(play_id)``.

    With ``barge_in`` a key press stops the playback (the interpreter sends ``StopPlaying``).
    """

    play_id: int
    items: tuple[PlayItem, ...]
    barge_in: bool


@dataclass(frozen=True, slots=True)
class StopPlaying:
    """Stop the playback ``play_id``."""

    play_id: int


@dataclass(frozen=True, slots=True)
class CollectDigits:
    """Keys are now expected; adapters report each as ``DigitPressed``.

    The interpreter keeps the timeouts itself (via ``next_deadline``); the figures are for
    adapters that gather keys natively, such as AGI ``GET DATA``.
    """

    min_digits: int
    max_digits: int
    terminator: str | None
    first_digit_timeout: float
    inter_digit_timeout: float


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """The caller chose ``language``: later prompts and queues follow it."""

    language: str


@dataclass(frozen=True, slots=True)
class Enqueue:
    """Hand the call to the ACD (``CallArrived``); the IVR is done with it."""

    queue: str
    language: str
    priority: int = 0
    requirements: Mapping[str, int] = field(default_factory=dict)
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """Blind-transfer the call to a department; ``number`` comes from the config only."""

    department_id: str
    number: str


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Run the registered plug-in ``plugin``; answer with ``QueryAnswered(query_id)``."""

    query_id: int
    plugin: str
    arguments: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RecordScore:
    """Store a score (for example ``satisfaction`` 1-5) against the call."""

    name: str
    score: int


@dataclass(frozen=True, slots=True)
class ScheduleCallback:
    """The caller accepted a callback; ``queue`` None means the queue the call waits in."""

    language: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class HangUp:
    """End the call."""


@dataclass(frozen=True, slots=True)
class ReturnControl:
    """The flow ended without ending the call; whoever started it carries on (hold music)."""


Command = (
    PlayPrompts
    | StopPlaying
    | CollectDigits
    | SetLanguage
    | Enqueue
    | Transfer
    | RunQuery
    | RecordScore
    | ScheduleCallback
    | HangUp
    | ReturnControl
)

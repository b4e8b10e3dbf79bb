"""Events to and from JSON-safe dicts (what the store persists and the API receives).

``event_to_dict`` adds a ``"type"`` key with the class name. ``event_from_dict`` is the gate for
anything from outside: unknown types, unknown or missing fields, wrong types, over-long text and
non-finite times raise ``EventFormatError`` naming the field."""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cases.errors import CaseError
from cases.events import EVENT_TYPES, Event

MAX_TEXT = 10_000  # request text, answers, replies
MAX_FIELD = 500  # every other string
_LONG_FIELDS = frozenset({"text", "answer", "note", "reason"})
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class EventFormatError(CaseError):
    """A dict is not a valid event; the message names the field."""


@cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-safe dict: enums as their values, tuples as lists, plus ``"type"``."""
    data = _adapter(type(event)).dump_python(event, mode="json")
    return {"type": type(event).__name__, **data}


def event_from_dict(data: Any) -> Event:
    """The event ``data`` describes; raises ``EventFormatError`` naming the bad field."""
    if not isinstance(data, dict):
        raise EventFormatError("event: expected an object")
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventFormatError(f"type: unknown event type {kind!r}")
    body = {k: v for k, v in data.items() if k != "type"}
    for name in body:
        if name not in cls.__slots__:
            raise EventFormatError(f"{kind}.{name}: unknown field")
    actor = body.get("actor")
    if isinstance(actor, dict):
        for name in actor:
            if name not in ("user", "role", "department"):
                raise EventFormatError(f"{kind}.actor.{name}: unknown field")
    try:
        event = _adapter(cls).validate_python(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "event"
        message = error["msg"].removeprefix("Value error, ")
        raise EventFormatError(f"{kind}.{field}: {message}") from None
    check_event(event)
    return event


def check_event(event: Event) -> None:
    """Bounds no type can say: id shape, finite time, string lengths."""
    kind = type(event).__name__
    if not _CASE_ID.match(event.case_id):
        raise EventFormatError(f"{kind}.case_id: expected 1-64 letters, digits or _.:-")
    if not math.isfinite(event.at) or event.at < 0:
        raise EventFormatError(f"{kind}.at: expected a finite time in epoch seconds")
    for name in event.__slots__:
        value = getattr(event, name)
        values = value if isinstance(value, tuple) else (value,)
        limit = MAX_TEXT if name in _LONG_FIELDS else MAX_FIELD
        for item in values:
            if isinstance(item, str) and len(item) > limit:
                raise EventFormatError(f"{kind}.{name}: longer than {limit} characters")

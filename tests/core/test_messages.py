"""Events and commands: values whose written-out ``__init__`` matches their fields."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

import acd.commands
import acd.events

MESSAGES = [
    cls
    for module in (acd.events, acd.commands)
    for _, cls in inspect.getmembers(module, inspect.isclass)
    if dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
]


def test_every_event_and_command_is_listed() -> None:
    names = {cls.__name__ for cls in MESSAGES}
    assert {"CallArrived", "AgentAnswered", "OfferCall", "CallRecord", "CallFinished"} <= names


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
def test_init_takes_every_field_in_order_with_its_default(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [object() for _ in fields]
    by_position = cls(*values)
    by_name = cls(**{f.name: v for f, v in zip(fields, values, strict=True)})
    for f, v in zip(fields, values, strict=True):
        assert getattr(by_position, f.name) is v, f.name
        assert getattr(by_name, f.name) is v, f.name
    required = {f.name: object() for f in fields if f.default is dataclasses.MISSING}
    minimal = cls(**required)
    for f in fields:
        expected = required.get(f.name, f.default)
        assert getattr(minimal, f.name) is expected or getattr(minimal, f.name) == expected, f.name


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
def test_equal_by_value_and_hashable(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [f"v{i}" for i in range(len(fields))]
    assert cls(*values) == cls(*values) and hash(cls(*values)) == hash(cls(*values))
    assert cls(*values) != cls(*values[:-1], "other")


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
def test_pickles_by_value(cls: type) -> None:
    values = [f"v{i}" for i in range(len(dataclasses.fields(cls)))]
    message = cls(*values)
    assert pickle.loads(pickle.dumps(message)) == message

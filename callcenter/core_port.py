"""What a telephony adapter (embedded SIP, Asterisk) needs of the engine's core: an interface.

The composition root (``callcenter.runtime``) builds the ``CoreDriver`` that provides it and
hands it to the adapters, which so import nothing from above them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

from acd.engine import ACD
from acd.events import Event


class Timers(Protocol):
    def set(self, key: Hashable, deadline: float | None, fire: Callable[[float], object]) -> None: ...

    def deadline(self, key: Hashable) -> float | None: ...


class Core(Protocol):
    """The routing core as an adapter sees it (``callcenter.runtime.core_driver.CoreDriver``)."""

    acd: ACD
    clock: Callable[[], float]
    timers: Timers

    def add_sink(self, sink: Callable[[Sequence], None]) -> None: ...

    def publish(self, commands: Sequence[object]) -> None: ...

    def submit(self, event: Event) -> list: ...

    def try_submit(self, event: Event) -> bool: ...

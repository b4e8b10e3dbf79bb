"""Drive the pure ACD from an asyncio loop.

The ACD never reads a clock: this driver passes ``now`` from an injected clock (wall time by
default), keeps the core's next deadline in :class:`Timers` (the one timer of the live engine,
shared with the calls), and hands every command to the sinks (telephony adapters, records,
metrics). A failing sink is logged and
never stops the others or the loop: whatever breaks, calls keep being routed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from acd.commands import Command
from acd.engine import ACD, ACDError
from acd.events import Event
from agents.seat import IllegalTransition
from callcenter.runtime.timers import Timers

log = logging.getLogger(__name__)

Sink = Callable[[Sequence[Command]], None]


class CoreDriver:
    """Feeds events to the ACD at ``clock()`` time and fires its deadlines on time."""

    def __init__(
        self,
        acd: ACD,
        *,
        clock: Callable[[], float] = time.time,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.acd = acd
        self.clock = clock
        self.timers = Timers(lambda: self.clock(), loop)
        """Every live deadline: the core's (key ``"acd"``) and the calls'; on the driver's clock,
        also when that is replaced after start (tests pin it to a recorded moment)."""
        self._sinks: list[Sink] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.timers.loop

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    def publish(self, commands: Sequence[object]) -> None:
        """Hand commands that do not come from the ACD (a call's record opening, or its end in
        the IVR) to every sink; sinks ignore what they do not know."""
        self._dispatch(commands)  # type: ignore[arg-type]

    def submit(self, event: Event) -> list[Command]:
        """Apply ``event`` now. ACD refusals propagate to the caller (nothing changed)."""
        commands = self.acd.handle(event, self.clock())
        self._dispatch(commands)
        self._rearm()
        return commands

    def changed(self, commands: Sequence[Command]) -> None:
        """The ACD was changed directly, on the loop (the blending gate puts agents' outbound
        tasks in it): hand its commands to the sinks and follow its next deadline."""
        self._dispatch(commands)
        self._rearm()

    def try_submit(self, event: Event) -> bool:
        """Apply ``event``; False (logged) when the ACD refuses it, which changes nothing.
        For adapters, whose events may race the core's own decisions."""
        try:
            self.submit(event)
        except (ACDError, IllegalTransition) as exc:
            log.warning("ACD refused %s: %s", event, exc)
            return False
        return True

    def _fire(self, now: float) -> None:
        try:
            commands = self.acd.on_timer(now)
        except Exception:  # the core must never take the engine down
            log.exception("ACD timer handling failed")
            commands = []
        self._dispatch(commands)
        self._rearm()

    def _rearm(self) -> None:
        self.timers.set("acd", self.acd.next_deadline(), self._fire)

    def _dispatch(self, commands: Sequence[Command]) -> None:
        if not commands:
            return
        for sink in self._sinks:
            try:
                sink(commands)
            except Exception:
                log.exception("command sink %r failed", sink)

    def close(self) -> None:
        self.timers.close()

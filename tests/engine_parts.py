"""The routing core and its driver for telephony tests, recording what goes in and comes out."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from acd.commands import CallFinished, CallRecord, Command
from acd.engine import ACD
from acd.events import Event
from callcenter.config import HotlineConfig, load_config
from callcenter.runtime.core_driver import CoreDriver


@dataclass
class EngineParts:
    """The parts of an engine an adapter uses, plus every event submitted and command emitted."""

    config: HotlineConfig
    acd: ACD
    driver: CoreDriver
    commands: list[Command] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def records(self) -> list[CallRecord]:
        return [c.record for c in self.commands if isinstance(c, CallFinished)]

    def submitted(self, kind: type) -> list[Event]:
        """The events of ``kind`` submitted to the ACD."""
        return [e for e in self.events if isinstance(e, kind)]

    def count(self, kind: type) -> int:
        """How many events of ``kind`` were submitted to the ACD."""
        return len(self.submitted(kind))


def engine_parts(*, ring_timeout: float | None = None, config: HotlineConfig | None = None) -> EngineParts:
    """The shipped config's (or ``config``'s) ACD and driver (build inside the event loop)."""
    config = config or load_config()
    if ring_timeout is not None:
        defaults = config.defaults.model_copy(update={"ring_timeout_seconds": ring_timeout})
        config = config.model_copy(update={"defaults": defaults})
    acd = ACD(config.queue_specs(), config.agent_specs(), rng=random.Random(7))
    parts = EngineParts(config, acd, CoreDriver(acd))
    parts.driver.add_sink(parts.commands.extend)
    submit = parts.driver.submit

    def recording_submit(event: Event) -> list[Command]:
        parts.events.append(event)
        return submit(event)

    parts.driver.submit = recording_submit  # type: ignore[method-assign]
    return parts

"""The routing core for the Asterisk engine tests, recording what goes in and comes out."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from acd.commands import CallFinished, CallRecord, Command
from acd.engine import ACD
from acd.events import Event
from callcenter.asterisk import AGIServer, AGISession, SessionEnd
from callcenter.asterisk_engine import CallFlow
from callcenter.config import HotlineConfig, load_config
from callcenter.runtime.core_driver import CoreDriver
from ivr_flows.loader import FlowSet, load_for_config
from ivr_flows.plugins import default_registry


@dataclass
class EngineParts:
    config: HotlineConfig
    acd: ACD
    driver: CoreDriver
    commands: list[Command] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def records(self) -> list[CallRecord]:
        return [c.record for c in self.commands if isinstance(c, CallFinished)]

    def submitted(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


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


@dataclass
class Running:
    parts: EngineParts
    flow: CallFlow
    server: AGIServer
    sessions: list[tuple[str, SessionEnd]]

    @property
    def ends(self) -> list[SessionEnd]:
        """How the sessions of callers and feature codes ended (seats' answered hooks aside)."""
        return [end for path, end in self.sessions if not path.startswith("answered/")]

    @property
    def port(self) -> int:
        return self.server.port


async def start(parts: EngineParts, flows: FlowSet | None = None, **options: object) -> Running:
    flows = flows or load_for_config(parts.config, default_registry())
    flow = CallFlow(parts.config, parts.driver, flows, plugins=default_registry(), **options)
    sessions: list[tuple[str, SessionEnd]] = []

    def ended(session: AGISession, end: SessionEnd) -> None:
        sessions.append((session.env.line, end))

    server = AGIServer(flow, port=0, hangup_grace=0.05, close_timeout=1.0, on_session_end=ended)
    await server.start()
    return Running(parts, flow, server, sessions)


async def wait_for(predicate, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)

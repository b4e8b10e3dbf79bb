"""The routing core for the Asterisk engine tests, recording what goes in and comes out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from callcenter.asterisk import AGIServer, AGISession, SessionEnd
from callcenter.asterisk_engine import CallFlow
from calls.events import DialFailed
from ivr_flows.loader import FlowSet, load_for_config
from ivr_flows.plugins import default_registry
from tests.engine_parts import EngineParts, engine_parts  # noqa: F401 - used by the tests
from tests.telephony.conftest import prompts_dir  # noqa: F401 - shared fixture


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


@pytest.fixture
def dial_failures(monkeypatch) -> list[DialFailed]:
    """Every ``DialFailed`` the calls over AGI are told (passed on unchanged)."""
    from callcenter.asterisk_engine.agi_call import AsteriskCall

    seen: list[DialFailed] = []
    feed = AsteriskCall.feed

    def spying(call: AsteriskCall, event: object) -> None:
        if isinstance(event, DialFailed):
            seen.append(event)
        feed(call, event)

    monkeypatch.setattr(AsteriskCall, "feed", spying)
    return seen

"""The dialer's calls over Asterisk in a test: the fake AMI server's script (the engine's login
and start-up stock-taking as recorded, then its Originates of citizens, each answered: Reason 4)
and the engine's FastAGI, AMI client and campaign runner around a scenario.

The Originate's fields follow Asterisk's documentation and the recorded Originate to a seat
(``live/ami_originate_to_seat.txt``); no call of the dialer was recorded on a real Asterisk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from callcenter.asterisk.transcripts import RECEIVED, SENT, AMIBlock, ami_blocks
from callcenter.asterisk_engine import AMISettings, AsteriskHandle, start_asterisk
from callcenter.runtime.app import Engine
from callcenter.runtime.campaigns import CampaignRunner, start_asterisk_campaigns

from ..asterisk.fakes import FakeAMIServer
from ..asterisk.fixtures import transcript

SECRET = "engine-test-secret"
Scenario = Callable[[Engine, AsteriskHandle, CampaignRunner, FakeAMIServer], Awaitable[None]]


def block(direction: str, *lines: str) -> AMIBlock:
    return AMIBlock(direction, lines, 0)


def answered_originate(task_id: str, uniqueid: str, number: str, line: str = "12345") -> list[AMIBlock]:
    """The engine's Originate of ``number`` for ``task_id`` showing ``line``, answered."""
    return [
        block(SENT, "Action: Originate", f"ActionID: {task_id}", f"Channel: PJSIP/{number}@trunk",
              "Context: callcenter-visit", "Exten: s", "Priority: 1", "Timeout: 45000",
              f'CallerID: "{line}" <{line}>', f"Variable: CALLCENTER_VISIT={task_id}", "Async: true"),
        block(RECEIVED, "Response: Success", f"ActionID: {task_id}",
              "Message: Originate successfully queued"),
        block(RECEIVED, "Event: OriginateResponse", "Privilege: call,all", f"ActionID: {task_id}",
              "Response: Success", "Channel: PJSIP/trunk-0000000c", "Context: callcenter-visit",
              "Exten: s", "Reason: 4", f"Uniqueid: {uniqueid}", f"CallerIDNum: {line}",
              f"CallerIDName: {line}"),
    ]


def ami_script(*originates: AMIBlock) -> list[AMIBlock]:
    """Login, the start-up lists (no seats, no channels), ``originates``, logoff."""
    banner, _login, accepted = ami_blocks(transcript("ami_login_and_events.txt").lines)[:3]
    return [
        banner,
        block(SENT, "Action: Login", "ActionID: login-1", "Username: engine", f"Secret: {SECRET}",
              "Events: system,call"),
        accepted,
        block(SENT, "Action: DeviceStateList", "ActionID: ds-1"),
        block(RECEIVED, "Response: Success", "ActionID: ds-1", "EventList: start",
              "Message: Device State Changes will follow"),
        block(RECEIVED, "Event: DeviceStateListComplete", "ActionID: ds-1", "EventList: Complete",
              "ListItems: 0"),
        block(SENT, "Action: CoreShowChannels", "ActionID: cs-1"),
        block(RECEIVED, "Response: Success", "ActionID: cs-1", "EventList: start",
              "Message: Channels will follow"),
        block(RECEIVED, "Event: CoreShowChannelsComplete", "ActionID: cs-1", "EventList: Complete",
              "ListItems: 0"),
        *originates,
        block(SENT, "Action: Logoff", "ActionID: logoff-1"),
        block(RECEIVED, "Response: Goodbye", "ActionID: logoff-1", "Message: Thanks for all the fish."),
    ]


def run_campaigns(engine: Engine, script: list[AMIBlock], scenario: Scenario, *,
                  agi_port: int = 0) -> FakeAMIServer:
    """FastAGI (on ``agi_port``, 0: any), AMI against a fake server playing ``script`` and the
    campaign runner around ``scenario(engine, handle, runner, ami)``; the engine is closed after.
    Returns the server."""
    async def main() -> FakeAMIServer:
        async with FakeAMIServer(script) as ami:
            handle = await start_asterisk(engine, agi_port=agi_port, ami=AMISettings(SECRET, port=ami.port,
                                                                              username="engine"))
            runner = start_asterisk_campaigns(engine, handle)
            assert runner is not None
            try:
                await scenario(engine, handle, runner, ami)
            finally:
                await runner.close()
                await handle.close()
        return ami

    try:
        return asyncio.run(main())
    finally:
        engine.close()

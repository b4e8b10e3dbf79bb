"""AMI client against a fake AMI server on loopback replaying the transcripts."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.asterisk.ami_client import (
    AMIActionError,
    AMIAuthError,
    AMIClient,
    AMIConnectionLost,
    Backoff,
)
from callcenter.asterisk.ami_originate import OriginateResult
from callcenter.asterisk.ami_protocol import AMIMessage
from callcenter.asterisk.ami_tracking import CallTracker, SeatTracker
from callcenter.asterisk.transcripts import RECEIVED, SENT, AMIBlock, ami_blocks

from .fakes import FakeAMIServer
from .fixtures import transcript

pytestmark = pytest.mark.timeout(20)
USER, SECRET = "engine", "engine-test-secret"


def blocks(name: str) -> list[AMIBlock]:
    return ami_blocks(transcript(name).lines)


def recorded_events(name: str) -> list[str]:
    return [b.get("Event") for b in blocks(name) if b.direction == RECEIVED and b.get("Event")]


def client_for(server: FakeAMIServer, **kwargs) -> AMIClient:
    return AMIClient("127.0.0.1", server.port, username=USER, secret=SECRET, **kwargs)


async def until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


@pytest.mark.parametrize(
    "name", ["ami_login_and_events.txt", "ami_queue_abandon.txt", "ami_login_and_events_filtered.txt"]
)
def test_login_then_every_event_in_order_then_logoff(name):
    expected = recorded_events(name)
    login_mask = next(b.get("Events") for b in blocks(name) if b.get("Action") == "Login")

    async def main():
        seen: list[AMIMessage] = []
        calls = CallTracker()
        async with FakeAMIServer(blocks(name)) as server:
            client = client_for(server, events=login_mask)
            client.subscribe(seen.append)
            client.subscribe(calls.handle, *CallTracker.EVENTS)
            await client.connect()
            await until(lambda: len(seen) >= len(expected))
            await client.close()
        return server, client, seen, calls

    server, client, seen, calls = asyncio.run(main())
    assert [m.event for m in seen] == expected
    assert server.mismatches == []
    assert [a.action for a in server.actions] == ["Login", "Logoff"]
    assert client.banner.version == "12.0.0" and not client.connected
    assert [h.channel for h in calls.hangups] == [
        m["Channel"] for m in seen if m.event == "Hangup"
    ]
    assert calls.hangups and all(h.cause is not None for h in calls.hangups)


def test_event_stream_filters_by_name():
    async def main():
        async with FakeAMIServer(blocks("ami_queue_abandon.txt")) as server:
            client = client_for(server)
            stream = client.events("QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave")
            await client.connect()
            got = [await asyncio.wait_for(stream.__anext__(), 5) for _ in range(3)]
            stream.close()
            await client.close()
        return got

    got = asyncio.run(main())
    assert [m.event for m in got] == [
        e for e in recorded_events("ami_queue_abandon.txt") if e.startswith("QueueCaller")
    ]
    abandon = next(m for m in got if m.event == "QueueCallerAbandon")
    assert abandon["Queue"] == "support"


def test_actions_are_answered_by_action_id():
    async def main():
        async with FakeAMIServer(blocks("ami_actions.txt")) as server:
            client = client_for(server)
            await client.connect()
            out = {}
            out["ping"] = await client.ping()
            out["settings"] = await client.send_action("CoreSettings")
            out["status"] = await client.send_action("QueueStatus", {"Queue": "support"})
            out["summary"] = await client.send_action("QueueSummary", {"Queue": "support"})
            member = [
                ("Queue", "support"),
                ("Interface", "PJSIP/agent1002"),
                ("MemberName", "Agent 1002"),
                ("StateInterface", "PJSIP/agent1002"),
                ("Penalty", 0),
            ]
            out["add"] = await client.send_action("QueueAdd", member)
            where = [("Queue", "support"), ("Interface", "PJSIP/agent1002")]
            await client.send_action("QueuePause", [*where, ("Paused", "true"), ("Reason", "lunch")])
            await client.send_action("QueuePause", [*where, ("Paused", "false")])
            await client.send_action("QueueRemove", where)
            with pytest.raises(AMIActionError) as removed_twice:
                await client.send_action("QueueRemove", where)
            out["remove_error"] = removed_twice.value
            out["channels"] = await client.send_action("CoreShowChannels")
            out["endpoint"] = await client.send_action("PJSIPShowEndpoint", {"Endpoint": "agent1001"})
            out["version"] = await client.command("core show version")
            out["queue"] = await client.command("queue show support")
            out["epoch"] = await client.getvar("EPOCH")
            with pytest.raises(AMIActionError) as unknown:
                await client.send_action("NoSuchAction")
            out["unknown"] = unknown.value
            await client.close()
        return server, out

    server, out = asyncio.run(main())
    assert server.mismatches == []
    assert out["ping"].get("Ping") == "Pong"
    assert out["settings"].get("AsteriskVersion") == "23.4.1"
    status = out["status"]
    assert [e.event for e in status.events] == ["QueueParams", "QueueMember"]
    assert status.complete.event == "QueueStatusComplete"
    assert int(status.complete["ListItems"]) == len(status.events)
    assert [e.event for e in out["summary"].events] == ["QueueSummary"]
    assert out["add"].get("Message") == "Added interface to queue"
    assert "Not there" in str(out["remove_error"])
    assert out["channels"].events == () and out["channels"].complete["ListItems"] == "0"
    endpoint = out["endpoint"]
    assert len(endpoint.events) == int(endpoint.complete["ListItems"]) == 5
    assert out["version"] == [f"Asterisk {out['settings'].get('AsteriskVersion')}" + out[
        "version"
    ][0][len("Asterisk 23.4.1") :]]
    assert len(out["queue"]) == 6 and out["queue"][0].startswith("support has 0 calls")
    assert out["epoch"] is not None and out["epoch"].isdigit()
    assert out["unknown"].response["Message"].startswith("Invalid/unknown command")
    assert len({a.action_id for a in server.actions}) == len(server.actions)


def test_originate_outcomes():
    async def main():
        async with FakeAMIServer(blocks("ami_originate.txt")) as server:
            client = client_for(server)
            await client.connect()
            common = {"context": "from-caller", "exten": "601", "priority": 1}
            caller = '"Engine" <7000>'
            outcomes = [
                await client.originate(
                    "PJSIP/agent1001",
                    **common,
                    timeout_ms=15000,
                    caller_id=caller,
                    variables={"ENGINE_JOB": "ob-42"},
                    channel_id="engine-orig-0001",
                ),
                await client.originate(
                    "PJSIP/agent1002", **common, timeout_ms=15000, caller_id=caller
                ),
                await client.originate("PJSIP/agent1001", **common, timeout_ms=4000, caller_id=caller),
                await client.originate("PJSIP/nosuchendpoint", **common, timeout_ms=4000),
                await client.originate(
                    "PJSIP/agent1002",
                    application="Playback",
                    data="hello-world",
                    timeout_ms=4000,
                    run_async=False,
                ),
            ]
            await client.close()
        return server, outcomes

    server, outcomes = asyncio.run(main())
    assert server.mismatches == []
    assert [o.result for o in outcomes] == [
        OriginateResult.ANSWERED,
        OriginateResult.FAILED,
        OriginateResult.NO_ANSWER,
        OriginateResult.FAILED,
        OriginateResult.ERROR,
    ]
    assert [o.reason for o in outcomes] == [4, 0, 3, 0, None]
    answered = outcomes[0]
    assert answered.answered and answered.uniqueid == "engine-orig-0001"
    assert answered.channel.startswith("PJSIP/agent1001-")
    assert outcomes[1].uniqueid is None and outcomes[4].message == "Originate failed"


def test_reconnects_with_backoff_after_the_server_drops():
    sleeps: list[float] = []

    async def instant_sleep(delay: float) -> None:
        sleeps.append(delay)
        await asyncio.sleep(0)

    name = "ami_login_and_events.txt"
    expected = recorded_events(name)

    async def main():
        seen: list[str] = []
        downs: list[BaseException | None] = []
        async with FakeAMIServer(blocks(name), drop_after=3, refuse=range(2, 5)) as server:
            client = client_for(
                server,
                backoff=Backoff(initial=0.5, factor=2, maximum=1.5),
                sleep=instant_sleep,
                on_disconnected=downs.append,
            )
            client.subscribe(lambda m: seen.append(m.event))
            await client.connect()
            await until(lambda: client.connections == 2 and len(seen) >= 1 + len(expected))
            pong = await client.send_action("Logoff")
            await client.close()
        return server, client, seen, downs, pong

    server, client, seen, downs, pong = asyncio.run(main())
    assert sleeps == [0.5, 1.0, 1.5, 1.5]  # three refused attempts, capped at 1.5
    assert server.accepted == 5 and client.connections == 2 and len(downs) >= 1
    assert seen == ["FullyBooted", *expected]
    assert [a.action for a in server.actions] == ["Login", "Login", "Logoff"]
    assert pong.message.response == "Goodbye"


def test_pending_action_fails_when_the_connection_drops():
    async def main():
        async with FakeAMIServer(blocks("ami_actions.txt"), drop_after=4) as server:
            client = client_for(server, reconnect=False)
            await client.connect()
            with pytest.raises(AMIConnectionLost):
                await client.ping()
            await until(lambda: not client.connected)
            with pytest.raises(AMIConnectionLost):
                await client.send_action("Ping", timeout=0.05)
            await client.close()

    asyncio.run(main())


def test_refused_login_raises():
    login = blocks("ami_actions.txt")[:3]
    refused = [
        login[0],
        login[1],
        AMIBlock(RECEIVED, ("Response: Error", "ActionID: login-1", "Message: Authentication failed"), 0),
    ]

    async def main():
        async with FakeAMIServer(refused) as server:
            client = client_for(server, reconnect=False)
            with pytest.raises(AMIAuthError, match="Authentication failed"):
                await client.connect()
            assert not client.connected

    asyncio.run(main())


def test_credentials_are_required():
    with pytest.raises(ValueError):
        AMIClient("127.0.0.1", username="", secret="x")
    with pytest.raises(TypeError):
        AMIClient("127.0.0.1")  # type: ignore[call-arg]


def test_device_states_resync_a_seat_tracker():
    """DeviceStateList in its documented shape (not in the recordings): list of state events."""
    login = blocks("ami_actions.txt")[:3]
    listing = [
        AMIBlock(SENT, ("Action: DeviceStateList", "ActionID: ds-1"), 0),
        AMIBlock(RECEIVED, ("Response: Success", "ActionID: ds-1", "EventList: start",
                            "Message: Device State Changes will follow"), 0),
        AMIBlock(RECEIVED, ("Event: DeviceStateChange", "ActionID: ds-1",
                            "Device: PJSIP/agent1001", "State: NOT_INUSE"), 0),
        AMIBlock(RECEIVED, ("Event: DeviceStateChange", "ActionID: ds-1",
                            "Device: PJSIP/agent1002", "State: UNAVAILABLE"), 0),
        AMIBlock(RECEIVED, ("Event: DeviceStateListComplete", "ActionID: ds-1",
                            "EventList: Complete", "ListItems: 2"), 0),
    ]

    async def main():
        lost: list[str] = []
        seats = SeatTracker(on_seat_unreachable=lost.append)
        async with FakeAMIServer(login + listing) as server:
            client = client_for(server, reconnect=False)
            published: list[AMIMessage] = []
            client.subscribe(published.append, "DeviceStateChange")
            await client.connect()
            for message in await client.device_states():
                seats.handle(message)
            await client.close()
        return lost, seats, published, server

    lost, seats, published, server = asyncio.run(main())
    assert server.mismatches == []
    assert lost == ["agent1002"] and seats.reachable == {"agent1001": True, "agent1002": False}
    assert published == []  # list items answer the action; they are not live events

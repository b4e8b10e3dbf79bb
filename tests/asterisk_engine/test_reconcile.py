"""A restarted engine takes stock of the calls Asterisk still holds: adopts a conversation,
records a caller in the fallback queue, ends what it adopted when Asterisk hangs it up.

The channels are the recorded ones of ``live/agi_engine_killed_mid_bridge.txt`` (engine
SIGKILLed mid-conversation): its ``BridgeEnter`` events carry each channel's snapshot, which
``CoreShowChannels`` lists in ``CoreShowChannel`` events (the same fields plus BridgeId,
Application, ApplicationData and Duration, as Asterisk documents them; the one recorded
``CoreShowChannels`` reply, in ``ami_actions.txt``, is an empty list). The ``Hangup`` events
are replayed as recorded.
"""

from __future__ import annotations

import asyncio

import pytest

from acd.events import AgentLoggedIn, CallAdopted
from callcenter.asterisk import AMIClient
from callcenter.asterisk.transcripts import RECEIVED, SENT, AMIBlock, ami_blocks
from callcenter.asterisk_engine.reconcile import Channel, Reconciler, classify, duration_seconds
from callcenter.records.lifecycle import CallClosed, CallOpened

from ..asterisk.fakes import FakeAMIServer
from ..asterisk.fixtures import transcript
from .conftest import engine_parts, wait_for

pytestmark = pytest.mark.timeout(20)
CALLER, SEAT = "PJSIP/trunk-0000000c", "PJSIP/1001-0000000d"
FIRST_BRIDGE, FALLBACK_BRIDGE = "f6fb0a0b-4b05-4213-847b-9d7c498b71c3", "83d636e2-82d4-4e0c-8292-e4f8be47a899"
SNAPSHOT = ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
            "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten",
            "Priority", "Uniqueid", "Linkedid")


def recorded() -> list[AMIBlock]:
    (section,) = [s for s in transcript("live/agi_engine_killed_mid_bridge.txt").sections
                  if s.title.startswith("AMI")]
    return ami_blocks(section.lines)


def listing(bridge: str, durations: dict[str, str]) -> list[tuple[str, ...]]:
    """``CoreShowChannel`` lines for the recorded channels of ``bridge`` (application aside)."""
    out = []
    for block in recorded():
        if block.get("Event") == "BridgeEnter" and block.get("BridgeUniqueid") == bridge:
            fields = dict(block.headers())
            application = "Queue" if fields["Context"] == "callcenter-fallback" else "AppDial"
            if fields["Context"] == "callcenter-lines":
                application = "Dial"
            out.append(("Event: CoreShowChannel", "ActionID: cs",
                        *(f"{name}: {fields[name]}" for name in SNAPSHOT),
                        f"BridgeId: {bridge}", f"Application: {application}", "ApplicationData: ",
                        f"Duration: {durations[fields['Channel']]}"))
    return out


def block(direction: str, *lines: str, banner: bool = False) -> AMIBlock:
    return AMIBlock(direction, tuple(lines), 0, is_banner=banner)


def getvar(name: str, channel: str, value: str) -> list[AMIBlock]:
    return [block(SENT, "Action: Getvar", f"ActionID: {name}", f"Variable: {name}", f"Channel: {channel}"),
            block(RECEIVED, "Response: Success", f"ActionID: {name}", f"Variable: {name}", f"Value: {value}")]


def session(channels: list[tuple[str, ...]], *after: AMIBlock) -> list[AMIBlock]:
    banner, login, accepted = recorded()[:3]
    login = block(SENT, *(line.replace("Events: on", "Events: system,call") for line in login.lines))
    return [banner, login, accepted,
            block(SENT, "Action: CoreShowChannels", "ActionID: cs"),
            block(RECEIVED, "Response: Success", "ActionID: cs", "EventList: start",
                  "Message: Channels will follow"),
            *(block(RECEIVED, *lines) for lines in channels),
            block(RECEIVED, "Event: CoreShowChannelsComplete", "ActionID: cs", "EventList: Complete",
                  f"ListItems: {len(channels)}"),
            *after]


def hangups(*channels: str) -> list[AMIBlock]:
    return [b for b in recorded() if b.get("Event") == "Hangup" and b.get("Channel") in channels]


async def take_stock(blocks: list[AMIBlock], parts, *, live=(), then=lambda: True,
                     reconciler: Reconciler | None = None) -> tuple[Reconciler, FakeAMIServer]:
    """Connect, take stock, then wait for ``then`` (what the recorded events after the listing do)."""
    reconciler = reconciler or Reconciler(parts.config, parts.driver, lambda: live)
    async with FakeAMIServer(blocks) as server:
        client = AMIClient("127.0.0.1", server.port, username="callcenter", secret="engine-test-secret",
                           events="system,call")
        client.subscribe(reconciler.handle, *Reconciler.EVENTS)
        await client.connect()
        await reconciler.take_stock(client)
        await wait_for(then)
        await client.close()
    assert server.mismatches == []
    return reconciler, server


def test_durations_as_asterisk_writes_them():
    assert [duration_seconds(t) for t in ("00:00:09", "01:02:03", "75", "", "x")] == [9, 3723, 75, 0, 0]


def test_classify_tells_conversations_from_fallback_callers_and_other_channels():
    lines = {"12345"}
    conversation = [Channel.of(dict(block(RECEIVED, *c).headers()))
                    for c in listing(FIRST_BRIDGE, {CALLER: "00:00:09", SEAT: "00:00:03"})]
    stock = classify(conversation, lines=lines, agents={"1001"})
    (found,) = stock.conversations
    assert (found.caller.name, found.seat.name, found.agent, found.line) == (CALLER, SEAT, "1001", "12345")
    assert stock.fallback == [] and stock.ringing == []
    assert classify(conversation, lines=lines, agents={"1002"}).ringing  # 1001 is no agent of ours
    fallback = [Channel.of(dict(block(RECEIVED, *c).headers()))
                for c in listing(FALLBACK_BRIDGE, {CALLER: "00:00:25", "PJSIP/1001-0000000e": "00:00:02"})]
    stock = classify(fallback, lines=lines, agents={"1001"})
    assert [c.name for c in stock.fallback] == [CALLER] and stock.conversations == []


def test_a_conversation_left_by_a_dead_engine_is_adopted_and_recorded_when_the_agent_hangs_up():
    channels = listing(FIRST_BRIDGE, {CALLER: "00:00:09", SEAT: "00:00:03"})
    blocks = session(channels, *getvar("CALLCENTER_QUEUE", CALLER, "zh-general"),
                     *getvar("CALLCENTER_QUEUED_AT", CALLER, "1796360546.700"),
                     *hangups(SEAT, CALLER))

    async def scenario():
        parts = engine_parts()
        parts.driver.clock = lambda: 1796360550.0
        await take_stock(blocks, parts, then=lambda: parts.records)
        return parts

    parts = asyncio.run(scenario())
    (adopted,) = parts.submitted(CallAdopted)
    assert (adopted.call_id, adopted.agent_id, adopted.queue, adopted.line) == (
        "1796360541.12", "1001", "zh-general", "12345")
    assert (adopted.arrived_at, adopted.answered_at, adopted.enqueued_at) == (
        1796360541.0, 1796360547.0, 1796360546.7)
    (record,) = parts.records  # the seat's recorded Hangup ended the conversation
    assert (record.call_id, record.outcome, record.agent_id, record.queue) == (
        "1796360541.12", "answered", "1001", "zh-general")
    assert parts.acd.seat("1001").activity.value == "wrap_up"


def test_a_call_this_engine_follows_is_left_alone():
    channels = listing(FIRST_BRIDGE, {CALLER: "00:00:09", SEAT: "00:00:03"})

    async def scenario():
        parts = engine_parts()
        await take_stock(session(channels), parts, live={"1796360541.12"})
        return parts

    parts = asyncio.run(scenario())
    assert parts.submitted(CallAdopted) == [] and parts.acd.call_state("1796360541.12") is None


def test_an_adoption_the_acd_refuses_is_not_followed():
    channels = listing(FIRST_BRIDGE, {CALLER: "00:00:09", SEAT: "00:00:03"})
    blocks = session(channels, *getvar("CALLCENTER_QUEUE", CALLER, ""),
                     *getvar("CALLCENTER_QUEUED_AT", CALLER, ""))

    async def scenario():
        parts = engine_parts()
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        parts.driver.submit(CallAdopted("other", "zh-general", "1001", 0.0, 0.0))  # 1001 is busy
        reconciler, _ = await take_stock(blocks, parts)
        return parts, reconciler

    parts, reconciler = asyncio.run(scenario())
    assert reconciler.followed == {} and parts.acd.call_state("1796360541.12") is None


def test_a_caller_in_the_fallback_queue_is_recorded_and_closed_when_it_ends():
    channels = listing(FALLBACK_BRIDGE, {CALLER: "00:00:25", "PJSIP/1001-0000000e": "00:00:02"})
    blocks = session(channels, *getvar("CALLCENTER_LINE", CALLER, "12345"), *hangups(CALLER))

    async def scenario():
        parts = engine_parts()
        parts.driver.clock = lambda: 1796360566.0
        await take_stock(blocks, parts, then=lambda: any(isinstance(c, CallClosed) for c in parts.commands))
        return parts

    parts = asyncio.run(scenario())
    opened, closed = [c for c in parts.commands if isinstance(c, (CallOpened, CallClosed))]
    assert (opened.call_id, opened.line, opened.arrived_at) == ("1796360541.12", "12345", 1796360541.0)
    assert (closed.call_id, closed.outcome, closed.ended_at) == ("1796360541.12", "lost", 1796360566.0)
    assert parts.records == [] and parts.acd.call_state("1796360541.12") is None


def test_a_followed_call_gone_while_ami_was_down_is_ended_at_the_next_stock_taking():
    channels = listing(FIRST_BRIDGE, {CALLER: "00:00:09", SEAT: "00:00:03"})
    first = session(channels, *getvar("CALLCENTER_QUEUE", CALLER, "zh-general"),
                    *getvar("CALLCENTER_QUEUED_AT", CALLER, "1796360546.700"))

    async def scenario():
        parts = engine_parts()
        parts.driver.clock = lambda: 1796360550.0
        reconciler, _ = await take_stock(first, parts)
        assert list(reconciler.followed) == ["1796360541.12"] and parts.records == []
        parts.driver.clock = lambda: 1796360600.0
        await take_stock(session([]), parts, then=lambda: parts.records,  # reconnected: gone
                         reconciler=reconciler)
        return parts, reconciler

    parts, reconciler = asyncio.run(scenario())
    (record,) = parts.records
    assert (record.outcome, record.agent_id, record.ended_at) == ("answered", "1001", 1796360600.0)

"""The desk's transfer and three-way call over Asterisk: a real conversation through the fake
Asterisk's FastAGI, the AMI actions over a real ``AMIClient`` to the fake AMI server.

No ConfBridge, Redirect or ConfbridgeKick was recorded from a real Asterisk: the actions' and
events' fields here are as Asterisk documents them (AMI actions ``Redirect``, ``Originate``,
``ConfbridgeKick``; events ``OriginateResponse``, ``Hangup``). That a redirected channel's
FastAGI session ends with ``HANGUP`` (as a caller hanging up does) is assumed, not recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from acd.events import AgentHungUp, AgentLoggedIn, CallerHungUp
from callcenter.asterisk import AMIClient, AMIMessage
from callcenter.asterisk.transcripts import RECEIVED, SENT, AMIBlock
from callcenter.asterisk_engine.desk_calls import AsteriskDeskCalls
from callcenter.telephony.transfer import TransferRefused

from ..asterisk.fakes import FakeAMIServer
from .conftest import Running, engine_parts, start, wait_for
from .fake_asterisk import FakeChannel, answering

pytestmark = pytest.mark.timeout(30)
SECRET = "engine-test-secret"
HOUSING, MARKET = "053100100001", "053100100002"  # the shipped config's departments


def block(direction: str, *lines: str, banner: bool = False) -> AMIBlock:
    return AMIBlock(direction, tuple(lines), 0, is_banner=banner)


def login() -> list[AMIBlock]:
    return [block(RECEIVED, "Asterisk Call Manager/12.0.0", banner=True),
            block(SENT, "Action: Login", "ActionID: login", "Username: callcenter", f"Secret: {SECRET}",
                  "Events: system,call"),
            block(RECEIVED, "Response: Success", "ActionID: login", "Message: Authentication accepted")]


@dataclass
class Scene:
    parts: object
    running: Running
    desk: AsteriskDeskCalls
    server: FakeAMIServer
    caller: FakeChannel
    seat: FakeChannel
    moved: asyncio.Event  # set: Asterisk ends the caller's FastAGI session (its channel moved)

    @property
    def call_id(self) -> str:
        return self.caller.uniqueid


def in_conversation(act, ami=None, *, caller_hangs_up: bool = True, gate: asyncio.Event | None = None
                    ) -> Scene:
    """A caller talking to agent 1001; then ``act(scene)``, with AMI up if ``ami(caller, seat)``
    gives the AMI script (else AMI is down). Setting ``scene.moved`` ends the seat's Dial: the
    caller's session ends (``caller_hangs_up``: the caller hung up, or was redirected) or goes on
    (the agent hung up); the desk's actions wait for ``gate``, if given."""
    scene: list[Scene] = []

    async def scenario():
        parts = engine_parts()
        running = await start(parts)
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        moved, seats = asyncio.Event(), {}
        caller = FakeChannel(running.port, "12345",
                             dial=answering(until=moved, caller_hangs_up=caller_hangs_up, seats=seats))
        calling = asyncio.create_task(caller.run())
        await wait_for(lambda: any(c.answered_by == "1001" for c in running.flow.calls.values()))
        seat = seats["1001"]
        async with FakeAMIServer([*login(), *(ami(caller, seat) if ami else [])]) as server:
            client = AMIClient("127.0.0.1", server.port, username="callcenter", secret=SECRET,
                               events="system,call")
            async def send_action(*args, **kwargs):
                if gate is not None:
                    await gate.wait()
                return await client.send_action(*args, **kwargs)

            desk = AsteriskDeskCalls(parts.config, parts.driver, running.flow,
                                     send_action=send_action, originate=client.originate,
                                     connected=lambda: client.connected)
            client.subscribe(desk.hangup, *AsteriskDeskCalls.EVENTS)
            if ami:
                await client.connect()
            scene.append(Scene(parts, running, desk, server, caller, seat, moved))
            await act(scene[0])
            moved.set()
            await calling
            await desk.close()
            await client.close()
        await running.server.close()

    asyncio.run(scenario())
    assert scene[0].server.mismatches == []
    return scene[0]


def test_transfer_redirects_the_caller_to_the_departments_number_and_releases_the_agent():
    def ami(caller, seat):
        return [block(SENT, "Action: Redirect", "ActionID: r", f"Channel: {caller.channel}",
                      f"Exten: {HOUSING}", "Context: callcenter-transfer", "Priority: 1"),
                block(RECEIVED, "Response: Success", "ActionID: r", "Message: Redirect successful")]

    async def act(scene: Scene):
        scene.desk.transfer("1001", "housing-authority")  # by id: the number dialled is the config's
        await wait_for(lambda: scene.parts.acd.seat("1001").activity.value == "wrap_up")

    scene = in_conversation(act, ami)
    assert [a.get("Action") for a in scene.server.actions] == ["Login", "Redirect"]
    parts = scene.parts
    assert parts.count(AgentHungUp) == 1 and parts.count(CallerHungUp) == 0
    (record,) = parts.records
    assert (record.outcome, record.agent_id) == ("answered", "1001")
    assert record.transferred_to == "housing-authority"
    # the redirected caller is no longer ours: not hung up, no survey played to them
    dial = next(i for i, c in enumerate(scene.caller.commands) if c.startswith("EXEC Dial"))
    assert scene.caller.commands[dial + 1:] == []


def conferenced(caller, seat, *, answered: bool) -> list[AMIBlock]:
    """Caller and agent redirected into the ConfBridge, the department originated into it."""
    conference = caller.uniqueid
    department = ["Response: Success", "Channel: PJSIP/trunk-00000020", "Context: callcenter-conference",
                  f"Exten: {conference}", "Reason: 4", "Uniqueid: 1795810600.32"]
    if not answered:  # no answer (Reason 3), as Asterisk documents; the channel is gone
        department = ["Response: Failure", f"Channel: PJSIP/{MARKET}@trunk", "Context: callcenter-conference",
                      f"Exten: {conference}", "Reason: 3", "Uniqueid: <unknown>"]
    return [block(SENT, "Action: Redirect", "ActionID: r", f"Channel: {caller.channel}",
                  f"ExtraChannel: {seat.channel}", f"Exten: {conference}", f"ExtraExten: {conference}",
                  "Context: callcenter-conference", "ExtraContext: callcenter-conference",
                  "Priority: 1", "ExtraPriority: 1"),
            block(RECEIVED, "Response: Success", "ActionID: r", "Message: Dual Redirect successful"),
            block(SENT, "Action: Originate", "ActionID: o", f"Channel: PJSIP/{MARKET}@trunk",
                  "Context: callcenter-conference", f"Exten: {conference}", "Priority: 1",
                  "Timeout: 60000", 'CallerID: "12345" <12345>', "Async: true"),
            block(RECEIVED, "Response: Success", "ActionID: o", "Message: Originate successfully queued"),
            block(RECEIVED, "Event: OriginateResponse", "Privilege: call,all", "ActionID: o", *department,
                  "CallerIDNum: 12345", "CallerIDName: 12345")]


def kicked(conference: str, channel: str) -> list[AMIBlock]:
    return [block(SENT, "Action: ConfbridgeKick", "ActionID: k", f"Conference: {conference}",
                  f"Channel: {channel}"),
            block(RECEIVED, "Response: Success", "ActionID: k", "Message: User kicked")]


def hangup(channel: str) -> AMIBlock:
    return block(RECEIVED, "Event: Hangup", "Privilege: call,all", f"Channel: {channel}",
                 "Uniqueid: 1795810548.99", "Cause: 16", "Cause-txt: Normal Clearing")


def test_three_way_conferences_caller_agent_and_department_until_the_agent_leaves():
    def ami(caller, seat):
        return [*conferenced(caller, seat, answered=True), *kicked(caller.uniqueid, seat.channel),
                hangup(seat.channel)]

    async def act(scene: Scene):
        parts, desk = scene.parts, scene.desk
        desk.three_way("1001", MARKET)
        await wait_for(lambda: len(scene.server.actions) >= 2)  # Login, Redirect
        scene.moved.set()  # both channels left the Dial for the ConfBridge
        await wait_for(lambda: scene.call_id not in scene.running.flow.calls)
        await wait_for(lambda: len(scene.server.actions) == 3 and not desk._tasks)  # the department
        # the caller's session is over, the conversation is not: the agent talks on
        assert parts.acd.agent_call("1001") == scene.call_id
        assert parts.count(AgentHungUp) == 0 and parts.count(CallerHungUp) == 0
        assert desk.conferences["1001"].department_channel == "PJSIP/trunk-00000020"
        with pytest.raises(TransferRefused) as busy:  # already in the three-way call
            desk.transfer("1001", HOUSING)
        assert busy.value.status == 409
        desk.leave("1001")
        await wait_for(lambda: parts.acd.seat("1001").activity.value == "wrap_up")

    scene = in_conversation(act, ami)
    assert [a.get("Action") for a in scene.server.actions] == [
        "Login", "Redirect", "Originate", "ConfbridgeKick"]
    assert scene.parts.count(AgentHungUp) == 1 and scene.parts.count(CallerHungUp) == 0
    (record,) = scene.parts.records  # the department answered: the caller is theirs now
    assert (record.outcome, record.agent_id) == ("answered", "1001")
    assert record.transferred_to == "market-regulation"
    assert scene.desk.conferences == {}


def refused(call, *args) -> int:
    with pytest.raises(TransferRefused) as refusal:
        call(*args)
    return refusal.value.status


def test_refusals_send_nothing_and_change_nothing():
    async def act(scene: Scene):
        desk, parts = scene.desk, scene.parts
        assert refused(desk.transfer, "1001", "110") == 403  # not a department's number
        assert refused(desk.three_way, "1001", "13800000000") == 403
        assert refused(desk.transfer, "1002", HOUSING) == 409  # 1002 is not talking to a caller
        assert refused(desk.three_way, "1003", MARKET) == 409
        assert refused(desk.leave, "1001") == 409  # no three-way call to leave
        assert refused(desk.transfer, "1001", HOUSING) == 503  # AMI is down
        assert refused(desk.three_way, "1001", MARKET) == 503
        assert parts.acd.agent_call("1001") == scene.call_id
        assert not any(c.moved for c in scene.running.flow.calls.values()) and desk.conferences == {}
        assert not desk._tasks

    scene = in_conversation(act)
    assert scene.server.actions == []  # never connected
    # the caller hung up afterwards: reported as usual, the desk had not moved the call
    assert scene.parts.count(CallerHungUp) == 1


def test_without_the_department_the_agent_cannot_leave_and_hanging_up_ends_the_call():
    def ami(caller, seat):
        return [*conferenced(caller, seat, answered=False), *kicked(caller.uniqueid, "all")]

    async def act(scene: Scene):
        desk = scene.desk
        desk.three_way("1001", MARKET)
        await wait_for(lambda: len(scene.server.actions) >= 2)
        scene.moved.set()
        await wait_for(lambda: len(scene.server.actions) == 3 and not desk._tasks)
        assert refused(desk.leave, "1001") == 409  # the caller would be left alone in the bridge
        desk.hangup(AMIMessage.of(("Event", "Hangup"), ("Channel", scene.seat.channel)))  # the agent
        await wait_for(lambda: len(scene.server.actions) == 4 and not desk._tasks)

    scene = in_conversation(act, ami)
    assert [a.get("Action") for a in scene.server.actions][-1] == "ConfbridgeKick"
    (record,) = scene.parts.records
    assert (record.agent_id, record.transferred_to) == ("1001", None)
    assert scene.parts.acd.seat("1001").activity.value == "wrap_up" and scene.desk.conferences == {}


def redirect_to(caller, number: str, *, refused: bool) -> list[AMIBlock]:
    """The caller's channel redirected to a department's number; ``refused``: as Asterisk answers
    when the channel is gone by then (``action_redirect`` in ``manager.c``)."""
    answer = ["Response: Error", "ActionID: r", f"Message: Channel does not exist: {caller.channel}"] \
        if refused else ["Response: Success", "ActionID: r", "Message: Redirect successful"]
    return [block(SENT, "Action: Redirect", "ActionID: r", f"Channel: {caller.channel}", f"Exten: {number}",
                  "Context: callcenter-transfer", "Priority: 1"),
            block(RECEIVED, *answer)]


@pytest.mark.parametrize(("first", "redirected"), [
    ("agent", True), ("agent", False), ("caller", False),
])
def test_a_transfer_racing_a_hang_up_leaves_the_seat_in_wrap_up_whichever_comes_first(first, redirected):
    """The agent (or the caller) hangs up after the desk asked for the transfer, before the
    Redirect is answered: redirected, the caller is the department's; refused, the hang-up is
    the conversation's end, as without the transfer. Either way the seat is not left talking."""
    gate = asyncio.Event()

    def ami(caller, seat):
        return redirect_to(caller, HOUSING, refused=not redirected)

    async def act(scene: Scene):
        call = scene.running.flow.calls[scene.call_id]
        scene.desk.transfer("1001", HOUSING)
        scene.moved.set()  # the hang-up: the seat's Dial on the caller's channel ends
        await wait_for(lambda: call.dialling is None)  # the engine has seen it end
        gate.set()  # only now is the Redirect sent and answered
        await wait_for(lambda: scene.parts.acd.seat("1001").activity.value == "wrap_up")
        await wait_for(lambda: not scene.desk._tasks and scene.call_id not in scene.running.flow.calls)

    scene = in_conversation(act, ami, caller_hangs_up=first == "caller", gate=gate)
    parts = scene.parts
    assert [a.get("Action") for a in scene.server.actions] == ["Login", "Redirect"]
    assert parts.count(AgentHungUp) == (first == "agent") and parts.count(CallerHungUp) == (first == "caller")
    (record,) = parts.records
    assert (record.outcome, record.agent_id) == ("answered", "1001")
    assert record.transferred_to == ("housing-authority" if redirected else None)
    after_dial = scene.caller.commands[scene.caller.commands.index(next(
        c for c in scene.caller.commands if c.startswith("EXEC Dial"))) + 1:]
    if first == "agent" and not redirected:  # the caller is still ours: the call ends as usual
        assert after_dial[-1] == "HANGUP"
    else:  # the department's, or gone
        assert after_dial == [] or first == "caller"


def test_a_three_way_call_racing_the_agents_hang_up_ends_as_the_hang_up_and_calls_no_one():
    """The agent hangs up after asking for the three-way call, before the Redirect of both
    channels is answered: Asterisk refuses it (the agent's channel is gone), the department is
    not called, and the caller's call ends as on the agent's hang-up."""
    gate = asyncio.Event()

    def ami(caller, seat):
        return [block(SENT, "Action: Redirect", "ActionID: r", f"Channel: {caller.channel}",
                      f"ExtraChannel: {seat.channel}", f"Exten: {caller.uniqueid}",
                      f"ExtraExten: {caller.uniqueid}", "Context: callcenter-conference",
                      "ExtraContext: callcenter-conference", "Priority: 1", "ExtraPriority: 1"),
                block(RECEIVED, "Response: Error", "ActionID: r",
                      "Message: Redirect failed, extra channel not up.")]  # as manager.c answers

    async def act(scene: Scene):
        call = scene.running.flow.calls[scene.call_id]
        scene.desk.three_way("1001", MARKET)
        scene.moved.set()  # the agent hangs up: the seat's Dial on the caller's channel ends
        await wait_for(lambda: call.dialling is None)
        gate.set()
        await wait_for(lambda: scene.parts.acd.seat("1001").activity.value == "wrap_up")
        await wait_for(lambda: not scene.desk._tasks and scene.call_id not in scene.running.flow.calls)

    scene = in_conversation(act, ami, caller_hangs_up=False, gate=gate)
    assert [a.get("Action") for a in scene.server.actions] == ["Login", "Redirect"]  # no Originate
    assert scene.parts.count(AgentHungUp) == 1 and scene.desk.conferences == {}
    (record,) = scene.parts.records
    assert (record.agent_id, record.transferred_to) == ("1001", None)
    assert scene.caller.commands[-1] == "HANGUP"  # still ours: ended as after any agent's hang-up

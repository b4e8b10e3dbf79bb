"""Seats followed over AMI: an unreachable seat is made not ready; start_asterisk end to end."""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace

import pytest

from acd.events import AgentLoggedIn, AgentNotReady
from callcenter.asterisk.transcripts import RECEIVED, SENT, AMIBlock, ami_blocks
from callcenter.asterisk_engine import AMISettings, MissingSecret, start_asterisk
from callcenter.config import ConfigError, load_config
from callcenter.metrics.agi_guard import AgiGuardCollector
from tests.core.test_config import GOOD, write

from ..asterisk.fakes import FakeAMIServer
from ..asterisk.fixtures import transcript
from .conftest import engine_parts, wait_for
from .fake_asterisk import FakeChannel, answering

pytestmark = pytest.mark.timeout(20)
SECRET = "engine-test-secret"


def device_state(device: str, state: str, action_id: str | None = None) -> AMIBlock:
    """A DeviceStateChange in the recorded shape (``ami_login_and_events.txt``)."""
    head = ("Event: DeviceStateChange",) + ((f"ActionID: {action_id}",) if action_id else
                                           ("Privilege: call,all",))
    return AMIBlock(RECEIVED, (*head, f"Device: {device}", f"State: {state}"), 0)


def ami_script() -> list[AMIBlock]:
    recorded = ami_blocks(transcript("ami_login_and_events.txt").lines)
    banner, _login, accepted = recorded[:3]
    login = AMIBlock(SENT, ("Action: Login", "ActionID: login-1", "Username: engine",
                            f"Secret: {SECRET}", "Events: system,call"), 0)
    return [
        banner, login, accepted,
        AMIBlock(SENT, ("Action: DeviceStateList", "ActionID: ds-1"), 0),
        AMIBlock(RECEIVED, ("Response: Success", "ActionID: ds-1", "EventList: start",
                            "Message: Device State Changes will follow"), 0),
        device_state("PJSIP/1001", "NOT_INUSE", "ds-1"),
        device_state("PJSIP/1002", "NOT_INUSE", "ds-1"),
        AMIBlock(RECEIVED, ("Event: DeviceStateListComplete", "ActionID: ds-1",
                            "EventList: Complete", "ListItems: 2"), 0),
        # then the hotline's calls Asterisk holds: none (as recorded in ami_actions.txt)
        AMIBlock(SENT, ("Action: CoreShowChannels", "ActionID: cs-1"), 0),
        AMIBlock(RECEIVED, ("Response: Success", "ActionID: cs-1", "EventList: start",
                            "Message: Channels will follow"), 0),
        AMIBlock(RECEIVED, ("Event: CoreShowChannelsComplete", "ActionID: cs-1",
                            "EventList: Complete", "ListItems: 0"), 0),
        device_state("PJSIP/caller", "UNAVAILABLE"),  # not a seat: ignored
        device_state("PJSIP/1002", "UNAVAILABLE"),  # logged out: stays logged out
        device_state("PJSIP/1001", "UNAVAILABLE"),
        device_state("PJSIP/1001", "UNAVAILABLE"),  # same state again: one transition only
        AMIBlock(SENT, ("Action: Logoff", "ActionID: logoff-1"), 0),  # the link stays up till then
        AMIBlock(RECEIVED, ("Response: Goodbye", "ActionID: logoff-1",
                            "Message: Thanks for all the fish."), 0),
    ]


def test_unreachable_seat_is_made_not_ready_and_calls_still_flow():
    async def scenario():
        parts = engine_parts()
        parts.driver.submit(AgentLoggedIn("1001", ready=True))
        parts.driver.submit(AgentLoggedIn("1003", ready=True))
        engine = SimpleNamespace(config=parts.config, driver=parts.driver)
        async with FakeAMIServer(ami_script()) as ami:
            handle = await start_asterisk(engine, agi_port=0, ami=AMISettings(
                SECRET, port=ami.port, username="engine"))
            try:
                await wait_for(lambda: parts.submitted(AgentNotReady))
                await asyncio.sleep(0.1)
                caller = FakeChannel(handle.agi_port, "12345", dial=answering())
                await caller.run()
                assert engine.call_actions is handle.desk  # the desk's transfer buttons work
            finally:
                await handle.close()
        return parts, ami

    parts, ami = asyncio.run(scenario())
    assert ami.mismatches == []
    assert parts.submitted(AgentNotReady) == [AgentNotReady("1002", "unreachable"),
                                              AgentNotReady("1001", "unreachable")]
    assert parts.acd.seat("1001").reason == "unreachable"
    assert parts.acd.seat("1002").presence.value == "logged_out"
    (record,) = parts.records
    assert record.agent_id == "1003"  # the unreachable seat was not offered the call


def test_ami_secret_comes_from_the_environment_or_the_secrets_file(tmp_path):
    with pytest.raises(MissingSecret, match="CALLCENTER_AMI_SECRET"):
        AMISettings.from_env(environ={})
    secrets = tmp_path / "secrets"
    secrets.write_text("ami = from-file\n1001 = seat\n")
    secrets.chmod(0o600)
    assert AMISettings.from_env(secrets, environ={}).secret == "from-file"
    assert AMISettings.from_env(secrets, environ={"CALLCENTER_AMI_SECRET": "env"}).secret == "env"
    assert "from-file" not in repr(AMISettings.from_env(secrets, environ={}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_fastagi_serves_only_the_configured_asterisk_hosts():
    """The trunk check rests on the AGI environment: a peer other than Asterisk could claim a
    trunk channel and a caller ID. Its connection is closed before it is read, and counted; a
    session from Asterisk's address at the same time goes on."""

    async def scenario(hosts: list[str] | None):
        parts = engine_parts()
        config = parts.config
        if hosts is not None:
            config = config.model_copy(update={"asterisk": config.asterisk.model_validate({"hosts": hosts})})
        handle = await start_asterisk(SimpleNamespace(config=config, driver=parts.driver), agi_port=0)
        try:
            outsider = FakeChannel(handle.agi_port, "feature/11", channel="PJSIP/1001", source="127.0.0.2")
            asterisk = FakeChannel(handle.agi_port, "feature/11", channel="PJSIP/1002")
            ends = await asyncio.gather(outsider.run(), asterisk.run(), return_exceptions=True)
        finally:
            await handle.close()
        refused = next(AgiGuardCollector(handle.agi).collect()).samples[0]
        assert refused.name == "callcenter_agi_refused_total"
        return parts, refused.value, outsider.commands, ends

    parts, refused, commands, ends = asyncio.run(scenario(None))
    assert parts.submitted(AgentLoggedIn) == [AgentLoggedIn("1002", True)]
    assert refused == 1 and commands == [] and ends[1] is None
    parts, refused, commands, ends = asyncio.run(scenario(["127.0.0.2"]))
    assert parts.submitted(AgentLoggedIn) == [AgentLoggedIn("1001", True)] and refused == 1


@pytest.mark.parametrize(("hosts", "line", "field", "words"), [
    ('\n    - "127.0.0.1"\n    - "0.0.0.0/0"', 14, "asterisk.hosts[1]", "trusts every address"),
    ('\n    - "pbx.example"', 13, "asterisk.hosts[0]", "expected an IP address or network"),
    (" []", 12, "asterisk.hosts", "at least 1"),
])
def test_a_bad_asterisk_host_names_file_line_and_field(tmp_path, hosts, line, field, words):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, GOOD + f"asterisk:\n  hosts:{hosts}\n"))
    [issue] = err.value.issues
    assert str(issue.origin).endswith(f"hotline.yaml:{line}") and issue.field == field
    assert words in issue.message


def test_without_ami_or_with_ami_down_the_fastagi_side_still_serves():
    closed_port = free_port()

    async def scenario():
        parts = engine_parts()
        engine = SimpleNamespace(config=parts.config, driver=parts.driver)
        handles = [await start_asterisk(engine, agi_port=0),
                   await start_asterisk(engine, agi_port=0, ami=AMISettings(
                       SECRET, port=closed_port, username="engine"))]
        try:
            assert handles[0].ami is None and handles[1].ami is not None
            assert not handles[1].ami.connected  # retried in the background
            for handle, seat in zip(handles, ("1001", "1002"), strict=True):
                login = FakeChannel(handle.agi_port, "feature/11", channel=f"PJSIP/{seat}")
                await login.run()
        finally:
            for handle in handles:
                await handle.close()
        return parts

    parts = asyncio.run(scenario())
    assert parts.submitted(AgentLoggedIn) == [AgentLoggedIn("1001", True), AgentLoggedIn("1002", True)]

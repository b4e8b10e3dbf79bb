"""``callcenter sms test NUMBER`` against a real SMPP server, its refusals of user mistakes
(one line, exit 2), and ``callcenter sms outbox``."""

from __future__ import annotations

import asyncio
import threading

import pytest
from click.testing import CliRunner

from callcenter.cli import main
from tests.sms.smsc import FakeSmsc
from tests.sms.test_engine_sms import SECTION
from tests.sms.test_sms_config import folder_with


@pytest.fixture
def smsc():
    """The test SMSC on a loop of its own thread (the command runs its own loop)."""
    loop = asyncio.new_event_loop()
    server = FakeSmsc()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env={"CALLCENTER_SMPP_PASSWORD": "s3cret", **(env or {})})


def test_a_test_sms_is_sent_and_delivered(tmp_path, smsc):
    folder = folder_with(tmp_path, SECTION.format(port=smsc.port))
    result = invoke("sms", "test", "+86 138 0000 0001", "--config", str(folder), "--text", "测试短信")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"bound to 127.0.0.1:{smsc.port} as hotline (transceiver)", "submitted 1 part(s) to 13800000001",
        "part 1: accepted as M00001", "part 1: DELIVRD"]
    [sub] = smsc.submitted
    assert sub.text == "测试短信" and sub.destination == "8613800000001"


def test_a_refused_bind_exits_1_with_the_reason(tmp_path, smsc):
    folder = folder_with(tmp_path, SECTION.format(port=smsc.port))
    result = invoke("sms", "test", "13800000001", "--config", str(folder),
                    env={"CALLCENTER_SMPP_PASSWORD": "nope"})
    assert result.exit_code == 1
    assert "failed: the SMSC refused the bind as hotline: 0x0000000E Invalid Password" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["sms", "test", "053188881234"], "NUMBER: '053188881234' is not a mainland mobile number"),
    (["sms", "test", "13800000001"], "config: no sms: section"),
])
def test_user_mistakes_are_one_line_and_exit_2(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_the_outbox_lists_queued_messages(tmp_path):
    from tests.casework.api_client import CaseApi, Clock
    from tests.casework.conftest import MONDAY_9AM
    from tests.casework.test_cases_api import intake
    from tests.sms.test_sender import Rig

    url = f"sqlite:///{tmp_path / 'engine.db'}"
    api = CaseApi(url, Clock(MONDAY_9AM))
    try:
        api.add_user("agent1", "agent")
        Rig(api)
        case_id = intake(api)["case_id"]
    finally:
        api.close()
    result = invoke("sms", "outbox", "--db", url, "--status", "queued")
    assert result.exit_code == 0, result.output
    assert f"{case_id}/intake  queued" in result.output and result.output.endswith("1 message(s)\n")

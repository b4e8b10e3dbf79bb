"""The sender against a real SMPP server over loopback (``tests/sms/smsc.py``): bind refused on
a wrong password, submit_sm with the right text, encoding and parts, delivery receipts in the
case's history, the outbox drained once after the SMSC comes back, throttling obeyed."""

from __future__ import annotations

import asyncio
import socket

import pytest

from callcenter.config.sms_section import SmsSection
from callcenter.sms.sender import SmsSender
from callcenter.sms.text import UCS2
from callcenter.sms.wiring import attach_notices, history_recorder
from tests.casework.test_cases_api import intake
from tests.sms.smsc import FakeSmsc
from tests.sms.test_notices import close_with_reply

PASSWORD = "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def section(port: int, **extra) -> SmsSection:
    fields = {"smsc": f"127.0.0.1:{port}", "system_id": "hotline", "quiet_hours": None,
              "rate_per_second": 200, "reconnect_max_seconds": 2, **extra}
    return SmsSection(**fields)


class Rig:
    """The case API with notices attached (before any intake), then a sender for an SMSC."""

    def __init__(self, api, **extra) -> None:
        self.api = api
        self.extra = extra
        self.outbox = attach_notices(api.casework, section(1, **extra), line="12345")
        self.sender: SmsSender | None = None

    def connect(self, port: int, password: str = PASSWORD, **more) -> SmsSender:
        """A sender (rig.sender) for the SMSC on ``port``."""
        self.sms = section(port, **{**self.extra, **more})
        self.sender = SmsSender(self.sms, self.outbox, password, source="12345",
                                on_change=history_recorder(self.api.casework))
        return self.sender



    def notified(self, case_id: str) -> list[tuple[str, str, str]]:
        return [(e.data["notice"], e.data["status"], e.data["detail"])
                for e in self.api.casework.store.history(case_id) if e.kind == "Notified"]

    def status(self, case_id: str) -> dict[str, str]:
        return {m["notice"]: m["status"] for m in self.outbox.messages(case_id)}


def run(api, coro):
    return api.loop.run_until_complete(asyncio.wait_for(coro, 60))


async def until(condition, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def test_a_wrong_password_is_refused_and_not_hammered(api):
    rig = Rig(api)
    intake(api)

    async def scenario():
        smsc = FakeSmsc()
        port = await smsc.start()
        rig.connect(port, password="wrong", reconnect_max_seconds=30)
        rig.sender.start()
        await smsc.wait_for(lambda: smsc.binds)
        await asyncio.sleep(0.5)
        await rig.sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    assert smsc.binds == [("hotline", "wrong", "bind_transceiver", 0x0E)]  # one try: then the maximum
    assert "refused the bind as hotline: 0x0000000E Invalid Password" in rig.sender.last_error
    assert smsc.submitted == [] and rig.sender.stats["binds"] == 0


def test_intake_sms_is_submitted_and_its_receipt_lands_in_the_case(api):
    rig = Rig(api)
    case_id = intake(api)["case_id"]

    async def scenario():
        smsc = FakeSmsc()
        rig.connect(await smsc.start())
        rig.sender.start()
        await until(lambda: rig.status(case_id) == {"intake": "delivered"})
        await smsc.wait_for(lambda: smsc.acks)  # the receipt is acknowledged once stored
        await rig.sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    [sub] = smsc.submitted
    [message] = rig.outbox.messages(case_id)
    assert (sub.system_id, sub.source) == ("hotline", "12345")
    assert (sub.destination, sub.dest_ton) == ("8613800000001", 1)
    assert sub.data_coding == UCS2 and sub.esm_class == 0 and sub.registered_delivery == 1
    assert sub.text == message["text"] and case_id in sub.text
    assert rig.notified(case_id) == [("intake", "sent", "smsc id M00001"),
                                     ("intake", "delivered", "DELIVRD M00001 err:000")]
    assert smsc.acks and all(status == 0 for _, status in smsc.acks)


@pytest.mark.parametrize("concatenation", ["udh", "sar"])
def test_a_long_closure_goes_as_one_concatenated_sms(api, concatenation):
    reply = "The water main on Wenhua East Road was repaired and supply restored at 18:00. " * 4
    rig = Rig(api, concatenation=concatenation)
    case_id = intake(api, language="en")["case_id"]
    close_with_reply(api, case_id, reply.strip())

    async def scenario():
        smsc = FakeSmsc()
        rig.connect(await smsc.start())
        rig.sender.start()
        await until(lambda: rig.status(case_id) == {"intake": "delivered", "closure": "delivered"})
        await until(lambda: ("closure", "delivered") in [(n, s) for n, s, _ in rig.notified(case_id)])
        await rig.sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    closure = next(m for m in rig.outbox.messages(case_id) if m["notice"] == "closure")
    parts = [s for s in smsc.submitted if s.smsc_id != "M00001"]
    assert closure["segments"] == len(parts) == 3 and {p.data_coding for p in parts} == {0}  # GSM-7
    assert "".join(p.text for p in parts) == closure["text"]
    if concatenation == "udh":
        assert [p.udh[4:] for p in parts] == [bytes((3, i)) for i in (1, 2, 3)]
        assert len({p.udh[3] for p in parts}) == 1 and all(p.esm_class == 0x40 for p in parts)
    else:
        assert [p.sar[1:] for p in parts] == [(3, 1), (3, 2), (3, 3)] and not any(p.udh for p in parts)
    notified = rig.notified(case_id)
    assert ("closure", "delivered") in [(n, s) for n, s, _ in notified]
    assert rig.sender.stats["unknown_receipts"] == 0  # every part's receipt matched its part
    assert notified[-1][2].startswith("DELIVRD")


def test_smsc_down_then_up_drains_the_outbox_once(api):
    port = free_port()

    rig = Rig(api)
    cases = [intake(api, caller_number=f"1380000000{i}")["case_id"] for i in range(1, 4)]

    async def scenario():
        rig.connect(port)
        rig.sender.start()
        await until(lambda: rig.sender.stats["connects"] == 0 and "cannot reach" in rig.sender.last_error)
        assert all(rig.status(c) == {"intake": "queued"} for c in cases)
        smsc = FakeSmsc()
        await smsc.start(port)
        await until(lambda: all(rig.status(c) == {"intake": "delivered"} for c in cases), 15)
        await rig.sender.close()
        # the engine restarts: a new sender over the same outbox sends nothing again
        again = SmsSender(rig.sms, rig.outbox, PASSWORD, source="12345",
                          on_change=history_recorder(api.casework))
        again.start()
        await until(lambda: again.bound.is_set())
        await asyncio.sleep(0.3)
        await again.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    assert sorted(s.destination for s in smsc.submitted) == [f"861380000000{i}" for i in (1, 2, 3)]


def test_a_throttling_smsc_is_retried_later_and_each_message_sent_once(api):
    rig = Rig(api)
    case_id = intake(api)["case_id"]

    async def scenario():
        smsc = FakeSmsc(throttle=3)
        rig.connect(await smsc.start())
        rig.sender.start()
        await until(lambda: rig.status(case_id) == {"intake": "delivered"}, 20)
        await rig.sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    assert smsc.refused == 3 and len(smsc.submitted) == 1
    assert rig.sender.stats["throttled"] == 3
    [message] = rig.outbox.messages(case_id)
    assert message["attempts"] == 0  # the SMSC's pace is not the message's fault


def test_an_undeliverable_message_is_failed_in_the_history(api):
    rig = Rig(api)
    case_id = intake(api)["case_id"]

    async def scenario():
        smsc = FakeSmsc(receipt_state="UNDELIV")
        rig.connect(await smsc.start())
        rig.sender.start()
        await until(lambda: rig.status(case_id) == {"intake": "failed"})
        await until(lambda: rig.notified(case_id)[-1][1] == "failed")
        await rig.sender.close()
        await smsc.stop()
        return None

    run(api, scenario())
    assert rig.notified(case_id)[-1] == ("intake", "failed", "UNDELIV M00001 err:000")


def test_quiet_hours_hold_a_due_message_until_morning(api):
    rig = Rig(api)
    case_id = intake(api)["case_id"]

    async def scenario():
        smsc = FakeSmsc()
        night = section(await smsc.start(), quiet_hours="21:00-08:00")
        midnight = 1_794_844_800.0  # 2026-11-17 00:00 +08:00
        sender = SmsSender(night, rig.outbox, PASSWORD, source="12345", clock=lambda: midnight,
                           hours=night.sending_hours("Asia/Shanghai"),
                           on_change=history_recorder(api.casework))
        sender.start()
        await until(lambda: sender.bound.is_set())
        await asyncio.sleep(0.3)
        await sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    assert smsc.submitted == [] and rig.status(case_id) == {"intake": "queued"}


def test_a_slow_smsc_gets_each_part_once_while_new_work_arrives(api):
    from tests.sms.test_hostile_smsc import open_case

    rig = Rig(api)
    first = intake(api)["case_id"]

    async def scenario():
        smsc = FakeSmsc(resp_delay=1.0)
        rig.connect(await smsc.start())
        rig.sender.start()
        await smsc.wait_for(lambda: smsc.submitted)  # the first is in flight, unanswered
        second = await asyncio.to_thread(open_case, api)
        rig.sender.poke()
        await until(lambda: rig.status(first) == rig.status(second) == {"intake": "delivered"})
        await rig.sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    assert sorted(s.destination for s in smsc.submitted) == ["8613800000001", "8613800000009"]

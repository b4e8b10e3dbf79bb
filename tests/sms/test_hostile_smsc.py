"""A hostile SMSC over loopback: an oversized command_length, malformed PDUs and a flood of
deliver_sm cost bounded memory, are logged clearly, and leave the sender working."""

from __future__ import annotations

import asyncio
import logging
import struct
import tracemalloc

from smpplib.client import SimpleSequenceGenerator

from callcenter.casework.accounts import User
from tests.casework.test_cases_api import intake
from tests.sms.smsc import FakeSmsc, receipt_pdu
from tests.sms.test_sender import Rig, run, until


def open_case(api) -> str:
    """A case taken in by the service itself (from a worker thread: the test's loop is busy)."""
    outcome = api.casework.service.open(User("agent1", "agent"), {
        "channel": "phone", "category": "0201", "text": "停水", "caller_number": "13800000009"})
    return outcome.case.case_id


def once(action):
    """An ``after_bind`` that plays ``action`` on the first connection only."""
    done = []

    async def after_bind(writer: asyncio.StreamWriter) -> None:
        if not done:
            done.append(True)
            await action(writer)

    return after_bind


def test_an_oversized_command_length_drops_the_link_and_the_next_one_works(api, caplog):
    caplog.set_level(logging.INFO, "callcenter.sms")
    rig = Rig(api)

    async def huge(writer: asyncio.StreamWriter) -> None:
        writer.write(struct.pack(">LLLL", 0xFFFFFFF0, 5, 0, 9))  # "4 GB of deliver_sm follow"
        await writer.drain()

    async def scenario():
        smsc = FakeSmsc(after_bind=once(huge))
        rig.connect(await smsc.start(), reconnect_max_seconds=1)
        rig.sender.start()
        await until(lambda: rig.sender.stats["binds"] == 2, 15)
        case_id = await asyncio.to_thread(open_case, api)
        rig.sender.poke()
        await until(lambda: rig.status(case_id) == {"intake": "delivered"})
        await rig.sender.close()
        await smsc.stop()

    run(api, scenario())
    assert "SMPP link closed: command_length 4294967280 outside 16..16384" in caplog.text


def test_malformed_pdus_are_nacked_and_the_link_stays_up(api, caplog):
    caplog.set_level(logging.INFO, "callcenter.sms")
    rig = Rig(api)
    case_id = intake(api)["case_id"]

    async def garbage(writer: asyncio.StreamWriter) -> None:
        writer.write(struct.pack(">LLLL", 16, 0x00000077, 0, 41))  # an unknown command
        writer.write(struct.pack(">LLLL", 20, 0x80000004, 0, 4242) + b"X\0\0\0")  # a response to nothing
        writer.write(struct.pack(">LLLL", 16 + 7, 5, 0, 43) + b"\x00\x00\x00\x00\x00\x04\xff")  # cut short
        await writer.drain()

    async def scenario():
        smsc = FakeSmsc(after_bind=once(garbage))
        rig.connect(await smsc.start())
        rig.sender.start()
        await until(lambda: rig.status(case_id) == {"intake": "delivered"})
        await rig.sender.close()
        await smsc.stop()
        return smsc

    smsc = run(api, scenario())
    assert rig.sender.stats["binds"] == 1 and rig.sender.stats["closed"] == 1  # never dropped meanwhile
    assert len(smsc.submitted) == 1


def test_a_flood_of_deliver_sm_is_acked_in_bounded_memory(api, caplog):
    caplog.set_level(logging.INFO, "callcenter.sms")
    rig = Rig(api)
    flood = 3000

    async def storm(writer: asyncio.StreamWriter) -> None:
        seq = SimpleSequenceGenerator()
        for i in range(flood):
            writer.write(receipt_pdu(seq, f"X{i:06d}", "DELIVRD").generate())
            if i % 100 == 0:
                await writer.drain()
        await writer.drain()

    async def scenario():
        smsc = FakeSmsc(after_bind=once(storm))
        rig.connect(await smsc.start())
        tracemalloc.start()
        rig.sender.start()
        await smsc.wait_for(lambda: len(smsc.acks) >= flood, 60)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        case_id = await asyncio.to_thread(open_case, api)
        rig.sender.poke()
        await until(lambda: rig.status(case_id) == {"intake": "delivered"})
        await smsc.wait_for(lambda: len(smsc.acks) > flood)
        await rig.sender.close()
        await smsc.stop()
        return smsc, peak

    smsc, peak = run(api, scenario())
    assert len(smsc.acks) == flood + 1 and all(status == 0 for _, status in smsc.acks)
    assert rig.sender.stats["unknown_receipts"] == flood and rig.sender.stats["binds"] == 1
    assert peak < 8 * 1024 * 1024, peak
    assert f"sms: {flood} delivery receipt(s) for messages not in the outbox" in caplog.text

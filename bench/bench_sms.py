"""SMS notices benchmark: how fast the sender drains a backlog from the outbox to an SMSC.

A backlog is what the sender meets after the quiet hours or an SMSC outage: a night's intakes
at once. N cases are taken in through the case service (each queues its intake notice in the
case's own transaction, UCS-2, one SMS); a third of them also get a three-part closure notice.
The sender (the engine's, against the test suite's SMPP server over loopback, which answers
and sends a delivery receipt for every part) drains it with the SMSC rate unlimited; the run
ends when every message is delivered and its ``Notified`` entries are in the case history.
Measured: parts per second submitted, messages per second delivered end to end (submit_sm,
its response stored, the receipt stored, the history written), for two windows.

Baseline, side by side: ``smpplib``'s own blocking ``Client`` submitting the same parts to the
same server, one at a time (window 1), storing nothing and not waiting for receipts.

    python bench/bench_sms.py --cases 2000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smpplib import client as smpp_client  # noqa: E402

from callcenter.casework.accounts import User  # noqa: E402
from callcenter.casework.service import build_casework  # noqa: E402
from callcenter.config.sms_section import SmsSection  # noqa: E402
from callcenter.sms.notices import Notice  # noqa: E402
from callcenter.sms.numbers import smpp_address  # noqa: E402
from callcenter.sms.sender import SmsSender  # noqa: E402
from callcenter.sms.text import segmentation, split  # noqa: E402
from callcenter.sms.wiring import attach_notices, history_recorder  # noqa: E402
from tests.sms.smsc import FakeSmsc  # noqa: E402

REPLY = "经核查，该路段路灯线路老化，已于今日更换线路并恢复照明。感谢您对城市管理工作的支持与监督。" * 3


def fill(folder: str, cases: int):
    casework = build_casework(f"sqlite:///{folder}/bench.db")
    sms = SmsSection(smsc="127.0.0.1:1", system_id="hotline", quiet_hours=None)
    outbox = attach_notices(casework, sms, line="12345")
    agent = User("agent1", "agent")
    started = time.perf_counter()
    ids = []
    for i in range(cases):
        outcome = casework.service.open(agent, {"channel": "phone", "category": "0201", "text": "路灯不亮",
                                                "caller_number": f"138{i:08d}"})
        ids.append(outcome.case.case_id)
    intake_seconds = time.perf_counter() - started
    for case_id in ids[::3]:
        text = f"【12345】您的诉求（工单号{case_id}）已办结。答复：{REPLY}"
        outbox.add(Notice(f"{case_id}/closure", case_id, "closure", "13800000000", "zh", text,
                          segmentation(text).segments, 0.0))
    messages = outbox.messages()
    return casework, outbox, messages, intake_seconds


async def drain(casework, outbox, messages, window: int) -> tuple[float, int]:
    smsc = FakeSmsc()
    port = await smsc.start()
    sms = SmsSection(smsc=f"127.0.0.1:{port}", system_id="hotline", quiet_hours=None, rate_per_second=1000,
                     window=window)
    sender = SmsSender(sms, outbox, "s3cret", source="12345", on_change=history_recorder(casework))
    parts = sum(m["segments"] for m in messages)
    started = time.perf_counter()
    sender.start()
    while True:
        done = casework.store.backend.query(
            "SELECT COUNT(*) FROM case_events WHERE kind = 'Notified' AND data LIKE '%\"delivered\"%'")[0][0]
        if done >= len(messages):
            break
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - started
    await sender.close()
    await smsc.stop()
    assert len(smsc.submitted) == parts, (len(smsc.submitted), parts)
    return seconds, parts


def baseline(messages) -> tuple[float, int]:
    """smpplib's blocking Client: the same parts, one at a time, nothing stored."""
    loop = asyncio.new_event_loop()
    smsc = FakeSmsc(receipts=False)
    port = loop.run_until_complete(smsc.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    client = smpp_client.Client("127.0.0.1", port, allow_unknown_opt_params=True)
    client.set_message_sent_handler(lambda pdu: None)
    client.connect()
    client.bind_transmitter(system_id="hotline", password="s3cret")
    parts = [(m, p) for m in messages for p in split(m["text"], m["message_id"])]
    started = time.perf_counter()
    for message, part in parts:
        destination, ton, npi = smpp_address(message["number"])
        client.send_message(source_addr="12345", source_addr_ton=0, source_addr_npi=1,
                            destination_addr=destination, dest_addr_ton=ton, dest_addr_npi=npi,
                            esm_class=part.esm_class, data_coding=part.data_coding,
                            registered_delivery=0, short_message=part.short_message)
        client.read_once()
    seconds = time.perf_counter() - started
    client.unbind()
    client.disconnect()
    asyncio.run_coroutine_threadsafe(smsc.stop(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    return seconds, len(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    for window in (1, 10):
        with tempfile.TemporaryDirectory() as folder:
            casework, outbox, messages, intake_seconds = fill(folder, args.cases)
            seconds, parts = asyncio.run(drain(casework, outbox, messages, window))
            rows.append((f"engine sender, window {window}", len(messages), parts, seconds))
            if window == 10:
                b_seconds, b_parts = baseline(messages)
                rows.append(("smpplib Client, window 1, nothing stored", len(messages), b_parts, b_seconds))
            casework.close()
    print(f"{args.cases} intakes queued their notices in {intake_seconds:.1f} s "
          f"({args.cases / intake_seconds:.0f} case commits/s, SQLite with fsync)")
    print(f"{'':44} {'messages':>9} {'parts':>7} {'seconds':>8} {'parts/s':>8} {'msgs/s':>7}")
    for name, count, parts, seconds in rows:
        print(f"{name:44} {count:9d} {parts:7d} {seconds:8.2f} {parts / seconds:8.0f} {count / seconds:7.0f}")


if __name__ == "__main__":
    main()

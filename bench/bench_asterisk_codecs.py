"""Benchmark: Asterisk codecs on the recorded transcripts, side by side with baselines.

AGI: every ``200 result=...`` line of the FastAGI transcripts through our result parser and
through pyst2's (the ``re_code`` / ``re_kv`` regexes of ``asterisk.agi``); both must agree on
the result (pyst2 drops the data of ``200 result= (timeout)``, which the run prints).
AMI: the received side of ami_login_and_events.txt (banner, ~200 messages) through our
incremental ``AMIConnection`` fed in 4 KiB chunks, against a naive ``split(b"\\r\\n\\r\\n")``
baseline that does no validation and no size guards; both must produce the same headers.

Run:  python bench/bench_asterisk_codecs.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from callcenter.asterisk.agi_responses import parse_result  # noqa: E402
from callcenter.asterisk.ami_protocol import (  # noqa: E402
    NEED_DATA,
    AMIConnection,
    MessageReceived,
)
from callcenter.asterisk.transcripts import (  # noqa: E402
    RECEIVED,
    ami_blocks,
    load_fixture,
    wire_bytes,
)

AGI_FILES = ["agi_session_basic.txt", "agi_session_caller_hangup.txt", "agi_session_errors.txt"]


def agi_lines() -> list[str]:
    lines = []
    for name in AGI_FILES:
        for line in load_fixture(name).lines:
            if line.direction == RECEIVED and line.text.startswith("200 "):
                lines.append(line.text)
    return lines


def ours_agi(line: str) -> tuple[str, str]:
    response = parse_result(line)
    return response.result, response.data or ""


def pyst2_agi() -> Callable[[str], tuple[str, str]] | None:
    try:
        from asterisk import agi
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None

    def parse(line: str) -> tuple[str, str]:
        code, response = agi.re_code.search(line).groups()
        result = {"result": ("", "")}
        for key, value, data in agi.re_kv.findall(response):
            result[key] = (value, data)
        return result["result"]

    return parse


def ami_wire() -> bytes:
    blocks = [b for b in ami_blocks(load_fixture("ami_login_and_events.txt").lines)]
    received = [b for b in blocks if b.direction == RECEIVED]
    return b"".join(
        wire_bytes(b.lines if b.is_banner else [*b.lines, ""], b"\r\n") for b in received
    )


def ours_ami(wire: bytes) -> list[tuple[tuple[str, str], ...]]:
    conn = AMIConnection()
    messages = []
    for start in range(0, len(wire), 4096):
        conn.receive_data(wire[start : start + 4096])
        while (event := conn.next_event()) is not NEED_DATA:
            if isinstance(event, MessageReceived):
                messages.append(event.message.headers)
    return messages


def naive_ami(wire: bytes) -> list[tuple[tuple[str, str], ...]]:
    _, _, rest = wire.partition(b"\r\n")
    messages = []
    for chunk in rest.split(b"\r\n\r\n"):
        if not chunk:
            continue
        pairs = []
        for line in chunk.decode().split("\r\n"):
            name, _, value = line.partition(":")
            pairs.append((name, value[1:] if value.startswith(" ") else value))
        messages.append(tuple(pairs))
    return messages


def rate(func: Callable[[object], object], items: list, seconds: float) -> float:
    """Best items/second over 10 rounds of about seconds/10 each."""
    best = 0.0
    for _ in range(10):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 10:
            for item in items:
                func(item)
            done += len(items)
        best = max(best, done / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per parser")
    args = parser.parse_args()

    lines = agi_lines()
    baseline = pyst2_agi()
    print(f"AGI: {len(lines)} recorded result lines")
    if baseline is None:
        print("  pyst2 is not importable; AGI baseline skipped")
    else:
        ours_all, theirs_all = [ours_agi(x) for x in lines], [baseline(x) for x in lines]
        assert [o[0] for o in ours_all] == [t[0] for t in theirs_all], "AGI results disagree"
        lost = [x for x, o, t in zip(lines, ours_all, theirs_all, strict=True) if o != t]
        print(f"  pyst2 loses the (data) of {len(lost)} line(s): {lost}")
    ours_rate = rate(ours_agi, lines, args.seconds)
    print(f"  ours : {ours_rate:12.0f} lines/s")
    if baseline is not None:
        base_rate = rate(baseline, lines, args.seconds)
        print(f"  pyst2: {base_rate:12.0f} lines/s   ratio ours/pyst2 {ours_rate / base_rate:.2f}")

    wire = ami_wire()
    parsed = ours_ami(wire)
    assert parsed == naive_ami(wire), "AMI parsers disagree"
    print(f"AMI: {len(parsed)} messages, {len(wire)} bytes per pass")
    ours_msgs = rate(ours_ami, [wire], args.seconds) * len(parsed)
    naive_msgs = rate(naive_ami, [wire], args.seconds) * len(parsed)
    print(f"  ours : {ours_msgs:12.0f} messages/s (incremental, validated, size-guarded)")
    print(f"  naive: {naive_msgs:12.0f} messages/s   ratio ours/naive {ours_msgs / naive_msgs:.2f}")


if __name__ == "__main__":
    main()

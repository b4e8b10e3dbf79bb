"""Benchmark: SIP message parsing, our sans-IO parser against sippy's (or a naive baseline).

Both parsers get the same realistic messages (INVITE with SDP, 200 OK with SDP, ACK, BYE,
REGISTER with Authorization) and must expose what a transaction layer reads from every
message: Call-ID, CSeq number and method, From/To tags and the top Via branch.

Run:  python bench/bench_sip_parse.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "sip"))

from sip_samples import ALL  # noqa: E402

from callcenter.sip.message import parse_message  # noqa: E402

Key = tuple[str, int, str, str | None, str | None, str | None]


def ours(data: bytes) -> Key:
    msg = parse_message(data)
    cseq = msg.cseq
    return msg.call_id, cseq.seq, cseq.method, msg.from_tag, msg.to_tag, msg.branch


def sippy_parser() -> Callable[[bytes], Key] | None:
    """sippy's parser wrapped to return the same fields, or None if sippy is unavailable."""
    try:
        from sippy.SipRequest import SipRequest
        from sippy.SipResponse import SipResponse
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None

    def parse(data: bytes) -> Key:
        text = data.decode()
        msg = SipResponse(buf=text) if text.startswith("SIP/") else SipRequest(buf=text)
        cseq = msg.getHFBody("cseq")
        return (
            str(msg.getHFBody("call-id")),
            cseq.getCSeqNum(),
            cseq.getCSeqMethod(),
            msg.getHFBody("from").getTag(),
            msg.getHFBody("to").getTag(),
            msg.getHFBody("via").getBranch(),
        )

    return parse


def naive(data: bytes) -> Key:
    """Baseline: split lines into a dict with no validation and regex-free tag lookup."""
    text = data.decode()
    head = text.split("\r\n\r\n", 1)[0]
    fields: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), value.strip())

    def param(value: str, name: str) -> str | None:
        for part in value.split(";")[1:]:
            key, _, val = part.partition("=")
            if key.strip() == name:
                return val.strip()
        return None

    seq, method = fields["cseq"].split()
    return (fields["call-id"], int(seq), method, param(fields["from"], "tag"),
            param(fields["to"], "tag"), param(fields["via"], "branch"))


def rate(parse: Callable[[bytes], Key], messages: list[bytes], seconds: float) -> float:
    """Messages parsed per second over roughly ``seconds`` of wall time."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for data in messages:
            parse(data)
        count += len(messages)
    return count / (time.perf_counter() - start)


def interleaved(parsers: dict[str, Callable[[bytes], Key]], messages: list[bytes],
                seconds: float, rounds: int = 10) -> dict[str, float]:
    """Best rate of each parser over alternating short rounds (robust to other load)."""
    best = dict.fromkeys(parsers, 0.0)
    for _ in range(rounds):
        for name, parse in parsers.items():
            best[name] = max(best[name], rate(parse, messages, seconds / rounds))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per parser")
    args = parser.parse_args()
    messages = list(ALL.values())
    baseline = sippy_parser()
    name = "sippy"
    if baseline is None:
        print("sippy is not importable; comparing against a naive split-lines baseline")
        baseline, name = naive, "naive"
    for data in messages:
        assert ours(data) == baseline(data), "parsers disagree"
    parsers = {"ours": ours, name: baseline}
    if name != "naive":
        parsers["naive"] = naive
    rates = interleaved(parsers, messages, args.seconds)
    print(f"messages: {', '.join(ALL)}; best of 10 alternating rounds")
    print(f"ours : {rates['ours']:10.0f} messages/s")
    print(f"{name:5}: {rates[name]:10.0f} messages/s")
    print(f"ratio ours/{name}: {rates['ours'] / rates[name]:.2f}")
    if name != "naive":
        print(f"naive: {rates['naive']:10.0f} messages/s (no validation, for scale)")


if __name__ == "__main__":
    main()

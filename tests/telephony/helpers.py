"""Loopback SIP parties for the telephony tests: callers, agent seats, keys and listeners."""

from __future__ import annotations

import asyncio
import itertools
import socket

import numpy as np

from acd.events import AgentLoggedIn
from callcenter.media import g711
from callcenter.media.dtmf import dtmf_packets
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpSender
from callcenter.media.rtp_endpoint import RtpEndpoint, play
from callcenter.media.tone import sine
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.telephony.embedded import start_embedded

PASSWORDS = {"1001": "seat-1001-pass", "1002": "seat-1002-pass"}
LOCAL = "127.0.0.1"


class Listener:
    """Collects the audio arriving on one call's RTP socket."""

    def __init__(self) -> None:
        self.samples: list[np.ndarray] = []

    def __call__(self, packet, addr) -> None:
        if packet.payload_type in (0, 8):
            self.samples.append(g711.decode(packet.payload, packet.payload_type))

    def tail(self, seconds: float) -> np.ndarray:
        audio = np.concatenate(self.samples) if self.samples else np.zeros(0, np.int16)
        return audio[-int(seconds * 8000):]


async def register_seat(tel, agent_id: str, parts, answered: list[Call], *,
                auto_answer: bool = True) -> UserAgent:
    seat = UserAgent(await open_endpoint(port=0), user=agent_id, media=True,
                     on_call=answered.append, auto_answer=auto_answer)
    response = await seat.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port),
                                   username=agent_id, password=PASSWORDS[agent_id])
    assert response is not None and response.status == 200
    parts.driver.submit(AgentLoggedIn(agent_id, ready=True))
    return seat


async def wait_for(predicate, timeout: float) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(poll(), timeout)


async def exchange_tones(caller_call: Call, seat_call: Call, *,
                         caller_rtp: RtpEndpoint | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Both ends send a tone at once; returns (heard by the seat, heard by the caller)."""
    caller_rtp = caller_rtp or await caller_call.media()
    seat_rtp = await seat_call.media()
    at_seat, at_caller = Listener(), Listener()
    seat_rtp.on_packet, caller_rtp.on_packet = at_seat, at_caller
    await asyncio.sleep(0.1)  # let hold music in flight drain
    await asyncio.gather(
        play(caller_rtp, PromptPlayer([sine(1000, 0.6)]), RtpSender(caller_call.payload_type),
             caller_call.remote_media, payload_type=caller_call.payload_type),
        play(seat_rtp, PromptPlayer([sine(600, 0.6)]), RtpSender(seat_call.payload_type),
             seat_call.remote_media, payload_type=seat_call.payload_type))
    await asyncio.sleep(0.1)
    return at_seat.tail(0.3), at_caller.tail(0.3)


async def press(call: Call, digits: str, rtp: RtpEndpoint | None = None) -> None:
    """Send RFC 4733 telephone-events for ``digits`` on the call's RTP stream."""
    rtp = rtp or await call.media()
    sender = RtpSender(call.payload_type)
    for digit in digits:
        for packet in dtmf_packets(sender, digit, payload_type=call.dtmf_payload_type):
            rtp.send(packet, call.remote_media)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.15)


async def start(parts, prompts_dir):
    return await start_embedded(parts, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                passwords=PASSWORDS)


async def new_caller() -> UserAgent:
    return UserAgent(await open_endpoint(port=0), user="13800138000", media=True)


_branches = itertools.count(1)


class RawPeer:
    """A bare UDP socket that sends hand-written SIP and reads the status lines it gets back."""

    def __init__(self, engine_port: int, host: str = LOCAL) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.host, self.port = self.sock.getsockname()
        self.engine = (LOCAL, engine_port)

    def request(self, method: str, user: str = "12345", *, call_id: str | None = "auto",
                extra: str = "", body: bytes = b"", content_length: int | None = None,
                to_tag: str = "", from_tag: str = "", cseq: int = 1) -> bytes:
        n = next(_branches)
        head = [f"{method} sip:{user}@{LOCAL}:{self.engine[1]} SIP/2.0",
                f"Via: SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bKraw{n}",
                "Max-Forwards: 70", f"From: <sip:1001@{self.host}>;tag={from_tag or f'raw{n}'}",
                f"To: <sip:{user}@{LOCAL}>{f';tag={to_tag}' if to_tag else ''}",
                f"CSeq: {cseq} {method}",
                f"Contact: <sip:1001@{self.host}:{self.port}>"]
        if call_id is not None:
            head.append(f"Call-ID: {f'raw-{n}@{self.host}' if call_id == 'auto' else call_id}")
        length = len(body) if content_length is None else content_length
        text = "\r\n".join(head) + f"\r\n{extra}Content-Length: {length}\r\n\r\n"
        return text.encode() + body

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.engine)

    async def replies(self, wait: float = 0.4) -> list[str]:
        """Status lines of the final responses that arrive within ``wait`` seconds."""
        return [line for line, _ in await self.responses(wait) if not line.startswith("SIP/2.0 1")]

    async def responses(self, wait: float) -> list[tuple[str, str]]:
        """(status line, Call-ID) of every response that arrives within ``wait`` seconds."""
        return [(text.split("\r\n", 1)[0], header(text, "call-id"))
                for text in await self.messages(wait)]

    async def messages(self, wait: float) -> list[str]:
        """Every message that arrives within ``wait`` seconds, as text."""
        loop, texts = asyncio.get_running_loop(), []
        deadline = loop.time() + wait
        while (left := deadline - loop.time()) > 0:
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 70_000), left)
            except TimeoutError:
                break
            texts.append(data.decode(errors="replace"))
        return texts

    async def exchange(self, data: bytes) -> list[str]:
        self.send(data)
        return await self.replies()


def header(text: str, name: str) -> str:
    """The first ``name`` header of a SIP message in text form ('' if there is none)."""
    prefix = name.lower() + ":"
    return next((line.split(":", 1)[1].strip() for line in text.split("\r\n")
                 if line.lower().startswith(prefix)), "")

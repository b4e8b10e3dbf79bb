"""Agent seats: SIP user agents that register, log in, ring, answer, talk (a tone), hang up.

The ACD owns the seat's state: after a call it keeps the agent in wrap-up for the configured
time and then offers the next call; after a ring-no-answer it sets the agent not ready, and
the seat (like a person noticing) goes ready again after the scenario's delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from callcenter.media.dtmf import dtmf_packets
from callcenter.media.rtp import RtpSender
from callcenter.sip.message import SipURI
from callcenter.sip.transactions import Addr
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import Call, UserAgent
from callcenter.task_set import TaskSet
from simulator.loadtest.audio import tone_frame
from simulator.loadtest.control import AgentControl
from simulator.loadtest.pacer import Pacer
from simulator.loadtest.plan import index_of

log = logging.getLogger(__name__)


@dataclass
class SeatStats:
    agent_id: str
    offers: int = 0
    taken: int = 0
    missed: int = 0  # rang out (cancelled before answering)
    silent: int = 0  # answered calls on which no audio from the caller arrived
    talk: float = 0.0
    call_ids: list[str] = field(default_factory=list)


class Seat:
    """One agent's softphone. ``handle_for(index)`` gives a call's talk time,
    ``ring_time()`` samples how long the seat rings before answering."""

    def __init__(self, agent_id: str, password: str, control: AgentControl, *,
                 handle_for: Callable[[int | None], float], ring_time: Callable[[], float],
                 ready_after: float, pacer: Pacer, host: str = "127.0.0.1",
                 on_talk: Callable[[str, bool], None] | None = None) -> None:
        self.agent_id = agent_id
        self.password = password
        self.control = control
        self.handle_for = handle_for
        self.ring_time = ring_time
        self.ready_after = ready_after
        self.pacer = pacer
        self.host = host
        self.on_talk = on_talk  # (agent id, talking) when a conversation starts and ends
        self.talking = False
        self.stats = SeatStats(agent_id)
        self.ua: UserAgent | None = None
        self._tasks = TaskSet()

    async def start(self, registrar: str, addr: Addr) -> None:
        """REGISTER (digest) and log in ready; raises RuntimeError if either fails."""
        endpoint = await open_endpoint(port=0, host=self.host)
        self.ua = UserAgent(endpoint, user=self.agent_id, media=True, auto_answer=False,
                            on_call=self._rung)
        response = await self.ua.register(registrar, addr, username=self.agent_id,
                                          password=self.password)
        if response is None or response.status != 200:
            raise RuntimeError(f"seat {self.agent_id}: REGISTER got "
                               f"{response.status if response else 'no answer'}")
        await self.control.login(self.agent_id)

    def _rung(self, call: Call) -> None:
        self._tasks.spawn(self._call(call))

    async def _call(self, call: Call) -> None:
        assert self.ua is not None
        self.stats.offers += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.ended.wait(), self.ring_time())
        if call.state == "ended":  # cancelled: caller gone, or the engine's ring timeout
            self.stats.missed += 1
            await asyncio.sleep(self.ready_after)
            await self.control.ready(self.agent_id)
            return
        self.ua.answer(call)
        try:
            await asyncio.wait_for(call.confirmed.wait(), 5)
        except TimeoutError:
            log.warning("seat %s: no ACK for %s", self.agent_id, call.call_id)
            return
        started = time.monotonic()
        self.stats.taken += 1
        self.stats.call_ids.append(call.call_id)
        try:
            number = SipURI.parse(call.invite.from_addr.uri).user or ""
        except ValueError:
            number = ""
        display = call.invite.headers.get("from") or ""
        index = index_of(display.split("<")[0])
        handle = self.handle_for(index if index is not None else index_of(number))
        self._talking(True)
        try:
            heard = await self._talk(call, handle)
        finally:
            self._talking(False)
        if not heard and time.monotonic() - started > 1.0:  # not a caller gone at once
            self.stats.silent += 1
        self.stats.talk += time.monotonic() - started
        if call.state != "ended":
            with contextlib.suppress(Exception):
                await self.ua.hangup(call, timeout=10)

    def _talking(self, talking: bool) -> None:
        self.talking = talking
        if self.on_talk is not None:
            self.on_talk(self.agent_id, talking)

    async def _talk(self, call: Call, seconds: float) -> bool:
        """Send the answer event, then the tone every 20 ms until ``seconds`` or a BYE;
        True if audio from the caller arrived meanwhile."""
        rtp = await call.media()
        pt = call.payload_type or 0
        sender = RtpSender(pt)
        if call.dtmf_payload_type is not None:
            for packet in dtmf_packets(sender, "D", payload_type=call.dtmf_payload_type,
                                       duration_ms=60):
                rtp.send(packet, call.remote_media)
        received = [0]

        def count(packet, addr) -> None:
            received[0] += 1

        rtp.on_packet = count
        key = self.pacer.add(rtp, sender, tone_frame()[pt], call.remote_media)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.ended.wait(), seconds)
        finally:
            self.pacer.remove(key)
        return received[0] > 0

    async def close(self) -> None:
        self._tasks.cancel()
        if self.ua is not None:
            await self.ua.endpoint.close()

    async def kill(self) -> None:
        """Disappear without a word, as a crashed softphone: no BYE, no more answers."""
        self._tasks.cancel()
        if self.ua is not None:
            await self.ua.endpoint.close()
            self.ua = None

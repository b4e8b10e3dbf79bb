"""A SIP trunk on loopback that, like a carrier's, answers an INVITE only once it carries the
right digest credentials: the first one gets 407 and a challenge. ``agent_call`` runs an
engine whose progressive return visit reaches the citizen through it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from callcenter.sip.digest import DigestServer
from callcenter.sip.message import SIPRequest, make_response
from callcenter.sip.transactions import Addr, TransactionKey
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent
from outbound.model import CallOutcome
from tests.outbound.helpers import replied_case
from tests.phone.outbound_engine import outbound_engine, run_campaigns
from tests.telephony.helpers import PASSWORDS, register_seat

LOCAL = "127.0.0.1"


class ChallengingTrunk(UserAgent):
    """Answers (auto, with media) the INVITEs whose Proxy-Authorization checks out for
    ``username``/``password``; every new INVITE it got is in ``invites``."""

    def __init__(self, endpoint, username: str, password: str) -> None:
        super().__init__(endpoint, user="trunk", media=True)
        self.digest = DigestServer("trunk.test", b"k" * 32, time.monotonic,
                                   lookup=lambda user: password if user == username else None)
        self.invites: list[SIPRequest] = []

    def _on_invite(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        if request.to_tag:
            super()._on_invite(request, addr, txn)
            return
        self.invites.append(request)
        if not self.digest.verify(request.headers.get("proxy-authorization"), "INVITE").ok:
            self.endpoint.respond(make_response(request, 407, headers=[
                ("Proxy-Authenticate", self.digest.challenge())]))
            return
        super()._on_invite(request, addr, txn)


async def challenging_trunk(port: int, username: str, password: str) -> ChallengingTrunk:
    return ChallengingTrunk(await open_endpoint(host=LOCAL, port=port), username, password)


def free_udp_port() -> int:
    """A UDP port free on the loopback address now (for a trunk the engine's config names)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOCAL, 0))
        return sock.getsockname()[1]


PROGRESSIVE = {"return_visits": {"mode": "progressive"},
               "agent_calls": {"warmup_seconds": 0, "tick_seconds": 0.1}}
CITIZEN = "13700137003"
Check = Callable[..., Awaitable[None]]


def agent_call(tmp_path: Path, prompts_dir: Path, check: Check, *, trunk_password: str = "trunk-pass",
               clock: Callable[[], float] | None = None) -> None:
    """A progressive visit of a replied case from ``CITIZEN`` through a trunk that challenges
    (407) and knows ``trunk_password`` for "hotline" (the engine holds "trunk-pass"); the seat
    is 1002's UA (auto answer); ``clock``: the core driver's (and the runner's). Runs ``check(
    engine, runner, trunk, outcomes, seat)`` once the case is replied; ``outcomes`` lists each
    (task id, outcome) the dialer is told."""
    port = free_udp_port()
    engine = outbound_engine(tmp_path, port, "00:00-23:59", PROGRESSIVE)
    if clock is not None:
        engine.driver.clock = clock

    async def scenario(tel, runner) -> None:
        trunk = await challenging_trunk(port, "hotline", trunk_password)
        outcomes: list[tuple[str, CallOutcome]] = []
        told = runner.on_result

        def on_result(task_id, outcome, answers) -> None:  # the dialer is told as before
            outcomes.append((task_id, outcome))
            told(task_id, outcome, answers)

        runner.on_result = on_result
        seat_calls: list = []
        seat = await register_seat(tel, "1002", engine, seat_calls)
        seat.answered = seat_calls
        try:
            await asyncio.to_thread(replied_case, engine.casework.service, CITIZEN)
            await check(engine, runner, trunk, outcomes, seat)
        finally:
            await seat.endpoint.close()
            await trunk.endpoint.close()

    run_campaigns(engine, prompts_dir, scenario, passwords=PASSWORDS, credentials=("hotline", "trunk-pass"))

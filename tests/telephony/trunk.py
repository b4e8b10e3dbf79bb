"""A SIP trunk on loopback that, like a carrier's, answers an INVITE only once it carries the
right digest credentials: the first one gets 407 and a challenge."""

from __future__ import annotations

import socket
import time

from callcenter.sip.digest import DigestServer
from callcenter.sip.message import SIPRequest, make_response
from callcenter.sip.transactions import Addr, TransactionKey
from callcenter.sip.transport import open_endpoint
from callcenter.sip.useragent import UserAgent

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

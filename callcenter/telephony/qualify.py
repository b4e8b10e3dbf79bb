"""Keeping track of seats that vanish: OPTIONS pings to registered seats (like Asterisk's
``qualify``). A seat that does not answer within ``timeout`` seconds is dropped from the
registrar, so its agent is logged out (or, during a call, its caller goes back to the queue)
before calls are offered to a softphone that is no longer there. Any answer, even an error
status, counts as alive. Only a seat that has answered a ping is ever dropped for missing
one: a user agent that ignores OPTIONS (SIPp's UAS does) is left to its registration expiry
and the RTP timeout.
"""

from __future__ import annotations

import logging

from callcenter.sip.ids import new_call_id, new_tag
from callcenter.sip.message import SIPRequest
from callcenter.sip.requests import new_request
from callcenter.sip.transactions import TransactionKey
from callcenter.sip.transport import SipEndpoint
from callcenter.telephony.registrar import Binding, Registrar

log = logging.getLogger(__name__)


class Qualifier:
    """Pings every registered seat each ``interval`` seconds on the engine's clock."""

    def __init__(self, registrar: Registrar, interval: float, timeout: float = 5.0) -> None:
        if interval <= 0 or timeout <= 0:
            raise ValueError("qualify interval and timeout must be positive")
        self.registrar = registrar
        self.interval = interval
        self.timeout = timeout
        self.pending: dict[TransactionKey, tuple[Binding, float]] = {}
        self.answering: set[tuple[str, str, tuple]] = set()  # seats that answer pings
        self._next_round: float | None = None

    def tick(self, endpoint: SipEndpoint, host: str, port: int) -> None:
        """Drop seats whose ping went unanswered; start a new round when one is due."""
        now = self.registrar.clock()
        for key, (binding, deadline) in list(self.pending.items()):
            if deadline <= now:
                del self.pending[key]
                self._unreachable(binding, f"no answer to OPTIONS in {self.timeout:g} s")
        if self._next_round is not None and now < self._next_round:
            return
        self._next_round = now + self.interval
        waiting = {binding.agent_id for binding, _ in self.pending.values()}
        for binding in self.registrar.bindings():
            if binding.agent_id not in waiting:
                key = endpoint.send_request(options(binding, host, port), binding.addr)
                self.pending[key] = (binding, now + self.timeout)

    def answered(self, key: TransactionKey) -> bool:
        """A response to one of our pings (True: it was ours, the seat is alive)."""
        entry = self.pending.pop(key, None)
        if entry is None:
            return False
        self.answering.add(_seat(entry[0]))
        return True

    def timed_out(self, key: TransactionKey) -> bool:
        entry = self.pending.pop(key, None)
        if entry is None:
            return False
        self._unreachable(entry[0], "OPTIONS timed out")
        return True

    def _unreachable(self, binding: Binding, why: str) -> None:
        seat = _seat(binding)
        if seat not in self.answering:
            return  # never answered a ping: OPTIONS tell nothing about this seat
        self.answering.discard(seat)
        if self.registrar.drop_if(binding, "unreachable"):
            log.warning("seat %s at %s:%d is unreachable (%s)", binding.agent_id,
                        *binding.addr, why)


def _seat(binding: Binding) -> tuple[str, str, tuple]:
    return binding.agent_id, binding.contact, tuple(binding.addr)


def options(binding: Binding, host: str, port: int) -> SIPRequest:
    """An out-of-dialog OPTIONS to the seat's Contact."""
    return new_request("OPTIONS", binding.contact, via=(host, port),
                       from_=f"<sip:qualify@{host}:{port}>;tag={new_tag()}",
                       to=f"<{binding.contact}>", call_id=new_call_id(host), cseq=1,
                       extra=[("Accept", "application/sdp")])

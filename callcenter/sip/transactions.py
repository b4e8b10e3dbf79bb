"""Sans-IO SIP transaction layer (RFC 3261 section 17, with the RFC 6026 Accepted state).

The layer never reads a clock or a socket. Callers feed it messages and the current time
and get back a list of actions: :class:`Send` bytes to an address, :class:`Deliver` a
message to the transaction user, report a :class:`Timeout`, or note that a transaction
:class:`Terminated`. ``next_deadline()`` tells when ``on_timer(now)`` must be called next.

Besides the four RFC 3261 state machines, the INVITE server transaction retransmits a 2xx
until the ACK arrives (RFC 3261 section 13.3.1.4, done by the UAS core in the RFC) and
reports ``Timeout(kind="L")`` when no ACK came within 64*T1, so the UAS can send BYE.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from callcenter.sip.message import (
    BRANCH_MAGIC,
    Headers,
    SIPRequest,
    SIPResponse,
    make_response,
)

Addr = tuple[str, int]
TransactionKey = tuple


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``data`` to ``addr``."""

    data: bytes
    addr: Addr


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand a message to the transaction user; ``transaction`` is None for strays."""

    message: SIPRequest | SIPResponse
    addr: Addr
    transaction: TransactionKey | None


@dataclass(frozen=True, slots=True)
class Timeout:
    """A transaction timed out: timer B, F or H, or L (no ACK for a 2xx)."""

    transaction: TransactionKey
    request: SIPRequest
    kind: str


@dataclass(frozen=True, slots=True)
class Terminated:
    """A transaction reached the Terminated state and was forgotten."""

    transaction: TransactionKey


Action = Union[Send, Deliver, Timeout, Terminated]  # noqa: UP007 - used at runtime


@dataclass(frozen=True)
class TimerConfig:
    """RFC 3261 timer base values in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0


def server_key(request: SIPRequest) -> TransactionKey:
    """Server transaction key (RFC 3261 section 17.2.3); ACK maps to its INVITE."""
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    branch = via.branch or ""
    if branch.startswith(BRANCH_MAGIC):
        host, port = via.sent_by
        return ("server", branch, host.lower(), port, method)
    # RFC 2543 peers: match on dialog identifiers and the top Via.
    cseq = request.cseq
    return ("server-2543", request.call_id, cseq.seq, request.from_tag, str(via), method)


def client_key(branch: str, method: str) -> TransactionKey:
    """Client transaction key: branch plus CSeq method (RFC 3261 section 17.1.3)."""
    return ("client", branch, "INVITE" if method == "ACK" else method)


class _Transaction:
    """Timers and bookkeeping shared by the four state machines."""

    invite = False

    def __init__(self, layer: TransactionLayer, key: TransactionKey, request: SIPRequest,
                 addr: Addr, reliable: bool) -> None:
        self.layer = layer
        self.key = key
        self.request = request
        self.addr = addr
        self.reliable = reliable
        self.state = ""
        self.timers: dict[str, float] = {}
        self.intervals: dict[str, float] = {}

    @property
    def cfg(self) -> TimerConfig:
        return self.layer.timers

    def start_timer(self, name: str, now: float, delay: float) -> None:
        self.timers[name] = now + delay
        self.intervals[name] = delay
        self.layer._schedule(self, name, now + delay)

    def stop_timer(self, *names: str) -> None:
        for name in names:
            self.timers.pop(name, None)

    def terminate(self) -> list[Action]:
        self.state = "Terminated"
        self.timers.clear()
        return self.layer._forget(self)

    def fire(self, name: str, now: float) -> list[Action]:  # pragma: no cover - overridden
        raise NotImplementedError


class InviteClientTransaction(_Transaction):
    """RFC 3261 figure 5, with Accepted (RFC 6026) after a 2xx."""

    invite = True

    def start(self, now: float) -> list[Action]:
        self.state = "Calling"
        self.data = self.request.to_bytes()
        if not self.reliable:
            self.start_timer("A", now, self.cfg.t1)
        self.start_timer("B", now, 64 * self.cfg.t1)
        return [Send(self.data, self.addr)]

    def on_response(self, response: SIPResponse, addr: Addr, now: float) -> list[Action]:
        deliver = Deliver(response, addr, self.key)
        if response.status < 200:
            if self.state in ("Calling", "Proceeding"):
                self.state = "Proceeding"
                self.stop_timer("A", "B")
                return [deliver]
            return []
        if response.status < 300:
            if self.state in ("Calling", "Proceeding"):
                self.state = "Accepted"
                self.stop_timer("A", "B")
                self.start_timer("M", now, 64 * self.cfg.t1)
                return [deliver]
            if self.state == "Accepted":
                return [deliver]  # 2xx retransmission: the TU re-sends its ACK
            return []
        if self.state in ("Calling", "Proceeding"):
            self.state = "Completed"
            self.stop_timer("A", "B")
            self.ack = self._build_ack(response).to_bytes()
            self.start_timer("D", now, 0.0 if self.reliable else 32.0)
            return [Send(self.ack, self.addr), deliver]
        if self.state == "Completed":
            return [Send(self.ack, self.addr)]
        return []

    def _build_ack(self, response: SIPResponse) -> SIPRequest:
        """ACK for a non-2xx final response (RFC 3261 section 17.1.1.3)."""
        req = self.request
        headers = Headers()
        headers.add("Via", req.headers.get("via") or "")
        for route in req.headers.get_all("route"):
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", req.headers.get("from") or "")
        headers.add("To", response.headers.get("to") or "")
        headers.add("Call-ID", req.call_id)
        headers.add("CSeq", f"{req.cseq.seq} ACK")
        return SIPRequest("ACK", req.uri, headers)

    def fire(self, name: str, now: float) -> list[Action]:
        if name == "A" and self.state == "Calling":
            self.start_timer("A", now, 2 * self.intervals["A"])
            return [Send(self.data, self.addr)]
        if name == "B" and self.state == "Calling":
            return [Timeout(self.key, self.request, "B"), *self.terminate()]
        if name in ("D", "M"):
            return self.terminate()
        return []


class NonInviteClientTransaction(_Transaction):
    """RFC 3261 figure 6."""

    def start(self, now: float) -> list[Action]:
        self.state = "Trying"
        self.data = self.request.to_bytes()
        if not self.reliable:
            self.start_timer("E", now, self.cfg.t1)
        self.start_timer("F", now, 64 * self.cfg.t1)
        return [Send(self.data, self.addr)]

    def on_response(self, response: SIPResponse, addr: Addr, now: float) -> list[Action]:
        if self.state not in ("Trying", "Proceeding"):
            return []
        if response.status < 200:
            self.state = "Proceeding"
        else:
            self.state = "Completed"
            self.stop_timer("E", "F")
            self.start_timer("K", now, 0.0 if self.reliable else self.cfg.t4)
        return [Deliver(response, addr, self.key)]

    def fire(self, name: str, now: float) -> list[Action]:
        if name == "E" and self.state in ("Trying", "Proceeding"):
            if self.state == "Trying":
                interval = min(2 * self.intervals["E"], self.cfg.t2)
            else:
                interval = self.cfg.t2
            self.start_timer("E", now, interval)
            return [Send(self.data, self.addr)]
        if name == "F" and self.state in ("Trying", "Proceeding"):
            return [Timeout(self.key, self.request, "F"), *self.terminate()]
        if name == "K":
            return self.terminate()
        return []


class InviteServerTransaction(_Transaction):
    """RFC 3261 figure 7, with Accepted (RFC 6026) and 2xx retransmission until ACK."""

    invite = True

    def start(self, now: float, auto_trying: bool) -> list[Action]:
        self.state = "Proceeding"
        self.last: bytes | None = None
        self.acked = False
        actions: list[Action] = []
        if auto_trying:
            self.last = make_response(self.request, 100).to_bytes()
            actions.append(Send(self.last, self.addr))
        actions.append(Deliver(self.request, self.addr, self.key))
        return actions

    def on_retransmission(self, now: float) -> list[Action]:
        if self.state in ("Proceeding", "Completed") and self.last is not None:
            return [Send(self.last, self.addr)]
        return []

    def respond(self, response: SIPResponse, now: float) -> list[Action]:
        if self.state != "Proceeding":
            if self.state == "Accepted" and 200 <= response.status < 300:
                self.last = response.to_bytes()  # a TU re-send of the 2xx
                return [Send(self.last, self.addr)]
            raise TransactionStateError(f"cannot send {response.status} in {self.state}")
        self.last = response.to_bytes()
        if response.status < 200:
            return [Send(self.last, self.addr)]
        if response.status < 300:
            self.state = "Accepted"
            self.ack_key = (self.request.call_id, self.request.cseq.seq, self.request.from_tag)
            self.layer._accepted[self.ack_key] = self
            if not self.reliable:
                self.start_timer("G", now, self.cfg.t1)
            self.start_timer("L", now, 64 * self.cfg.t1)
            return [Send(self.last, self.addr)]
        self.state = "Completed"
        if not self.reliable:
            self.start_timer("G", now, self.cfg.t1)
        self.start_timer("H", now, 64 * self.cfg.t1)
        return [Send(self.last, self.addr)]

    def on_ack(self, ack: SIPRequest, addr: Addr, now: float) -> list[Action]:
        if self.state == "Completed":
            self.state = "Confirmed"
            self.stop_timer("G", "H")
            self.start_timer("I", now, 0.0 if self.reliable else self.cfg.t4)
            return []
        if self.state == "Accepted" and not self.acked:
            self.acked = True
            self.stop_timer("G")
            return [Deliver(ack, addr, self.key)]
        return []

    def fire(self, name: str, now: float) -> list[Action]:
        if name == "G" and (self.state == "Completed" or
                            (self.state == "Accepted" and not self.acked)):
            self.start_timer("G", now, min(2 * self.intervals["G"], self.cfg.t2))
            return [Send(self.last, self.addr)] if self.last else []
        if name == "H" and self.state == "Completed":
            return [Timeout(self.key, self.request, "H"), *self.terminate()]
        if name == "L":
            timeout: list[Action] = [] if self.acked else [Timeout(self.key, self.request, "L")]
            return timeout + self.terminate()
        if name == "I":
            return self.terminate()
        return []


class NonInviteServerTransaction(_Transaction):
    """RFC 3261 figure 8."""

    def start(self, now: float) -> list[Action]:
        self.state = "Trying"
        self.last: bytes | None = None
        return [Deliver(self.request, self.addr, self.key)]

    def on_retransmission(self, now: float) -> list[Action]:
        if self.state in ("Proceeding", "Completed") and self.last is not None:
            return [Send(self.last, self.addr)]
        return []

    def respond(self, response: SIPResponse, now: float) -> list[Action]:
        if self.state not in ("Trying", "Proceeding"):
            raise TransactionStateError(f"cannot send {response.status} in {self.state}")
        self.last = response.to_bytes()
        if response.status < 200:
            self.state = "Proceeding"
        else:
            self.state = "Completed"
            self.start_timer("J", now, 0.0 if self.reliable else 64 * self.cfg.t1)
        return [Send(self.last, self.addr)]

    def fire(self, name: str, now: float) -> list[Action]:
        if name == "J":
            return self.terminate()
        return []


class TransactionStateError(RuntimeError):
    """A response was passed to a transaction that can no longer send it."""


class TransactionLayer:
    """All client and server transactions of one SIP endpoint."""

    def __init__(self, timers: TimerConfig | None = None, *, auto_trying: bool = True) -> None:
        self.timers = timers or TimerConfig()
        self.auto_trying = auto_trying
        self._transactions: dict[TransactionKey, _Transaction] = {}
        self._accepted: dict[tuple, InviteServerTransaction] = {}
        self._heap: list[tuple[float, int, _Transaction, str]] = []
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self._transactions)

    def __iter__(self) -> Iterator[_Transaction]:
        """Live transactions (snapshot)."""
        return iter(list(self._transactions.values()))

    def get(self, key: TransactionKey) -> _Transaction | None:
        """The live transaction with ``key``, if any."""
        return self._transactions.get(key)

    def receive(self, message: SIPRequest | SIPResponse, addr: Addr, now: float, *,
                reliable: bool = False) -> list[Action]:
        """Feed a message received from ``addr``.

        Raises :class:`~callcenter.sip.message.SIPParseError` if the headers needed for
        matching (Via, CSeq, From, Call-ID) are malformed.
        """
        if isinstance(message, SIPResponse):
            txn = self._transactions.get(client_key(message.branch or "", message.cseq.method))
            if isinstance(txn, InviteClientTransaction | NonInviteClientTransaction):
                return txn.on_response(message, addr, now)
            return [Deliver(message, addr, None)]
        key = server_key(message)
        txn = self._transactions.get(key)
        if message.method == "ACK":
            if isinstance(txn, InviteServerTransaction):
                return txn.on_ack(message, addr, now)
            accepted = self._accepted.get((message.call_id, message.cseq.seq, message.from_tag))
            if accepted is not None:
                return accepted.on_ack(message, addr, now)
            return [Deliver(message, addr, None)]
        if txn is not None:
            return txn.on_retransmission(now)  # type: ignore[attr-defined]
        if message.method == "INVITE":
            server = InviteServerTransaction(self, key, message, addr, reliable)
            self._transactions[key] = server
            return server.start(now, self.auto_trying)
        plain = NonInviteServerTransaction(self, key, message, addr, reliable)
        self._transactions[key] = plain
        return plain.start(now)

    def send_request(self, request: SIPRequest, addr: Addr, now: float, *,
                     reliable: bool = False) -> tuple[TransactionKey, list[Action]]:
        """Start a client transaction for ``request`` (its top Via must carry a branch).

        ACK for a 2xx is not a transaction: send ``request.to_bytes()`` directly.
        """
        if request.method == "ACK":
            raise ValueError("ACK for a 2xx is sent by the dialog, not a transaction")
        branch = request.branch
        if not branch:
            raise ValueError("request has no Via branch")
        key = client_key(branch, request.method)
        if key in self._transactions:
            raise ValueError(f"duplicate client transaction {key}")
        txn: InviteClientTransaction | NonInviteClientTransaction
        if request.method == "INVITE":
            txn = InviteClientTransaction(self, key, request, addr, reliable)
        else:
            txn = NonInviteClientTransaction(self, key, request, addr, reliable)
        self._transactions[key] = txn
        return key, txn.start(now)

    def respond(self, response: SIPResponse, now: float) -> list[Action]:
        """Send a response through the server transaction it answers."""
        txn = self._transactions.get(self.response_key(response))
        if not isinstance(txn, InviteServerTransaction | NonInviteServerTransaction):
            raise TransactionStateError("no server transaction for this response")
        return txn.respond(response, now)

    @staticmethod
    def response_key(response: SIPResponse) -> TransactionKey:
        """The server transaction key a response belongs to."""
        via = response.top_via
        branch = via.branch or ""
        host, port = via.sent_by
        return ("server", branch, host.lower(), port, response.cseq.method)

    def matching_invite(self, cancel: SIPRequest) -> TransactionKey | None:
        """The INVITE server transaction a CANCEL refers to (RFC 3261 section 9.2)."""
        key = server_key(cancel)
        invite_key = (*key[:-1], "INVITE")
        return invite_key if invite_key in self._transactions else None

    def next_deadline(self) -> float | None:
        """The earliest pending timer, or None."""
        heap = self._heap
        while heap:
            deadline, _, txn, name = heap[0]
            if txn.timers.get(name) == deadline:
                return deadline
            heapq.heappop(heap)
        return None

    def on_timer(self, now: float) -> list[Action]:
        """Fire every timer due at ``now``."""
        actions: list[Action] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, txn, name = heapq.heappop(heap)
            if txn.timers.get(name) != deadline:
                continue
            del txn.timers[name]
            actions.extend(txn.fire(name, now))
        return actions

    def _schedule(self, txn: _Transaction, name: str, deadline: float) -> None:
        heapq.heappush(self._heap, (deadline, next(self._counter), txn, name))

    def _forget(self, txn: _Transaction) -> list[Action]:
        if self._transactions.get(txn.key) is txn:
            del self._transactions[txn.key]
        ack_key = getattr(txn, "ack_key", None)
        if ack_key is not None and self._accepted.get(ack_key) is txn:
            del self._accepted[ack_key]
        return [Terminated(txn.key)]

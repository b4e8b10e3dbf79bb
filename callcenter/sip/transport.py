"""Thin asyncio adapter: UDP and TCP sockets around the sans-IO transaction layer.

:class:`SipEndpoint` owns one :class:`~callcenter.sip.transactions.TransactionLayer`,
feeds it parsed messages with ``loop.time()`` as the clock, executes its ``Send``
actions, keeps one ``loop.call_at`` handle for ``next_deadline()``, and passes
deliveries and timeouts to a transaction user (TU). A malformed datagram is logged and
dropped, or answered with 400 when it is a request with a usable Via.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from callcenter.sip.message import (
    SIPParseError,
    SIPRequest,
    SIPResponse,
    StreamFramer,
    make_response,
    parse_message,
)
from callcenter.sip.ratelimit import SourceRateLimiter
from callcenter.sip.transactions import (
    Action,
    Addr,
    Deliver,
    Send,
    Timeout,
    TimerConfig,
    TransactionKey,
    TransactionLayer,
    TransactionStateError,
    server_key,
)

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5060
UDP_RCVBUF = 4 << 20  # rides out a busy loop at hundreds of messages/s without drops
PICK_ATTEMPTS = 20  # port 0 with TCP: tries to find a port free for both UDP and TCP


class TransactionUser(Protocol):
    """What the endpoint calls with deliveries (see :mod:`callcenter.sip.useragent`)."""

    def on_request(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None: ...

    def on_response(self, response: SIPResponse, addr: Addr,
                    txn: TransactionKey | None) -> None: ...

    def on_timeout(self, timeout: Timeout) -> None: ...


class _UdpSocket:
    """The UDP socket, read directly from the selector: up to ``burst`` datagrams per wakeup.

    asyncio's datagram transport reads one datagram per readiness event, so with many busy
    RTP sockets in the same loop the SIP socket gets one message per loop pass and its
    queue grows without bound under load; draining a burst keeps signalling ahead of media.
    A wakeup also ends after ``budget`` seconds of work: a burst of new calls waits in the
    socket buffer for the next pass rather than holding the 20 ms media ticks back.
    """

    def __init__(self, endpoint: SipEndpoint, sock: socket.socket, burst: int = 128,
                 budget: float = 0.005) -> None:
        self.endpoint = endpoint
        self.sock = sock
        self.burst = burst
        self.budget = budget
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self.loop.add_reader(sock.fileno(), self._read_ready)

    def _read_ready(self) -> None:
        until = time.monotonic() + self.budget
        for _ in range(self.burst):
            if time.monotonic() > until:
                return
            try:
                data, addr = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # ICMP port unreachable and the like
                log.debug("UDP error: %s", exc)
                continue
            self.endpoint.datagram_received(data, (addr[0], addr[1]))
            if self.closed:
                return

    def sendto(self, data: bytes, addr: Addr) -> None:
        if self.closed:
            return
        try:
            self.sock.sendto(data, addr)
        except (BlockingIOError, InterruptedError):
            log.debug("UDP send buffer full, dropped a message to %s:%s", *addr)
        except OSError as exc:
            log.debug("UDP send to %s:%s failed: %s", addr[0], addr[1], exc)

    def get_extra_info(self, name: str) -> object:
        return self.sock.getsockname() if name == "sockname" else None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()


@dataclass(frozen=True)
class TcpLimits:
    """Bounds on SIP over TCP: connections at once (in all and per source address), seconds
    a connection may stay silent, and seconds a message's header section may take to arrive
    once it has begun (or once the connection opened: slowloris)."""

    max_connections: int = 1000
    per_source: int = 50
    idle_timeout: float = 3900.0  # beyond a seat's re-registration (3600 s by default)
    header_timeout: float = 10.0


class _TcpProtocol(asyncio.Protocol):
    def __init__(self, endpoint: SipEndpoint, *, outgoing: bool = False) -> None:
        self.endpoint = endpoint
        self.outgoing = outgoing
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Addr = ("", 0)
        self.last_data = 0.0
        self.waiting_since: float | None = None  # a message (or the first) has begun arriving

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = (peer[0], peer[1])
        endpoint = self.endpoint
        refusal = None if self.outgoing else endpoint.tcp_refusal(self.peer[0])
        if refusal is not None:
            endpoint.tcp_refused += 1
            log.warning("refusing a TCP connection from %s: %s", self.peer[0], refusal)
            transport.abort()
            return
        endpoint._tcp[self.peer] = self
        self.last_data = endpoint.now()
        self.waiting_since = None if self.outgoing else self.last_data
        endpoint.watch_tcp()

    def data_received(self, data: bytes) -> None:
        try:
            frames = self.framer.feed(data)
        except SIPParseError as exc:
            log.warning("closing TCP connection from %s: %s", self.peer, exc.reason)
            if self.transport:
                self.transport.close()
            return
        now = self.endpoint.now()
        self.last_data = now
        if frames:
            self.waiting_since = None
        if self.framer.buffered and self.waiting_since is None:
            self.waiting_since = now
        for frame in frames:
            self.endpoint.message_received(frame, self.peer, reliable=True)

    def overdue(self, now: float, limits: TcpLimits) -> str | None:
        """Why this connection is to be closed at ``now`` (None: it may stay)."""
        if self.waiting_since is not None and now - self.waiting_since > limits.header_timeout:
            return "no complete message in time"
        if now - self.last_data > limits.idle_timeout:
            return "idle"
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.endpoint._tcp.get(self.peer) is self:
            del self.endpoint._tcp[self.peer]


class SipEndpoint:
    """A SIP endpoint bound to one UDP socket and optionally a TCP listener."""

    def __init__(self, tu: TransactionUser | None = None, *, timers: TimerConfig | None = None,
                 invite_limiter: SourceRateLimiter | None = None,
                 limiters: Mapping[str, SourceRateLimiter] | None = None,
                 retry_after: int = 5, tcp_limits: TcpLimits | None = None) -> None:
        self.tu = tu
        self.layer = TransactionLayer(timers)
        self.limiters = dict(limiters or {})  # method -> per-source limit of new requests
        if invite_limiter is not None:
            self.limiters["INVITE"] = invite_limiter
        self.retry_after = retry_after
        self.dropped_by_limit = 0  # new requests answered 503 by ``limiters``
        self.tcp_limits = tcp_limits or TcpLimits()
        self.tcp_refused = 0  # connections refused at a limit
        self._tcp_watch: asyncio.TimerHandle | None = None
        self.udp: _UdpSocket | None = None
        self.tcp_server: asyncio.Server | None = None
        self.tls_server: asyncio.Server | None = None
        self.tls_addr: Addr | None = None
        self._tcp: dict[Addr, _TcpProtocol] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self.local_addr: Addr = (DEFAULT_HOST, 0)
        self.tcp_addr: Addr | None = None
        self.dropped = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def now(self) -> float:
        return self.loop.time()

    async def start(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                    tcp: bool = False, tls: ssl.SSLContext | None = None,
                    tls_port: int = 0) -> SipEndpoint:
        """Bind UDP (and TCP on the same port if ``tcp``, and TLS on ``tls_port`` with the
        ``tls`` server context); port 0 picks a free one."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        family, _, _, _, address = infos[0]
        # Port 0 with TCP: the port UDP got may be taken for TCP (say, by an outgoing
        # connection's local port); then both are picked again.
        attempts = PICK_ATTEMPTS if port == 0 and tcp else 1
        for attempt in range(1, attempts + 1):
            raw = socket.socket(family, socket.SOCK_DGRAM)
            try:
                raw.setblocking(False)
                with contextlib.suppress(OSError):  # capped by net.core.rmem_max
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RCVBUF)
                raw.bind(address)
                bound = raw.getsockname()
                if tcp:
                    self.tcp_server = await loop.create_server(
                        lambda: _TcpProtocol(self), host, bound[1])
            except OSError as exc:
                raw.close()
                if exc.errno == errno.EADDRINUSE and attempt < attempts:
                    continue
                raise
            break
        self.udp = _UdpSocket(self, raw)
        self.local_addr = (bound[0], bound[1])
        if self.tcp_server is not None:
            tsock = self.tcp_server.sockets[0].getsockname()
            self.tcp_addr = (tsock[0], tsock[1])
        if tls is not None:
            self.tls_server = await loop.create_server(
                lambda: _TcpProtocol(self), host, tls_port, ssl=tls,
                ssl_handshake_timeout=self.tcp_limits.header_timeout)
            tsock = self.tls_server.sockets[0].getsockname()
            self.tls_addr = (tsock[0], tsock[1])
        return self

    def tcp_refusal(self, host: str) -> str | None:
        """Why a new TCP connection from ``host`` is refused (None: accepted)."""
        limits = self.tcp_limits
        if len(self._tcp) >= limits.max_connections:
            return f"{len(self._tcp)} connections open"
        if sum(1 for peer in self._tcp if peer[0] == host) >= limits.per_source:
            return f"{limits.per_source} connections from that address"
        return None

    def watch_tcp(self) -> None:
        """Close idle and slow connections, checking as often as the shorter timeout needs."""
        if self._tcp_watch is None and self._tcp:
            every = min(self.tcp_limits.header_timeout, self.tcp_limits.idle_timeout) / 4
            self._tcp_watch = self.loop.call_later(max(0.05, every), self._sweep_tcp)

    def _sweep_tcp(self) -> None:
        self._tcp_watch = None
        now = self.now()
        for conn in list(self._tcp.values()):
            why = conn.overdue(now, self.tcp_limits)
            if why is not None and conn.transport is not None:
                log.info("closing TCP connection from %s:%s: %s", *conn.peer, why)
                conn.transport.abort()
        self.watch_tcp()

    async def close(self) -> None:
        if self._tcp_watch is not None:
            self._tcp_watch.cancel()
        if self._timer:
            self._timer.cancel()
        if self.udp:
            self.udp.close()
        for conn in list(self._tcp.values()):
            if conn.transport:
                conn.transport.close()
        for server in (self.tcp_server, self.tls_server):
            if server is not None:
                server.close()
                await server.wait_closed()

    async def connect_tcp(self, addr: Addr, *, tls: ssl.SSLContext | None = None) -> None:
        """Open a TCP (with ``tls``: TLS) connection to ``addr``; later sends to ``addr``
        use it."""
        await self.loop.create_connection(lambda: _TcpProtocol(self, outgoing=True), addr[0],
                                          addr[1], ssl=tls)

    # -- inbound ---------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: Addr) -> None:
        self.message_received(data, addr, reliable=False)

    def message_received(self, data: bytes, addr: Addr, *, reliable: bool) -> None:
        """Parse and feed one message; malformed input never propagates."""
        if not data.strip(b"\r\n"):
            return  # keep-alive
        try:
            message = parse_message(data, stream=reliable)
        except SIPParseError as exc:
            self._reject(exc, addr)
            return
        if isinstance(message, SIPRequest) and not message.to_tag:
            limiter = self.limiters.get(message.method)
            if (limiter is not None and self._is_new(message)
                    and not limiter.allow(addr[0], self.now())):
                self.dropped += 1  # answered statelessly: no transaction, no call, no media
                self.dropped_by_limit += 1
                self.send(make_response(message, 503, headers=[
                    ("Retry-After", str(self.retry_after))]).to_bytes(), addr)
                return
        try:
            actions = self.layer.receive(message, addr, self.now(), reliable=reliable)
        except SIPParseError as exc:
            exc.method = message.method if isinstance(message, SIPRequest) else None
            exc.headers = message.headers
            self._reject(exc, addr)
            return
        self._run(actions)

    def _is_new(self, request: SIPRequest) -> bool:
        """Not a retransmission of a request already in a server transaction (which is
        answered by that transaction, never refused: the call may have been accepted)."""
        try:
            return self.layer.get(server_key(request)) is None
        except SIPParseError:
            return True

    def _reject(self, exc: SIPParseError, addr: Addr) -> None:
        self.dropped += 1
        log.warning("malformed SIP message from %s:%s: %s", addr[0], addr[1], exc.reason)
        response = exc.bad_request()
        if response is not None:
            self.send(response.to_bytes(), addr)

    # -- outbound --------------------------------------------------------------------------

    def send(self, data: bytes, addr: Addr) -> None:
        """Send bytes on the TCP connection to ``addr`` if there is one, else over UDP."""
        conn = self._tcp.get(addr)
        if conn is not None and conn.transport is not None:
            conn.transport.write(data)
        elif self.udp is not None:
            self.udp.sendto(data, addr)

    def send_request(self, request: SIPRequest, addr: Addr) -> TransactionKey:
        """Start a client transaction; returns its key."""
        key, actions = self.layer.send_request(request, addr, self.now(),
                                               reliable=addr in self._tcp)
        self._run(actions)
        return key

    def respond(self, response: SIPResponse) -> None:
        """Send a response through its server transaction."""
        try:
            actions = self.layer.respond(response, self.now())
        except TransactionStateError as exc:
            log.debug("response not sent: %s", exc)
            return
        self._run(actions)

    # -- actions and timers ----------------------------------------------------------------

    def _run(self, actions: list[Action]) -> None:
        for action in actions:
            try:
                self._execute(action)
            except Exception:  # noqa: BLE001 - one bad call must not stop the endpoint
                log.exception("error handling %r", action)
        self._reschedule()

    def _execute(self, action: Action) -> None:
        if isinstance(action, Send):
            self.send(action.data, action.addr)
        elif isinstance(action, Deliver):
            if self.tu is None:
                return
            if isinstance(action.message, SIPRequest):
                self.tu.on_request(action.message, action.addr, action.transaction)
            else:
                self.tu.on_response(action.message, action.addr, action.transaction)
        elif isinstance(action, Timeout) and self.tu is not None:
            self.tu.on_timeout(action)

    def _reschedule(self) -> None:
        deadline = self.layer.next_deadline()
        if deadline == self._timer_at:
            return
        if self._timer:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self._run(self.layer.on_timer(self.now()))


async def open_endpoint(tu: TransactionUser | None = None, host: str = DEFAULT_HOST,
                        port: int = DEFAULT_PORT, *, tcp: bool = False,
                        timers: TimerConfig | None = None,
                        invite_limiter: SourceRateLimiter | None = None,
                        limiters: Mapping[str, SourceRateLimiter] | None = None,
                        retry_after: int = 5, tcp_limits: TcpLimits | None = None,
                        tls: ssl.SSLContext | None = None, tls_port: int = 0) -> SipEndpoint:
    """Create and bind a :class:`SipEndpoint`; ``limiters`` answer new requests of a method
    beyond a source's rate with 503 and ``Retry-After: retry_after``."""
    endpoint = SipEndpoint(tu, timers=timers, invite_limiter=invite_limiter, limiters=limiters,
                           retry_after=retry_after, tcp_limits=tcp_limits)
    return await endpoint.start(host, port, tcp=tcp, tls=tls, tls_port=tls_port)


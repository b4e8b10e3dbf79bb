"""Asyncio AMI client: login, actions matched by ActionID, event subscription, reconnect.

    client = AMIClient("127.0.0.1", 5038, username="engine", secret=secret)
    client.subscribe(on_hangup, "Hangup")
    await client.connect()
    outcome = await client.originate("PJSIP/agent1001", context="agents", exten="s")

Credentials are always given explicitly. After a lost connection the client reconnects with
exponential backoff (``sleep`` is injectable), logs in again and keeps its subscribers; actions
in flight fail with :class:`AMIConnectionLost`. Framing and parsing are in :mod:`.ami_protocol`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .ami_originate import (
    OriginateOutcome,
    originate_headers,
    outcome_from_event,
    outcome_from_response,
)
from .ami_protocol import (
    NEED_DATA,
    AMIConnection,
    AMIError,
    AMIMessage,
    AMIProtocolError,
    BannerReceived,
    ConnectionClosed,
    MessageReceived,
)

__all__ = [
    "AMIActionError",
    "AMIAuthError",
    "AMIClient",
    "AMIConnectionLost",
    "AMIResponse",
    "Backoff",
    "EventStream",
]

log = logging.getLogger("callcenter.asterisk.ami")

Headers = Mapping[str, object] | Iterable[tuple[str, object]]
EventCallback = Callable[[AMIMessage], None]
READ_CHUNK = 65536


class AMIConnectionLost(AMIError):
    """The AMI connection is down (the action may or may not have run)."""


class AMIActionError(AMIError):
    """``Response: Error`` to an action."""

    def __init__(self, response: AMIMessage) -> None:
        super().__init__(response.get("Message") or "AMI action failed")
        self.response = response


class AMIAuthError(AMIActionError):
    """Login was refused."""


@dataclass(frozen=True)
class AMIResponse:
    """A response message; for event-list actions also the item events and the Complete one."""

    message: AMIMessage
    events: tuple[AMIMessage, ...] = ()
    complete: AMIMessage | None = None

    @property
    def success(self) -> bool:
        return self.message.response in ("Success", "Goodbye", "Follows")

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.message.get(name, default)

    @property
    def output(self) -> list[str]:
        return self.message.output


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``initial``, times ``factor`` after each failure, capped at ``maximum``."""

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0

    def delays(self) -> Iterable[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum)


@dataclass
class _Pending:
    future: asyncio.Future[AMIResponse]
    response: AMIMessage | None = None
    events: list[AMIMessage] = field(default_factory=list)


class _Link:
    """One TCP connection with its codec and reader task."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.codec = AMIConnection()
        self.read_task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.error: BaseException | None = None

    def close(self) -> None:
        self.writer.close()
        if self.read_task is not None and not self.read_task.done():
            self.read_task.cancel()


class EventStream:
    """Async iterator over events (optionally filtered by name); ``close()`` to unsubscribe."""

    def __init__(self, client: AMIClient, names: frozenset[str] | None, maxsize: int) -> None:
        self._queue: asyncio.Queue[AMIMessage] = asyncio.Queue(maxsize)
        self._unsubscribe = client.subscribe(self._put, *(names or ()))

    def _put(self, message: AMIMessage) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            log.warning("AMI event stream full; dropped the oldest event")
        self._queue.put_nowait(message)

    def __aiter__(self) -> AsyncIterator[AMIMessage]:
        return self

    async def __anext__(self) -> AMIMessage:
        return await self._queue.get()

    def close(self) -> None:
        self._unsubscribe()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AMIClient:
    """AMI client with automatic reconnect. All waiting methods are coroutines."""

    def __init__(
        self,
        host: str,
        port: int = 5038,
        *,
        username: str,
        secret: str,
        events: str = "on",
        reconnect: bool = True,
        backoff: Backoff = Backoff(),
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        connect_timeout: float = 5.0,
        action_timeout: float = 10.0,
        action_id_prefix: str = "cc-",
        on_connected: Callable[[], None] | None = None,
        on_disconnected: Callable[[BaseException | None], None] | None = None,
    ) -> None:
        if not username or not secret:
            raise ValueError("AMI username and secret must be given explicitly")
        self.host, self.port = host, port
        self.username, self._secret, self.events_mask = username, secret, events
        self.reconnect, self.backoff, self._sleep = reconnect, backoff, sleep
        self.connect_timeout, self.action_timeout = connect_timeout, action_timeout
        self.on_connected, self.on_disconnected = on_connected, on_disconnected
        self.banner: BannerReceived | None = None
        self.connections = 0  # successful logins so far
        self._ids = (f"{action_id_prefix}{n}" for n in itertools.count(1))
        self._link: _Link | None = None
        self._connected = asyncio.Event()
        self._pending: dict[str, _Pending] = {}
        self._originates: dict[str, asyncio.Future[AMIMessage]] = {}
        self._subscribers: list[tuple[frozenset[str] | None, EventCallback]] = []
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False

    # ---- lifecycle -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def connect(self) -> None:
        """Connect and log in; raises on failure. Afterwards the client reconnects by itself."""
        self._closing = False
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name="ami-supervisor")

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def close(self) -> None:
        """Log off (best effort) and stop reconnecting."""
        self._closing = True
        if self.connected:
            with contextlib.suppress(AMIError, TimeoutError, OSError):
                await self.send_action("Logoff", timeout=2.0, check=False)
        if self._link is not None:
            self._link.close()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._connected.is_set():
            self._link_down(None)

    async def __aenter__(self) -> AMIClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _open(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.connect_timeout
        )
        link = _Link(reader, writer)
        try:
            self.banner = await asyncio.wait_for(self._read_banner(link), self.connect_timeout)
            link.read_task = asyncio.create_task(self._read_loop(link), name="ami-read")
            self._link = link
            response = await self._request(
                link,
                "Login",
                [("Username", self.username), ("Secret", self._secret), ("Events", self.events_mask)],
                action_id=f"login-{self.connections + 1}",
                timeout=self.connect_timeout,
            )
            if response.message.response != "Success":
                raise AMIAuthError(response.message)
        except BaseException:
            link.close()
            self._link = None
            raise
        self.connections += 1
        self._connected.set()
        log.info("AMI logged in to %s:%s as %s", self.host, self.port, self.username)
        if self.on_connected is not None:
            self.on_connected()

    async def _read_banner(self, link: _Link) -> BannerReceived:
        while True:
            event = link.codec.next_event()
            if isinstance(event, BannerReceived):
                return event
            if isinstance(event, ConnectionClosed):
                raise AMIConnectionLost("closed before the AMI banner")
            link.codec.receive_data(await link.reader.read(READ_CHUNK))

    async def _supervise(self) -> None:
        while True:
            assert self._link is not None
            await self._link.closed.wait()
            self._link_down(self._link.error)
            if self._closing or not self.reconnect:
                return
            for delay in self.backoff.delays():
                await self._sleep(delay)
                if self._closing:
                    return
                try:
                    await self._open()
                    break
                except (OSError, TimeoutError, AMIError) as exc:
                    log.warning("AMI reconnect to %s:%s failed: %r", self.host, self.port, exc)

    def _link_down(self, error: BaseException | None) -> None:
        self._connected.clear()
        lost = AMIConnectionLost(f"AMI connection lost: {error!r}" if error else "AMI closed")
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(lost)
        self._pending.clear()
        for waiter in self._originates.values():
            if not waiter.done():
                waiter.set_exception(lost)
        if not self._closing:
            log.warning("AMI connection to %s:%s lost: %r", self.host, self.port, error)
        if self.on_disconnected is not None:
            self.on_disconnected(error)

    # ---- reading -------------------------------------------------------------------------

    async def _read_loop(self, link: _Link) -> None:
        error: BaseException | None = None
        try:
            while True:
                while (event := link.codec.next_event()) is not NEED_DATA:
                    if isinstance(event, ConnectionClosed):
                        return
                    if isinstance(event, MessageReceived):
                        self._dispatch(event.message)
                link.codec.receive_data(await link.reader.read(READ_CHUNK))
        except AMIProtocolError as exc:
            log.error("AMI protocol error from %s:%s: %s", self.host, self.port, exc)
            error = exc
        except (ConnectionError, OSError) as exc:
            error = exc
        finally:
            link.error = error
            link.writer.close()
            link.closed.set()

    def _dispatch(self, message: AMIMessage) -> None:
        action_id = message.action_id
        pending = self._pending.get(action_id) if action_id is not None else None
        if message.is_response:
            if pending is None:
                log.debug("AMI response for unknown ActionID %r", action_id)
                return
            if message.event_list == "start" and message.response == "Success":
                pending.response = message
                return
            self._resolve(action_id, AMIResponse(message))
            return
        if pending is not None and pending.response is not None:
            if message.event_list == "complete":
                self._resolve(action_id, AMIResponse(pending.response, tuple(pending.events), message))
            else:
                pending.events.append(message)
            return
        if message.event == "OriginateResponse" and action_id in self._originates:
            waiter = self._originates.pop(action_id)
            if not waiter.done():
                waiter.set_result(message)
        self._publish(message)

    def _resolve(self, action_id: str | None, response: AMIResponse) -> None:
        pending = self._pending.pop(action_id or "", None)
        if pending is not None and not pending.future.done():
            pending.future.set_result(response)

    def _publish(self, message: AMIMessage) -> None:
        name = message.event
        for names, callback in list(self._subscribers):
            if names is None or name in names:
                try:
                    callback(message)
                except Exception:
                    log.exception("AMI event callback failed on %s", name)

    # ---- events --------------------------------------------------------------------------

    def subscribe(self, callback: EventCallback, *event_names: str) -> Callable[[], None]:
        """Call ``callback(message)`` for events (all, or only the named ones), in wire order.

        Callbacks run on the reading task: keep them short and never block. An exception in a
        callback is logged and does not stop delivery to the others.
        """
        entry = (frozenset(event_names) or None, callback)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(entry)

        return unsubscribe

    def events(self, *event_names: str, maxsize: int = 10_000) -> EventStream:
        """An async iterator of events; use as a context manager to unsubscribe."""
        return EventStream(self, frozenset(event_names) or None, maxsize)

    # ---- actions -------------------------------------------------------------------------

    async def send_action(
        self,
        action: str,
        headers: Headers = (),
        *,
        action_id: str | None = None,
        timeout: float | None = None,
        check: bool = True,
    ) -> AMIResponse:
        """Send an action and await its response (and list events); ``Response: Error`` raises."""
        timeout = self.action_timeout if timeout is None else timeout
        if action.lower() == "logoff":
            self._closing = True  # Asterisk closes after Goodbye; do not reconnect
        if not self._connected.is_set():
            try:
                await asyncio.wait_for(self._connected.wait(), timeout)
            except TimeoutError:
                raise AMIConnectionLost(f"not connected; {action} not sent") from None
        assert self._link is not None
        response = await self._request(self._link, action, headers, action_id, timeout)
        if check and response.message.response == "Error":
            raise AMIActionError(response.message)
        return response

    async def _request(
        self,
        link: _Link,
        action: str,
        headers: Headers,
        action_id: str | None,
        timeout: float,
    ) -> AMIResponse:
        if link.closed.is_set():
            raise AMIConnectionLost(f"AMI connection closed; {action} not sent")
        action_id = action_id or next(self._ids)
        if action_id in self._pending:
            raise ValueError(f"ActionID {action_id!r} already in flight")
        future: asyncio.Future[AMIResponse] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(future)
        try:
            link.writer.write(link.codec.send_action(action, headers, action_id=action_id))
            await link.writer.drain()
            return await asyncio.wait_for(future, timeout)
        except (ConnectionError, OSError) as exc:
            raise AMIConnectionLost(f"connection lost sending {action}") from exc
        finally:
            self._pending.pop(action_id, None)

    async def ping(self) -> AMIResponse:
        return await self.send_action("Ping")

    async def command(self, cli: str) -> list[str]:
        """Run a CLI command; returns its output lines."""
        return (await self.send_action("Command", [("Command", cli)])).output

    async def getvar(self, variable: str, channel: str | None = None) -> str | None:
        headers = [("Variable", variable)] + ([("Channel", channel)] if channel else [])
        return (await self.send_action("Getvar", headers)).get("Value")

    async def device_states(self) -> list[AMIMessage]:
        """Current device states as ``DeviceStateChange`` messages (``DeviceStateList``).

        Feed them to a :class:`~.ami_tracking.SeatTracker` after (re)connecting: events sent
        while the connection was down are lost.
        """
        return list((await self.send_action("DeviceStateList")).events)

    async def originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int | str | None = None,
        application: str | None = None,
        data: str | None = None,
        timeout_ms: int = 30_000,
        caller_id: str | None = None,
        variables: dict[str, str] | None = None,
        account: str | None = None,
        channel_id: str | None = None,
        run_async: bool = True,
        action_id: str | None = None,
        extra_wait: float = 10.0,
    ) -> OriginateOutcome:
        """Place a call and wait for its outcome (``OriginateResponse`` for async originates)."""
        headers = originate_headers(
            channel,
            context=context,
            exten=exten,
            priority=priority,
            application=application,
            data=data,
            timeout_ms=timeout_ms,
            caller_id=caller_id,
            variables=variables,
            account=account,
            channel_id=channel_id,
            run_async=run_async,
        )
        action_id = action_id or next(self._ids)
        wait = timeout_ms / 1000 + extra_wait
        waiter: asyncio.Future[AMIMessage] = asyncio.get_running_loop().create_future()
        if run_async:
            self._originates[action_id] = waiter
        try:
            response = await self.send_action(
                "Originate", headers, action_id=action_id, timeout=wait, check=False
            )
            if not run_async or response.message.response != "Success":
                return outcome_from_response(response.message)
            event = await asyncio.wait_for(waiter, wait)
            return outcome_from_event(response.message, event)
        finally:
            self._originates.pop(action_id, None)

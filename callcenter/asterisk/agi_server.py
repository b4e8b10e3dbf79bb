"""Asyncio FastAGI server: one :class:`AGISession` per connection, driven by a handler coroutine.

    async def handler(session: AGISession) -> None:
        await session.answer()
        choice = await session.get_data("welcome", 5000, 1)
        ...

    server = AGIServer(handler, on_session_end=engine.call_ended)
    await server.start()          # 127.0.0.1:4573 by default

The wire work is done by the sans-IO :class:`~.agi_protocol.AGIConnection`; this module only moves
bytes. A handler's exception is logged and ends that session only. Every session ends exactly
once: ``session.ended`` resolves with a :class:`SessionEnd` and ``on_session_end`` is called once.
After the handler returns the server waits for Asterisk's ``HANGUP`` line if it hung the channel
up, then half-closes; Asterisk answers with a last ``HANGUP`` and closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import agi_commands as commands
from .agi_environment import AGIEnvironment
from .agi_errors import (
    AGIApplicationNotFound,
    AGICommandFailed,
    AGIConnectionLost,
    AGIError,
    AGIProtocolError,
    AGITimeout,
    CallerHungUp,
)
from .agi_protocol import (
    MAX_ENV_BYTES,
    MAX_LINE_BYTES,
    NEED_DATA,
    AGIConnection,
    CommandFailed,
    CommandResult,
    ConnectionClosed,
    EnvironmentReceived,
    HangupReceived,
)
from .agi_responses import (
    AGIResponse,
    ChannelStatus,
    DataResult,
    StreamResult,
    channel_status,
    data_result,
    digit_from_code,
    stream_result,
    variable_value,
)

__all__ = ["AGIServer", "AGISession", "CallerHungUp", "EndReason", "SessionEnd"]

log = logging.getLogger("callcenter.asterisk.agi")

Handler = Callable[["AGISession"], Awaitable[None]]
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4573
READ_CHUNK = 65536
COMMAND_TIMEOUT = 30.0  # seconds Asterisk may take to answer a command (ANSWER, variables...)
PLAYBACK_TIMEOUT = 600.0  # STREAM FILE and GET DATA: a prompt plays before the answer
EXEC_TIMEOUT = 4 * 3600.0  # EXEC Dial answers when the conversation ends


class EndReason(enum.Enum):
    COMPLETED = "completed"  # the handler returned
    CALLER_HUNG_UP = "caller_hung_up"  # the handler let CallerHungUp propagate
    HANDLER_ERROR = "handler_error"  # the handler raised anything else
    PROTOCOL_ERROR = "protocol_error"  # Asterisk's side sent bad data
    CONNECTION_LOST = "connection_lost"  # socket error or timeout before the handler ran
    SERVER_CLOSED = "server_closed"  # the server was shut down mid-call


@dataclass(frozen=True)
class SessionEnd:
    reason: EndReason
    hangup_received: bool
    error: BaseException | None = None


class AGISession:
    """One FastAGI connection. Commands run one at a time; all methods are coroutines."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        hangup_grace: float = 0.25,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_env_bytes: int = MAX_ENV_BYTES,
        on_hangup: Callable[[AGISession], None] | None = None,
        command_timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.command_timeout = command_timeout
        self._reader = reader
        self._writer = writer
        self._conn = AGIConnection(max_line_bytes=max_line_bytes, max_env_bytes=max_env_bytes)
        self._hangup_grace = hangup_grace
        self._on_hangup = on_hangup
        self._lock = asyncio.Lock()
        self._pending: asyncio.Future[CommandResult | CommandFailed] | None = None
        self._env: asyncio.Future[AGIEnvironment] = loop.create_future()
        self._hangup = asyncio.Event()
        self._closed = asyncio.Event()
        self.failure: BaseException | None = None
        self.hangup_sent = False
        self.handler_task: asyncio.Task[None] | None = None
        self.ended: asyncio.Future[SessionEnd] = loop.create_future()
        self.peer = writer.get_extra_info("peername")
        self._read_task = asyncio.create_task(self._read_loop(), name=f"agi-read-{self.peer}")

    # ---- state ---------------------------------------------------------------------------

    @property
    def env(self) -> AGIEnvironment:
        """The call's ``agi_*`` environment (available once the handler runs)."""
        if not self._env.done() or self._env.exception():
            raise AGIError("AGI environment not received")
        return self._env.result()

    @property
    def hangup_received(self) -> bool:
        """True once Asterisk reported the channel gone (HANGUP line or connection end)."""
        return self._hangup.is_set()

    async def wait_for_hangup(self) -> None:
        await self._hangup.wait()

    async def wait_for_environment(self) -> AGIEnvironment:
        return await asyncio.shield(self._env)

    # ---- raw command ---------------------------------------------------------------------

    async def send(self, line: str, timeout: float | None = None) -> AGIResponse:
        """Send one command line and return its 200 response; other codes raise their error.

        No answer within ``timeout`` seconds (default :attr:`command_timeout`) raises
        :class:`AGITimeout` and fails the session: a silent peer is not held forever."""
        async with self._lock:
            if self._pending is not None:
                # An earlier command's caller was cancelled (e.g. a timeout); its answer is
                # still due and must be read before the next command goes out.
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._pending)
                self._pending = None
            if self.failure is not None:
                raise self.failure
            if self._closed.is_set():
                raise AGIConnectionLost(f"connection closed before {line!r}")
            future = asyncio.get_running_loop().create_future()
            self._pending = future
            try:
                self._writer.write(self._conn.send_command(line))
                await self._writer.drain()
            except (ConnectionError, OSError) as exc:
                self._pending = None
                raise AGIConnectionLost(f"connection lost during {line!r}") from exc
            limit = self.command_timeout if timeout is None else timeout
            try:  # if cancelled, _pending stays pending
                event = await asyncio.wait_for(asyncio.shield(future), limit)
            except TimeoutError:
                error = AGITimeout(f"no answer to {line!r} within {limit:g}s")
                log.warning("FastAGI %s: %s", self.peer, error)
                self._fail(error)
                self._writer.transport.abort()
                raise error from None
            self._pending = None
        if isinstance(event, CommandFailed):
            raise event.error
        return event.response

    async def _checked(self, line: str, timeout: float | None = None) -> AGIResponse:
        """Like :meth:`send`, but ``result=-1`` followed by HANGUP raises :class:`CallerHungUp`."""
        response = await self.send(line, timeout)
        if response.result_int == -1:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hangup.wait(), self._hangup_grace)
            if self._hangup.is_set():
                raise CallerHungUp(f"{line!r} -> result=-1 and the channel hung up")
        return response

    async def _must_succeed(self, line: str, timeout: float | None = None) -> AGIResponse:
        response = await self._checked(line, timeout)
        if response.result_int == -1:
            raise AGICommandFailed(line, response.result)
        return response

    # ---- commands ------------------------------------------------------------------------

    async def answer(self) -> None:
        await self._must_succeed(commands.answer())

    async def stream_file(
        self, name: str, escape_digits: str = "", offset: int | None = None
    ) -> StreamResult:
        """Play a prompt; a missing prompt raises :class:`AGICommandFailed`."""
        line = commands.stream_file(name, escape_digits, offset)
        return stream_result(await self._must_succeed(line, PLAYBACK_TIMEOUT))

    async def get_data(
        self, name: str, timeout_ms: int | None = None, max_digits: int | None = None
    ) -> DataResult:
        line = commands.get_data(name, timeout_ms, max_digits)
        return data_result(await self._must_succeed(line, PLAYBACK_TIMEOUT))

    async def wait_for_digit(self, timeout_ms: int = -1) -> str | None:
        """The digit pressed, or None on timeout."""
        limit = EXEC_TIMEOUT if timeout_ms < 0 else timeout_ms / 1000 + self.command_timeout
        response = await self._must_succeed(commands.wait_for_digit(timeout_ms), limit)
        return digit_from_code(response.result_int or 0)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        response = await self._must_succeed(commands.say_digits(digits, escape_digits))
        return digit_from_code(response.result_int or 0)

    async def set_variable(self, name: str, value: str | int) -> None:
        await self.send(commands.set_variable(name, value))

    async def get_variable(self, name: str) -> str | None:
        return variable_value(await self.send(commands.get_variable(name)))

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        return variable_value(await self.send(commands.get_full_variable(expression, channel)))

    async def exec(self, application: str, options: str = "") -> int:
        """Run a dialplan application; returns its result code (-2: no such application)."""
        line = commands.exec_app(application, options)
        response = await self._checked(line, EXEC_TIMEOUT)
        result = response.result_int
        if result == -2:
            raise AGIApplicationNotFound(line, response.result)
        if result is None:
            raise AGIProtocolError(f"EXEC result is not a number: {response.line!r}")
        return result

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.send(commands.verbose(message, level))

    async def noop(self, text: str | None = None) -> None:
        await self.send(commands.noop(text))

    async def channel_status(self) -> ChannelStatus:
        return channel_status(await self._must_succeed(commands.channel_status()))

    async def set_autohangup(self, seconds: int) -> None:
        await self.send(commands.set_autohangup(seconds))

    async def database_get(self, family: str, key: str) -> str | None:
        return variable_value(await self.send(commands.database_get(family, key)))

    async def database_put(self, family: str, key: str, value: str | int) -> None:
        response = await self.send(commands.database_put(family, key, value))
        if response.result != "1":
            raise AGICommandFailed(commands.database_put(family, key, value), response.result)

    async def hangup(self) -> None:
        """Hang the channel up. A channel that is already gone is not an error."""
        self.hangup_sent = True
        with contextlib.suppress(CallerHungUp):
            await self.send(commands.hangup())

    # ---- reading -------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self._reader.read(READ_CHUNK)
                self._conn.receive_data(data)
                while (event := self._conn.next_event()) is not NEED_DATA:
                    self._dispatch(event)
                    if isinstance(event, ConnectionClosed):
                        return
        except AGIProtocolError as exc:
            self._fail(exc)
        except (ConnectionError, OSError) as exc:
            self._fail(AGIConnectionLost(f"connection error: {exc}"))
        finally:
            self._closed.set()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, EnvironmentReceived):
            self._env.set_result(event.environment)
        elif isinstance(event, CommandResult | CommandFailed):
            if self._pending is not None and not self._pending.done():
                self._pending.set_result(event)
        elif isinstance(event, HangupReceived):
            self._mark_hangup()
        elif isinstance(event, ConnectionClosed):
            self._mark_hangup()
            self._fail_waiters(AGIConnectionLost("Asterisk closed the FastAGI connection"))

    def _mark_hangup(self) -> None:
        if self._hangup.is_set():
            return
        self._hangup.set()
        if self._on_hangup is not None:
            try:
                self._on_hangup(self)
            except Exception:
                log.exception("on_hangup callback failed for %s", self.peer)

    def _fail(self, error: BaseException) -> None:
        if self.failure is None:
            self.failure = error
        self._fail_waiters(error)

    def _fail_waiters(self, error: BaseException) -> None:
        for future in (self._env, self._pending):
            if future is not None and not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved; the caller may be gone

    # ---- closing -------------------------------------------------------------------------

    async def _finish(self, *, wait_for_hangup: bool, timeout: float) -> None:
        """Half-close as Asterisk expects, drain its last lines, then close the socket."""
        if self.failure is None and not self._closed.is_set():
            if wait_for_hangup and not self._hangup.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hangup.wait(), timeout)
            with contextlib.suppress(ConnectionError, OSError):
                if self._writer.can_write_eof():
                    self._writer.write_eof()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), timeout)
        await self._close_transport(abort=self.failure is not None)

    async def _close_transport(self, *, abort: bool) -> None:
        if abort:
            self._writer.transport.abort()
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        if not self._read_task.done():
            self._read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._read_task

    def _end(self, end: SessionEnd) -> bool:
        if self.ended.done():
            return False
        self.ended.set_result(end)
        return True


class AGIServer:
    """FastAGI server around :func:`asyncio.start_server`."""

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        on_session_end: Callable[[AGISession, SessionEnd], None] | None = None,
        on_hangup: Callable[[AGISession], None] | None = None,
        env_timeout: float = 5.0,
        hangup_grace: float = 0.25,
        close_timeout: float = 2.0,
        max_line_bytes: int = MAX_LINE_BYTES,
        max_env_bytes: int = MAX_ENV_BYTES,
        command_timeout: float = COMMAND_TIMEOUT,
        allow: Callable[[tuple[str, int]], bool] | None = None,
    ) -> None:
        self.handler = handler
        self.allow = allow  # None: any peer (the caller firewalls the port)
        self.refused = 0  # connections closed at once: their peer is not allowed
        self._refused_from: set[str] = set()  # hosts whose refusal was logged (once each)
        self.command_timeout = command_timeout
        self.host = host
        self.port = port
        self.on_session_end = on_session_end
        self.on_hangup = on_hangup
        self.env_timeout = env_timeout
        self.hangup_grace = hangup_grace
        self.close_timeout = close_timeout
        self.max_line_bytes = max_line_bytes
        self.max_env_bytes = max_env_bytes
        self.sessions: set[AGISession] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI server listening on %s:%s", self.host, self.port)

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop accepting, end running sessions (reason SERVER_CLOSED), wait for them."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> AGIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if self.allow is not None and not (peer and self.allow(peer[:2])):
            self.refused += 1  # before any read: its environment block would name any channel
            writer.transport.abort()
            host = str(peer[0]) if peer else "?"
            if len(self._refused_from) < 256 and host not in self._refused_from:
                self._refused_from.add(host)
                log.warning("FastAGI connection from %s refused: not an allowed Asterisk host", host)
            return
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = AGISession(
            reader,
            writer,
            hangup_grace=self.hangup_grace,
            max_line_bytes=self.max_line_bytes,
            max_env_bytes=self.max_env_bytes,
            on_hangup=self.on_hangup,
            command_timeout=self.command_timeout,
        )
        self.sessions.add(session)
        end = SessionEnd(EndReason.SERVER_CLOSED, False)
        try:
            end = await self._run(session)
        except asyncio.CancelledError:
            end = SessionEnd(EndReason.SERVER_CLOSED, session.hangup_received)
            if session.handler_task is not None:
                session.handler_task.cancel()
            await session._close_transport(abort=True)
            raise
        except Exception as exc:  # a bug here must still end the session exactly once
            log.exception("FastAGI %s: session failed", session.peer)
            end = SessionEnd(EndReason.CONNECTION_LOST, session.hangup_received, exc)
            await session._close_transport(abort=True)
        finally:
            self.sessions.discard(session)
            if session._end(end) and self.on_session_end is not None:
                try:
                    self.on_session_end(session, end)
                except Exception:
                    log.exception("on_session_end callback failed for %s", session.peer)

    async def _run(self, session: AGISession) -> SessionEnd:
        try:
            env = await asyncio.wait_for(session.wait_for_environment(), self.env_timeout)
        except AGIProtocolError as exc:
            log.error("FastAGI %s: bad environment block: %s", session.peer, exc)
            await session._close_transport(abort=True)
            return SessionEnd(EndReason.PROTOCOL_ERROR, session.hangup_received, exc)
        except (TimeoutError, CallerHungUp) as exc:
            log.warning("FastAGI %s: no environment block: %r", session.peer, exc)
            await session._close_transport(abort=True)
            return SessionEnd(EndReason.CONNECTION_LOST, session.hangup_received, exc)

        log.debug("FastAGI %s: call %s for line %r", session.peer, env.uniqueid, env.line)
        handler = asyncio.create_task(self.handler(session), name=f"agi-handler-{env.uniqueid}")
        session.handler_task = handler
        read_task = session._read_task
        await asyncio.wait({handler, read_task}, return_when=asyncio.FIRST_COMPLETED)
        if isinstance(session.failure, AGIProtocolError):
            handler.cancel()
        try:
            await handler
        except asyncio.CancelledError:
            if not isinstance(session.failure, AGIProtocolError):
                raise
        except CallerHungUp as exc:
            if not isinstance(session.failure, AGIProtocolError):
                await session._finish(wait_for_hangup=False, timeout=self.close_timeout)
                return SessionEnd(EndReason.CALLER_HUNG_UP, True, exc)
        except Exception as exc:
            if not isinstance(session.failure, AGIProtocolError):
                log.error("FastAGI %s: handler failed", session.peer, exc_info=exc)
                await session._finish(wait_for_hangup=False, timeout=self.close_timeout)
                return SessionEnd(EndReason.HANDLER_ERROR, session.hangup_received, exc)
        if isinstance(session.failure, AGIProtocolError):
            log.error("FastAGI %s: protocol error: %s", session.peer, session.failure)
            await session._close_transport(abort=True)
            return SessionEnd(EndReason.PROTOCOL_ERROR, session.hangup_received, session.failure)
        await session._finish(wait_for_hangup=session.hangup_sent, timeout=self.close_timeout)
        return SessionEnd(EndReason.COMPLETED, session.hangup_received)

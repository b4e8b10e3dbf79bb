"""The link to the SMSC, in the engine's loop beside the case timer: connect, bind, drain the
outbox at the SMSC's rate, keep the link alive, take the delivery reports, reconnect with
backoff. The protocol is ``session.Session`` (sans-IO); this module only moves bytes, keeps
time and calls the outbox (in a worker thread: the loop never waits on a commit).

Each part is submitted until the SMSC accepts it once; an accepted part is stored with the
SMSC's id before the next PDU is read, and never submitted again. A part whose response was
lost with the link is submitted again after the reconnect (SMPP gives no way to ask).
ESME_RTHROTTLED and ESME_RMSGQFUL pause the whole link (1 s, doubling to 30 s) without
counting against the message; other temporary refusals retry the message later, up to
``max_attempts``; a permanent refusal fails it. Every status change of a message (sent,
delivered, failed) goes to ``on_change`` (the case's history).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from callcenter.config.sms_section import SmsSection
from callcenter.sms.numbers import smpp_address, smpp_source
from callcenter.sms.outbox import Change, Outbox, Outgoing
from callcenter.sms.session import (
    Accepted,
    BindRefused,
    Bound,
    Event,
    LinkClosed,
    Receipt,
    Refused,
    Session,
)
from callcenter.sms.text import Part
from outbound.hours import CallingHours

log = logging.getLogger(__name__)

READ_CHUNK = 4096
MAX_THROTTLE_PAUSE = 30.0
RETRY_AFTER = 60.0  # a temporary refusal: the message again after this (times its attempts)


class MissingSmppSecret(ValueError):
    """Neither the environment nor the secrets file has the SMPP password."""


def smpp_password(sms: SmsSection, secrets_file: Path | str | None = None,
                  environ: Mapping[str, str] | None = None) -> str:
    """The SMPP password from ``$<secret_env>`` or the secrets file's ``<secret_key> = ...``
    line (the environment wins). There is no default. Raises ``MissingSmppSecret``."""
    from callcenter.telephony.passwords import load_passwords

    environ = os.environ if environ is None else environ
    value = environ.get(sms.secret_env) or (
        load_passwords(secrets_file).get(sms.secret_key) if secrets_file is not None else None)
    if not value:
        where = (f"'{sms.secret_key} = ...' in {secrets_file}" if secrets_file
                 else "a secrets file (--secrets)")
        raise MissingSmppSecret(f"SMPP password missing: set {sms.secret_env} or put {where}")
    if len(value) > 8 or not value.isascii():
        raise MissingSmppSecret("SMPP password: SMPP 3.4 allows at most 8 ASCII characters")
    return value


class SmsSender:
    """Drives one SMPP link until ``close()``."""

    def __init__(self, sms: SmsSection, outbox: Outbox, password: str, *, source: str,
                 on_change: Callable[[Change], None], hours: CallingHours | None = None,
                 clock: Callable[[], float] = time.time, max_receipts_per_second: float = 500.0,
                 rng: random.Random | None = None) -> None:
        self.sms, self.outbox, self.password = sms, outbox, password
        self.source = smpp_source(source)
        self.on_change = on_change
        self.hours = hours
        self.clock = clock
        self.receipt_interval = 1.0 / max_receipts_per_second
        self.rng = rng or random.Random()
        self.bound = asyncio.Event()
        self.stats = {"connects": 0, "binds": 0, "submitted": 0, "accepted": 0, "throttled": 0,
                      "refused": 0, "receipts": 0, "unknown_receipts": 0, "closed": 0}
        self.last_error = ""
        self.outbox_counts: dict[str, int] = {}  # by state, as of the last load (for /metrics)
        self._wake = asyncio.Event()  # the pump: messages or responses came in
        self._stop = asyncio.Event()  # the reconnect wait: only close() cuts it short
        self._closed = False
        self._queue: deque[tuple[Outgoing, Part]] = deque()
        self._in_flight: set[tuple[str, int]] = set()
        # parts stored as accepted, deferred or failed since the current load began: its query
        # may have read them still pending
        self._settled: set[tuple[str, int]] = set()
        self._next_send = 0.0
        self._throttled_until = 0.0
        self._throttle_pause = 1.0
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ control

    def start(self) -> asyncio.Task:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self.run(), name="sms-sender")
        return self._task

    def poke(self) -> None:
        """New messages may be due (any thread)."""
        if self._loop is not None and not self._closed:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def run(self) -> None:
        """Connect, work, and reconnect with backoff (jittered, doubling to the config's
        maximum; a refused bind waits the maximum) until closed."""
        delay = 1.0
        while not self._closed:
            refused = False
            try:
                refused = await self._link()
                delay = 1.0 if not refused else self.sms.reconnect_max_seconds
            except (OSError, TimeoutError) as exc:
                self.last_error = f"cannot reach the SMSC {self.sms.smsc}: {exc or type(exc).__name__}"
                log.warning("sms: %s", self.last_error)
            except asyncio.CancelledError:
                raise
            except Exception:  # never take the engine down
                log.exception("sms: link to %s failed", self.sms.smsc)
            self.bound.clear()
            if self._closed:
                break
            wait = delay * (0.5 + self.rng.random()) if not refused else delay
            log.info("sms: reconnecting to %s in %.1f s", self.sms.smsc, wait)
            await self._sleep(wait)
            delay = min(delay * 2, self.sms.reconnect_max_seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):
                await self._stop.wait()

    # ------------------------------------------------------------------ one link

    async def _link(self) -> bool:
        """One connection; returns True if the SMSC refused the bind."""
        host, port = self.sms.address()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                self.sms.response_timeout_seconds)
        self.stats["connects"] += 1
        session = Session(self.sms.system_id, self.password, mode=self.sms.bind,
                          system_type=self.sms.system_type, enquire_link=self.sms.enquire_link_seconds,
                          response_timeout=self.sms.response_timeout_seconds)
        self._queue.clear()
        self._in_flight.clear()
        try:
            session.bind(self.clock())
            await self._flush(writer, session)
            reading = asyncio.ensure_future(self._read(reader, writer, session))
            pumping = asyncio.ensure_future(self._pump(writer, session))
            try:
                done, _ = await asyncio.wait({reading, pumping}, return_when=asyncio.FIRST_COMPLETED)
            finally:  # also when close() cancels us
                for task in (reading, pumping):
                    task.cancel()
                await asyncio.gather(reading, pumping, return_exceptions=True)
            result = False
            for task in done:
                result = bool(task.result()) or result  # re-raises a task's exception
            return result
        finally:
            if session.state == "bound" and self._closed:
                session.unbind(self.clock())
                with contextlib.suppress(Exception):
                    writer.write(session.outgoing())
            writer.transport.abort() if self._closed else writer.close()
            self.stats["closed"] += 1

    async def _flush(self, writer: asyncio.StreamWriter, session: Session) -> None:
        data = session.outgoing()
        if data:
            writer.write(data)
            await writer.drain()

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    session: Session) -> bool:
        while True:
            data = await reader.read(READ_CHUNK)
            if not data:
                self.last_error = "the SMSC closed the connection"
                log.warning("sms: %s", self.last_error)
                return False
            for event in session.receive(data, self.clock()):
                if await self._handle(event, session):
                    await self._flush(writer, session)
                    return True
                if isinstance(event, LinkClosed):
                    await self._flush(writer, session)
                    return False
                if isinstance(event, Receipt):
                    await asyncio.sleep(self.receipt_interval)  # a flood waits in the SMSC's buffers
            await self._flush(writer, session)
            self._wake.set()

    async def _handle(self, event: Event, session: Session) -> bool:
        """Act on one event; True if the bind was refused."""
        if isinstance(event, Bound):
            self.stats["binds"] += 1
            self.last_error = ""
            log.info("sms: bound to %s (%s) as %s", self.sms.smsc, event.system_id or "SMSC",
                     self.sms.system_id)
            self.bound.set()
        elif isinstance(event, BindRefused):
            self.last_error = (f"the SMSC {self.sms.smsc} refused the bind as {self.sms.system_id}: "
                               f"{event.reason}")
            log.error("sms: %s (check the system_id and the SMPP password)", self.last_error)
            return True
        elif isinstance(event, Accepted):
            outgoing, part = event.tag
            self.stats["accepted"] += 1
            self._throttle_pause = 1.0
            change = await asyncio.to_thread(self.outbox.part_sent, outgoing.message_id, part.seq,
                                             event.smsc_id)
            self._settle((outgoing.message_id, part.seq))  # stored: never loaded again
            await self._report(change)
        elif isinstance(event, Refused):
            await self._refused(event)
        elif isinstance(event, Receipt):
            self.stats["receipts"] += 1
            if event.delivered is not None:
                detail = f"{event.state} {event.smsc_id}" + (f" err:{event.error}" if event.error else "")
                known, change = await asyncio.to_thread(self.outbox.receipt, event.smsc_id, event.delivered,
                                                        detail)
                if not known:
                    self.stats["unknown_receipts"] += 1
                    unknown = self.stats["unknown_receipts"]
                    if unknown == 1 or unknown % 1000 == 0:
                        log.warning("sms: %d delivery receipt(s) for messages not in the outbox "
                                    "(last: %s); acknowledged and dropped", unknown, event.smsc_id)
                await self._report(change)
            session.ack(event.seq)
        elif isinstance(event, LinkClosed):
            self.last_error = f"SMPP link closed: {event.reason}"
            log.warning("sms: %s", self.last_error)
        return False

    async def _refused(self, event: Refused) -> None:
        outgoing, part = event.tag
        now = self.clock()
        if event.throttled:
            self._in_flight.discard((outgoing.message_id, part.seq))
            self.stats["throttled"] += 1
            self._throttled_until = now + self._throttle_pause
            log.info("sms: the SMSC throttles (%s): pausing %.0f s", event.reason, self._throttle_pause)
            self._throttle_pause = min(self._throttle_pause * 2, MAX_THROTTLE_PAUSE)
            self._queue.clear()  # read again when the pause ends, in order
            return
        self.stats["refused"] += 1
        self._queue = deque(item for item in self._queue if item[0].message_id != outgoing.message_id)
        detail = f"part {part.seq}/{part.total} refused: {event.reason}"
        if event.temporary:
            until = now + RETRY_AFTER * (outgoing.attempts + 1)
            change = await asyncio.to_thread(self.outbox.defer, outgoing.message_id, until, detail,
                                             max_attempts=self.sms.max_attempts)
        else:
            change = await asyncio.to_thread(self.outbox.fail, outgoing.message_id, detail)
        self._settle((outgoing.message_id, part.seq))  # deferred or failed: stored
        log.warning("sms: %s %s", outgoing.message_id, detail)
        await self._report(change)

    async def _report(self, change: Change | None) -> None:
        if change is None:
            return
        try:
            await asyncio.to_thread(self.on_change, change)
        except Exception:
            log.exception("sms: recording %s %s failed", change.message_id, change.status)

    async def _pump(self, writer: asyncio.StreamWriter, session: Session) -> bool:
        """Submit due parts at the agreed rate within the window; run the session's timers."""
        destination_style = self.sms.destination
        while True:
            self._wake.clear()  # before looking: a wake-up while we look is not lost
            now = self.clock()
            for event in session.on_timer(now):
                await self._handle(event, session)
                if isinstance(event, LinkClosed):
                    await self._flush(writer, session)
                    return False
            wake_at = session.next_deadline()
            if session.state == "bound":
                if not self._queue and now >= self._throttled_until:
                    await self._load(now)
                while self._queue and session.in_flight < self.sms.window and now >= self._next_send \
                        and now >= self._throttled_until and self._may_send(now):
                    outgoing, part = self._queue.popleft()
                    session.submit(part, (outgoing, part), now, source=self.source,
                                   destination=smpp_address(outgoing.number, destination_style),
                                   receipt=self.sms.delivery_reports and self.sms.bind == "transceiver")
                    self._in_flight.add((outgoing.message_id, part.seq))
                    self.stats["submitted"] += 1
                    self._next_send = max(now, self._next_send) + 1.0 / self.sms.rate_per_second
                await self._flush(writer, session)
                wake_at = _earliest(wake_at, await self._pending_wake(now))
            timeout = None if wake_at is None else min(max(0.0, wake_at - self.clock()), 3600.0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    def _may_send(self, now: float) -> bool:
        return self.hours is None or self.hours.is_open(now)

    async def _pending_wake(self, now: float) -> float | None:
        """When the pump has work again (None: when woken: a response, a poke)."""
        if now < self._throttled_until:
            return self._throttled_until
        if self._queue:
            if not self._may_send(now):
                return self.hours.next_open(now) if self.hours is not None else None
            return self._next_send if now < self._next_send else None  # else: the window is full
        due = await asyncio.to_thread(self.outbox.next_due)
        return due if due is not None and due > now else None  # due now: its parts are in flight

    def _settle(self, key: tuple[str, int]) -> None:
        self._in_flight.discard(key)
        self._settled.add(key)

    async def _load(self, now: float) -> None:
        """Queue the due parts that are neither awaiting their response nor settled while the
        outbox was read (its answer may predate their commit)."""
        self._settled.clear()
        due = await asyncio.to_thread(self.outbox.due, now)
        self.outbox_counts = await asyncio.to_thread(self.outbox.counts)
        for outgoing in due:
            for part in outgoing.parts:
                key = (outgoing.message_id, part.seq)
                if key not in self._in_flight and key not in self._settled:
                    self._queue.append((outgoing, part))


def _earliest(*points: float | None) -> float | None:
    real = [p for p in points if p is not None]
    return min(real) if real else None

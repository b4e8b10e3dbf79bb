"""A small SMSC for the tests: an asyncio SMPP 3.4 server built on smpplib's PDU classes.

It binds accounts by password, answers submit_sm with its own message ids (or with
ESME_RTHROTTLED for the first ``throttle`` of them), keeps what it received (with the text
decoded) and sends delivery receipts as deliver_sm with the receipt esm_class, the
receipted_message_id and message_state TLVs and the appendix B text. ``after_bind`` lets a
test play a hostile SMSC on the bound connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator

from callcenter.sms.text import decode

STATE = {"DELIVRD": 2, "EXPIRED": 3, "UNDELIV": 5, "REJECTD": 8}


@dataclass
class Submitted:
    system_id: str
    source: str
    destination: str
    dest_ton: int
    data_coding: int
    esm_class: int
    registered_delivery: int
    short_message: bytes
    sar: tuple[int, int, int] | None
    smsc_id: str

    @property
    def text(self) -> str:
        return decode(self.short_message, self.data_coding, self.esm_class)

    @property
    def udh(self) -> bytes:
        return self.short_message[:6] if self.esm_class & 0x40 else b""


@dataclass
class FakeSmsc:
    accounts: dict[str, str] = field(default_factory=lambda: {"hotline": "s3cret"})
    throttle: int = 0  # answer the first N submit_sm with ESME_RTHROTTLED
    receipts: bool = True
    receipt_state: str = "DELIVRD"
    resp_delay: float = 0.0  # answer submit_sm this late (a slow SMSC)
    after_bind: Callable[[asyncio.StreamWriter], Awaitable[None]] | None = None
    submitted: list[Submitted] = field(default_factory=list)
    # (system_id, password, command, status) of every bind
    binds: list[tuple[str, str, str, int]] = field(default_factory=list)
    enquire_links: int = 0
    refused: int = 0
    acks: list[tuple[int, int]] = field(default_factory=list)  # deliver_sm_resp (sequence, status)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _seq: SimpleSequenceGenerator = field(default_factory=SimpleSequenceGenerator)
    changed: asyncio.Event | None = None

    async def start(self, port: int = 0) -> int:
        self.changed = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Go down hard: the listener and every connection."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        """Until ``condition()`` holds (checked whenever the SMSC sees a PDU)."""
        assert self.changed is not None
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        await self.changed.wait()

    def _poke(self) -> None:
        assert self.changed is not None
        self.changed.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        system_id = ""
        try:
            while True:
                header = await reader.readexactly(4)
                (length,) = struct.unpack(">L", header)
                raw = header + await reader.readexactly(length - 4)
                pdu = smpp.parse_pdu(raw, client=SimpleSequenceGenerator(), allow_unknown_opt_params=True)
                reply, after = self._answer(pdu, system_id)
                if reply is not None and pdu.command == "submit_sm" and self.resp_delay:
                    self._spawn(self._later(writer, reply.generate(), self.resp_delay))
                elif reply is not None:
                    writer.write(reply.generate())
                    await writer.drain()
                if pdu.command.startswith("bind_") and reply is not None and reply.status == 0:
                    system_id = _s(pdu.system_id)
                    if self.after_bind is not None:
                        self._spawn(self.after_bind(writer))
                if after is not None:
                    self._spawn(self._receipt(writer, *after))
                self._poke()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            self._poke()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _resp(self, command: str, seq: int, status: int = 0, **fields: Any) -> Any:
        pdu = smpp.make_pdu(command, client=self._seq, sequence=seq, status=status, **fields)
        pdu.sequence = seq
        return pdu

    def _answer(self, pdu: Any, system_id: str) -> tuple[Any, tuple[Submitted, str] | None]:
        command, seq = pdu.command, pdu.sequence
        if command.startswith("bind_"):
            user, password = _s(pdu.system_id), _s(pdu.password)
            status = 0 if self.accounts.get(user) == password else consts.SMPP_ESME_RINVPASWD
            self.binds.append((user, password, command, status))
            return self._resp(f"{command}_resp", seq, status, system_id="fakesmsc"), None
        if command == "enquire_link":
            self.enquire_links += 1
            return self._resp("enquire_link_resp", seq), None
        if command == "unbind":
            return self._resp("unbind_resp", seq), None
        if command == "deliver_sm_resp":
            self.acks.append((seq, pdu.status))
            return None, None
        if command == "submit_sm":
            if self.refused < self.throttle:
                self.refused += 1
                return self._resp("submit_sm_resp", seq, consts.SMPP_ESME_RTHROTTLED), None
            smsc_id = f"M{len(self.submitted) + 1:05d}"
            sar = None
            if pdu.sar_msg_ref_num is not None:
                sar = (pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum)
            sub = Submitted(system_id, _s(pdu.source_addr), _s(pdu.destination_addr), pdu.dest_addr_ton or 0,
                            pdu.data_coding or 0, pdu.esm_class or 0, pdu.registered_delivery or 0,
                            pdu.short_message or b"", sar, smsc_id)
            self.submitted.append(sub)
            after = (sub, self.receipt_state) if self.receipts and sub.registered_delivery else None
            return self._resp("submit_sm_resp", seq, message_id=smsc_id), after
        return self._resp("generic_nack", seq, consts.SMPP_ESME_RINVCMDID), None

    async def _later(self, writer: asyncio.StreamWriter, data: bytes, delay: float) -> None:
        await asyncio.sleep(delay)
        writer.write(data)
        await writer.drain()

    async def _receipt(self, writer: asyncio.StreamWriter, sub: Submitted, state: str) -> None:
        await asyncio.sleep(0.01 + self.resp_delay)
        writer.write(receipt_pdu(self._seq, sub.smsc_id, state, sub.destination).generate())
        await writer.drain()


def receipt_pdu(seq: SimpleSequenceGenerator, smsc_id: str, state: str, destination: str = "8613800000001",
                tlvs: bool = True) -> Any:
    text = (f"id:{smsc_id} sub:001 dlvrd:{'001' if state == 'DELIVRD' else '000'} "
            f"submit date:2611160900 done date:2611160901 stat:{state} err:000 text:").encode()
    fields: dict[str, Any] = {}
    if tlvs:
        fields = {"receipted_message_id": smsc_id, "message_state": STATE.get(state, 7)}
    return smpp.make_pdu("deliver_sm", client=seq, source_addr=destination, destination_addr="12345",
                         esm_class=0x04, data_coding=0, short_message=text, **fields)


def _s(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value or "")

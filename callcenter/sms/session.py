"""An SMPP 3.4 ESME session, sans-IO: bytes and ``now`` in, events and bytes to write out,
the next deadline reported. The PDUs are ``smpplib``'s (its command classes build and parse
them); the framing, the state, the timers and the defences against a hostile SMSC are here.

Everything from the SMSC is hostile until parsed: a ``command_length`` below 16 or above
``max_pdu`` closes the link at once (nothing that size is ever buffered); a body that does not
parse is answered ``generic_nack`` and counted, and more than ``max_malformed`` of them close
the link; an unknown request gets ``generic_nack`` (invalid command id). A request or an
``enquire_link`` without a response within ``response_timeout`` closes the link too.

Delivery receipts (``deliver_sm`` whose ``esm_class`` says SMSC delivery receipt) are acknowledged
only when the caller says so (``ack``), after it has stored them; other ``deliver_sm`` (a
citizen's reply) are acknowledged at once and dropped.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any

from smpplib import command_codes, consts, smpp
from smpplib.client import SimpleSequenceGenerator

from callcenter.sms.text import Part

HEADER = 16
MAX_PDU = 16 * 1024
RECEIPT = 0x04  # esm_class message type bits (xx0001xx): SMSC delivery receipt
TEMPORARY = frozenset({consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL, consts.SMPP_ESME_RSYSERR,
                       consts.SMPP_ESME_RSUBMITFAIL, consts.SMPP_ESME_RX_T_APPN})
THROTTLING = frozenset({consts.SMPP_ESME_RTHROTTLED, consts.SMPP_ESME_RMSGQFUL})
# message_state TLV values and the receipt text's stat: words
_STATES = {1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED", 5: "UNDELIV", 6: "ACCEPTD",
           7: "UNKNOWN", 8: "REJECTD"}
_FINAL = {"DELIVRD": True, "EXPIRED": False, "DELETED": False, "UNDELIV": False, "REJECTD": False,
          "UNKNOWN": False}
_RECEIPT_TEXT = re.compile(rb"id:(?P<id>[^ ]{1,65}) .*?stat:(?P<stat>[A-Z]{7})(?: err:(?P<err>[^ ]{1,8}))?",
                           re.S)


class _Parser(SimpleSequenceGenerator):
    """smpplib's command constructors draw a sequence number even for a PDU being parsed; a
    generator of their own keeps the session's numbers unskipped."""


@dataclass(frozen=True, slots=True)
class Bound:
    system_id: str


@dataclass(frozen=True, slots=True)
class BindRefused:
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """The SMSC took the submit_sm tagged ``tag`` and calls it ``smsc_id``."""

    tag: Any
    smsc_id: str


@dataclass(frozen=True, slots=True)
class Refused:
    tag: Any
    status: int
    reason: str

    @property
    def temporary(self) -> bool:
        return self.status in TEMPORARY

    @property
    def throttled(self) -> bool:
        return self.status in THROTTLING


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery report for ``smsc_id``: ``delivered`` True/False when final, None when not
    (en route, accepted). Acknowledge it with ``Session.ack(seq)`` once stored."""

    seq: int
    smsc_id: str
    state: str
    delivered: bool | None
    error: str


@dataclass(frozen=True, slots=True)
class LinkClosed:
    reason: str


Event = Bound | BindRefused | Accepted | Refused | Receipt | LinkClosed


def status_text(status: int) -> str:
    return f"0x{status:08X} {consts.DESCRIPTIONS.get(status, 'unknown status')}"


class Session:
    """One bind over one connection. States: open, binding, bound, unbinding, closed."""

    def __init__(self, system_id: str, password: str, *, mode: str = "transceiver", system_type: str = "",
                 enquire_link: float = 30.0, response_timeout: float = 10.0, max_pdu: int = MAX_PDU,
                 max_malformed: int = 20) -> None:
        if len(password) > 8:
            raise ValueError("password: SMPP 3.4 allows at most 8 characters")
        self.system_id, self.password, self.mode, self.system_type = system_id, password, mode, system_type
        self.enquire_link, self.response_timeout = enquire_link, response_timeout
        self.max_pdu, self.max_malformed = max_pdu, max_malformed
        self.state = "open"
        self.malformed = 0
        self.ignored = 0  # deliver_sm that are not receipts (a citizen's reply)
        self._seq = SimpleSequenceGenerator()
        self._parser = _Parser()
        self._buffer = bytearray()
        self._out = bytearray()
        self._waiting: dict[int, tuple[str, float, Any]] = {}  # seq -> (command, deadline, tag)
        self._last_heard = 0.0

    # ------------------------------------------------------------------ out

    def bind(self, now: float) -> None:
        self.state = "binding"
        self._last_heard = now
        self._request(f"bind_{self.mode}", now, None, system_id=self.system_id, password=self.password,
                      system_type=self.system_type, addr_ton=0, addr_npi=0, address_range="")

    def submit(self, part: Part, tag: Any, now: float, *, source: tuple[str, int, int],
               destination: tuple[str, int, int], receipt: bool = True) -> int:
        """Queue a submit_sm for ``part``; its response comes back as ``Accepted``/``Refused``
        with ``tag``. Returns the sequence number."""
        if self.state != "bound":
            raise RuntimeError(f"submit while {self.state}")
        fields: dict[str, Any] = {}
        if part.sar is not None:
            fields = dict(zip(("sar_msg_ref_num", "sar_total_segments", "sar_segment_seqnum"), part.sar,
                              strict=True))
        return self._request(
            "submit_sm", now, tag, service_type="", source_addr=source[0], source_addr_ton=source[1],
            source_addr_npi=source[2], destination_addr=destination[0], dest_addr_ton=destination[1],
            dest_addr_npi=destination[2], esm_class=part.esm_class, protocol_id=0, priority_flag=0,
            schedule_delivery_time="", validity_period="", registered_delivery=1 if receipt else 0,
            replace_if_present_flag=0, data_coding=part.data_coding, sm_default_msg_id=0,
            short_message=part.short_message, **fields)

    def unbind(self, now: float) -> None:
        if self.state == "bound":
            self.state = "unbinding"
            self._request("unbind", now, None)

    def ack(self, seq: int, status: int = consts.SMPP_ESME_ROK) -> None:
        """Acknowledge the deliver_sm ``seq`` (a receipt, once stored)."""
        self._respond("deliver_sm_resp", seq, status)

    def outgoing(self) -> bytes:
        """The bytes to write now (and forget)."""
        data, self._out = bytes(self._out), bytearray()
        return data

    @property
    def in_flight(self) -> int:
        return sum(1 for command, _, _ in self._waiting.values() if command == "submit_sm")

    def _request(self, command: str, now: float, tag: Any, **fields: Any) -> int:
        pdu = smpp.make_pdu(command, client=self._seq, **fields)
        self._out += pdu.generate()
        self._waiting[pdu.sequence] = (command, now + self.response_timeout, tag)
        return pdu.sequence

    def _respond(self, command: str, seq: int, status: int = consts.SMPP_ESME_ROK, **fields: Any) -> None:
        pdu = smpp.make_pdu(command, client=self._seq, sequence=seq, status=status, **fields)
        pdu.sequence = seq
        self._out += pdu.generate()

    # ------------------------------------------------------------------ timers

    def next_deadline(self) -> float | None:
        if self.state == "closed":
            return None
        points = [deadline for _, deadline, _ in self._waiting.values()]
        if self.state == "bound" and not any(c == "enquire_link" for c, _, _ in self._waiting.values()):
            points.append(self._last_heard + self.enquire_link)
        return min(points) if points else None

    def on_timer(self, now: float) -> list[Event]:
        for command, deadline, _ in self._waiting.values():
            if now >= deadline:
                return [self._close(f"no {command}_resp within {self.response_timeout:g} s")]
        if (self.state == "bound" and now >= self._last_heard + self.enquire_link
                and not any(c == "enquire_link" for c, _, _ in self._waiting.values())):
            self._request("enquire_link", now, None)
        return []

    def _close(self, reason: str) -> LinkClosed:
        self.state = "closed"
        self._waiting.clear()
        return LinkClosed(reason)

    # ------------------------------------------------------------------ in

    def receive(self, data: bytes, now: float) -> list[Event]:
        """Take bytes from the SMSC; returns what happened (``LinkClosed`` last, if at all)."""
        if self.state == "closed":
            return []
        self._buffer += data
        events: list[Event] = []
        while len(self._buffer) >= 4 and self.state != "closed":
            (length,) = struct.unpack(">L", self._buffer[:4])
            if length < HEADER or length > self.max_pdu:
                self._buffer.clear()
                events.append(self._close(f"command_length {length} outside {HEADER}..{self.max_pdu}"))
                break
            if len(self._buffer) < length:
                break
            raw = bytes(self._buffer[:length])
            del self._buffer[:length]
            self._last_heard = now
            events += self._pdu(raw, now)
        return events

    def _pdu(self, raw: bytes, now: float) -> list[Event]:
        command_id, status, seq = struct.unpack(">LLL", raw[4:16])
        try:
            command = command_codes.get_command_name(command_id)
        except Exception:
            command = None
        if command is None:
            if command_id & 0x80000000:  # a response to nothing we know: drop it
                return self._malformed(f"unknown response 0x{command_id:08X}")
            self._respond("generic_nack", seq, consts.SMPP_ESME_RINVCMDID)
            return self._malformed(f"unknown command 0x{command_id:08X}")
        try:
            pdu = smpp.parse_pdu(raw, client=self._parser, allow_unknown_opt_params=True)
        except Exception as exc:  # smpplib raises what the bytes make it raise
            if not command_id & 0x80000000:
                self._respond("generic_nack", seq, consts.SMPP_ESME_RINVCMDLEN)
            return self._malformed(f"{command} that does not parse ({type(exc).__name__})")
        if command_id & 0x80000000:
            return self._response(command, status, seq, pdu)
        return self._request_in(command, seq, pdu, now)

    def _malformed(self, what: str) -> list[Event]:
        self.malformed += 1
        if self.malformed > self.max_malformed:
            return [self._close(f"{self.malformed} malformed PDUs (last: {what})")]
        return []

    def _response(self, command: str, status: int, seq: int, pdu: Any) -> list[Event]:
        waiting = self._waiting.pop(seq, None)
        if waiting is None:
            if command == "generic_nack":
                return self._malformed(f"generic_nack {status_text(status)} for nothing sent")
            return self._malformed(f"{command} for nothing sent (sequence {seq})")
        sent, _, tag = waiting
        if command != "generic_nack" and command != f"{sent}_resp":
            return [self._close(f"{command} answers {sent}")]
        if sent.startswith("bind_"):
            if status != consts.SMPP_ESME_ROK or command == "generic_nack":
                self.state = "closed"
                self._waiting.clear()
                return [BindRefused(status, status_text(status))]
            self.state = "bound"
            return [Bound(_text(pdu.system_id))]
        if sent == "submit_sm":
            if status != consts.SMPP_ESME_ROK or command == "generic_nack":
                return [Refused(tag, status or consts.SMPP_ESME_RSYSERR, status_text(status))]
            smsc_id = _text(pdu.message_id)
            if not smsc_id:
                return [Refused(tag, consts.SMPP_ESME_RSYSERR, "submit_sm_resp without a message_id")]
            return [Accepted(tag, smsc_id)]
        if sent == "unbind":
            return [self._close("unbound")]
        return []  # enquire_link_resp: the link is alive

    def _request_in(self, command: str, seq: int, pdu: Any, now: float) -> list[Event]:
        if command == "enquire_link":
            self._respond("enquire_link_resp", seq)
            return []
        if command == "unbind":
            self._respond("unbind_resp", seq)
            return [self._close("the SMSC unbound")]
        if command == "deliver_sm" and self.state == "bound":
            if (pdu.esm_class or 0) & 0x3C != RECEIPT:
                self.ignored += 1
                self.ack(seq)
                return []
            receipt = _receipt(seq, pdu)
            if receipt is None:
                self.ack(seq, consts.SMPP_ESME_RX_P_APPN)  # permanent: do not send it again
                return self._malformed("a delivery receipt without a message id")
            return [receipt]
        self._respond("generic_nack", seq, consts.SMPP_ESME_RINVCMDID)
        return self._malformed(f"{command} while {self.state}")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.split(b"\0", 1)[0].decode("latin-1")
    return "" if value is None else str(value)[:65]


def _receipt(seq: int, pdu: Any) -> Receipt | None:
    """The receipt in a deliver_sm: the TLVs (receipted_message_id, message_state) if there,
    else the SMPP 3.4 appendix B text (``id:... stat:DELIVRD err:000``)."""
    match = _RECEIPT_TEXT.search(pdu.short_message or b"")
    smsc_id = _text(pdu.receipted_message_id) or (match.group("id").decode("latin-1") if match else "")
    if not smsc_id:
        return None
    state = _STATES.get(pdu.message_state or 0) or (
        match.group("stat").decode("latin-1") if match else "UNKNOWN")
    error = match.group("err").decode("latin-1") if match and match.group("err") else ""
    return Receipt(seq, smsc_id, state, _FINAL.get(state), error)

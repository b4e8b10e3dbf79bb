"""Calls placed by the embedded engine: return visits (回访) and callbacks of missed calls.

The engine calls the number the dialer gives (validated again here: a mainland phone number,
never a SIP URI) through the configured outbound gateway, showing the line's number, with
optional digest credentials for the trunk. Once the citizen answers, the return-visit flow
plays on the call like a line's IVR (the citizen's RFC 2833 keys drive it) and, when the call
ends, the keys the flow recorded (``solved``, ``satisfied``, ``score``) are the result: both
questions answered is ``answered``, anything less (silence, a hang-up mid-way) is ``silent``
(not reached). A missed call's callback plays ``missed_callback`` (1: an agent, through the
line's queue) and is a call on the line in the records; it reached the citizen if the flow ran
to its end. Final responses map to the dialer's outcomes (busy, no answer, invalid, failed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.sip.digest import build_authorization
from callcenter.sip.message import SIPRequest, SIPResponse
from callcenter.sip.sdp import SDPError, build_offer, parse_answer
from callcenter.sip.transactions import Addr
from callcenter.telephony.legs import CallerLeg, cancel_for, new_invite, own_number
from callcenter.telephony.media import LegMedia
from calls import events as ce
from calls.call import Call
from outbound.model import Answers, CallOutcome, Dial, Kind
from outbound.numbers import national
from outbound.results import call_result

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)

RING_SECONDS = 45.0  # the citizen's phone rings this long before the call counts as no answer
BUSY = frozenset({486, 600, 603})
NO_ANSWER = frozenset({408, 480, 487})
INVALID = frozenset({404, 410, 484, 604})

Result = Callable[[str, CallOutcome, Answers | None], None]
CHALLENGES = {401: ("www-authenticate", "Authorization"), 407: ("proxy-authenticate", "Proxy-Authorization")}


def with_credentials(sent: SIPRequest, response: SIPResponse, credentials: tuple[str, str] | None,
                     again: Callable[[], SIPRequest]) -> SIPRequest | None:
    """The trunk challenged ``sent`` (401/407): ``again()`` (a fresh INVITE to the same URI)
    carrying the digest answer; None when there is nothing to answer with (no credentials) or
    ``sent`` already carried one (the trunk refused them: no loop). ``ValueError`` for a
    challenge that cannot be answered. Shared by every INVITE the engine sends a trunk."""
    header, answer = CHALLENGES[response.status]
    if credentials is None or sent.headers.get(answer) is not None:
        return None
    challenge = response.headers.get(header)
    if challenge is None:
        raise ValueError(f"{response.status} without a challenge")
    invite = again()
    username, password = credentials
    invite.headers.add(answer, build_authorization(challenge, method="INVITE", uri=invite.uri,
                                                   username=username, password=password))
    return invite


def outcome_of(status: int) -> CallOutcome:
    """The dialer's outcome for a final error response to the engine's INVITE."""
    if status in BUSY:
        return CallOutcome.BUSY
    if status in NO_ANSWER:
        return CallOutcome.NO_ANSWER
    if status in INVALID:
        return CallOutcome.INVALID
    return CallOutcome.FAILED


@dataclass
class _Attempt:
    command: Dial
    leg: CallerLeg
    flow: str
    variables: dict[str, str]
    uri: str
    timer: asyncio.TimerHandle | None = None
    answered: bool = False
    reported: bool = False


class OutboundCalls:
    """Places survey calls through ``gateway`` and reports each one's outcome to ``on_result``
    (task id, outcome, answers) exactly once."""

    def __init__(self, control: CallControl, gateway: Addr, on_result: Result, *,
                 credentials: tuple[str, str] | None = None, ring_seconds: float = RING_SECONDS) -> None:
        self.control = control
        self.gateway = gateway
        self.on_result = on_result
        self.credentials = credentials
        self.ring_seconds = ring_seconds
        self.attempts: dict[str, _Attempt] = {}  # by task id

    def dial(self, command: Dial, flow: str, variables: dict[str, str]) -> None:
        """Call ``command.number`` showing ``command.caller_id``; play ``flow`` once answered."""
        c = self.control
        number = national(command.number)  # the dialer validated it; never trust a caller
        host, port = self.gateway
        shown = f"[{host}]" if ":" in host else host
        uri = f"sip:{number}@{shown}:{port}"
        sock = bind_udp_socket(c.ep.local_addr[0], 0)
        media = LegMedia(sock, remote=None, payload_type=0, dtmf_payload_type=None, peer_host=host,
                         window=c.rtp_window, symmetric=c.rtp_symmetric)
        invite = self._invite(command.caller_id, uri, media.local_port)
        leg = CallerLeg(invite.call_id, command.caller_id, invite, None, media, command.language,
                        silent_ok=True, source=self.gateway)
        attempt = _Attempt(command, leg, flow, variables, uri)
        self.attempts[command.task_id] = attempt
        self._send(attempt, invite)
        attempt.timer = asyncio.get_running_loop().call_later(self.ring_seconds, self._ring_out, attempt)
        log.info("outbound %s (%s, attempt %d): calling %s", command.task_id, command.kind.value,
                 command.attempt, uri)

    def own_number(self, call_id: str) -> str | None:
        """The caller's own number (P-Asserted-Identity or From, validated) of the line's call
        ``call_id``, from a trusted peer only; None for one of the engine's own calls, a call from
        outside the trust domain, or none of its own."""
        leg = self.control.callers.get(call_id)
        if leg is None or leg.callback_invite is not None:
            return None
        return own_number(leg.invite, leg.source, self.control.trust)

    def _invite(self, caller_id: str, uri: str, media_port: int) -> SIPRequest:
        c = self.control
        sdp = build_offer(c.host, media_port, user=caller_id).to_bytes()
        return new_invite(caller_id, caller_id, uri, sdp, host=c.host, port=c.port,
                          contact=c.contact(caller_id), cseq=c.next_cseq())

    def _send(self, attempt: _Attempt, invite: SIPRequest) -> None:
        attempt.leg.callback_invite = invite
        self.control.send_invite(invite, self.gateway, lambda r: self._response(attempt, r),
                                 lambda timeout: self._report(attempt, CallOutcome.FAILED, "no response"))

    def _response(self, attempt: _Attempt, response: SIPResponse) -> None:
        if response.status < 200 or attempt.reported:
            return
        leg = attempt.leg
        if response.status in CHALLENGES and self._authenticate(attempt, response):
            return
        if response.status >= 300:
            self._report(attempt, outcome_of(response.status), f"{response.status} {response.reason}")
            return
        c = self.control
        assert leg.callback_invite is not None
        try:
            dialog, leg.ack = c.confirm(leg.callback_invite, response, leg.line, peer=self.gateway)
            codec, dtmf, host, port = parse_answer(response.body)
        except (ValueError, SDPError) as exc:
            self._report(attempt, CallOutcome.FAILED, f"unusable 2xx: {exc}")
            return
        self._cancel_timer(attempt)
        attempt.answered = True
        leg.dialog = dialog
        leg.media.set_remote((host, port), codec.payload_type, dtmf)
        leg.silent_ok = False
        leg.on_ended = lambda gone, reason: self._ended(attempt, reason)
        # A missed call's callback is a call on the line (recorded; it may reach an agent).
        call = Call(leg.call_id, leg.line, attempt.flow, c.settings, language=leg.language,
                    variables=attempt.variables, recorded=attempt.command.kind is Kind.MISSED_CALL)
        log.info("outbound %s answered: %s", attempt.command.task_id, attempt.flow)
        c.start_call(leg, call, ce.Arrived())

    def _authenticate(self, attempt: _Attempt, response: SIPResponse) -> bool:
        """Answer the trunk's digest challenge once; False when it is the call's outcome."""
        leg = attempt.leg
        assert leg.callback_invite is not None
        try:
            invite = with_credentials(leg.callback_invite, response, self.credentials, lambda: self._invite(
                attempt.command.caller_id, attempt.uri, leg.media.local_port))
        except ValueError as exc:
            self._report(attempt, CallOutcome.FAILED, f"challenge: {exc}")
            return True
        if invite is not None:
            self._send(attempt, invite)
        return invite is not None

    def _ring_out(self, attempt: _Attempt) -> None:
        """Nobody answered in time: CANCEL (the 487 reports no answer)."""
        attempt.timer = None
        invite = attempt.leg.callback_invite
        if not attempt.answered and not attempt.reported and invite is not None:
            self.control.ep.send_request(cancel_for(invite), self.gateway)
            attempt.timer = asyncio.get_running_loop().call_later(
                5.0, self._report, attempt, CallOutcome.NO_ANSWER, "no answer")

    def _ended(self, attempt: _Attempt, reason: str) -> None:
        outcome, answers = call_result(attempt.command.kind, attempt.leg.call)
        self._report(attempt, outcome, reason, answers)

    def _cancel_timer(self, attempt: _Attempt) -> None:
        if attempt.timer is not None:
            attempt.timer.cancel()
            attempt.timer = None

    def _report(self, attempt: _Attempt, outcome: CallOutcome, why: str,
                answers: Answers | None = None) -> None:
        if attempt.reported:
            return
        attempt.reported = True
        self._cancel_timer(attempt)
        if not attempt.answered:
            attempt.leg.media.close()
        self.attempts.pop(attempt.command.task_id, None)
        log.info("outbound %s: %s (%s)", attempt.command.task_id, outcome.value, why)
        self.on_result(attempt.command.task_id, outcome, answers)

    def close(self) -> None:
        for attempt in list(self.attempts.values()):
            if attempt.answered:
                self.control.hang_up(attempt.leg)
            else:
                self._cancel_timer(attempt)
                attempt.leg.media.close()

"""Call control of the embedded engine: a SIP transaction user and a CoreDriver sink.

Callers dial a configured line; the call is answered and a call object (``calls.Call``) takes
it from there: its IVR prompts are played over RTP and RFC 4733 keys fed back, its hand-off to
the ACD, hold music and announcements, offers to seats, callbacks, transfers and the survey
are its commands, which this module only carries out over SIP and RTP. The ACD's offers become
INVITEs to the agents' registered seats (this engine is a B2BUA); an answered seat is bridged
to the caller. The engine only ever dials registered seats, department numbers from the config
and a caller's own number, never a number a caller typed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable
from pathlib import Path

from acd import events as acd_ev
from acd.engine import ACDError
from agents.seat import IllegalTransition, Presence
from callcenter.config import HotlineConfig
from callcenter.core_port import Core
from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.media.tone import music_on_hold
from callcenter.sip.dialog import Dialog, DialogId, dialog_id, in_dialog
from callcenter.sip.ids import new_tag
from callcenter.sip.message import SIPRequest, SIPResponse, make_response
from callcenter.sip.sdp import SDPError, answer_offer, parse_answer
from callcenter.sip.transactions import Addr, Timeout, TransactionKey
from callcenter.sip.transport import SipEndpoint
from callcenter.task_set import TaskSet
from callcenter.telephony.admission import AdmissionLimits
from callcenter.telephony.call_wire import CallWire
from callcenter.telephony.callbacks import DIAL_BACK_TIMEOUT, Callbacks
from callcenter.telephony.feature_codes import (
    CONFIRMATION,
    CONFIRMATION_PROMPTS,
    FEATURE_CODES,
    REFUSED_PROMPT,
    authorised,
    seat_of,
)
from callcenter.telephony.legs import (
    ALLOW,
    AgentLeg,
    CallerLeg,
    DepartmentLeg,
    caller_number,
    cancel_for,
    vouched_number,
)
from callcenter.telephony.media import LegMedia
from callcenter.telephony.qualify import Qualifier
from callcenter.telephony.registrar import Registrar
from callcenter.telephony.rtp_timeout import RTP_TIMEOUT
from callcenter.telephony.silence import sends_media, silent_for
from callcenter.telephony.sip_info import info_digit
from callcenter.telephony.transfer_control import Transfers
from callcenter.telephony.trust import trust_domain
from calls import commands as cc
from calls import events as ce
from calls.call import Call, CallSettings
from ivr_flows import commands as ivr_cmd
from ivr_flows.loader import FlowSet
from ivr_flows.plugins import PluginRegistry
from ivr_flows.timing import PromptDurations
from outbound.blending import engine_call_id

log = logging.getLogger(__name__)

# Why a caller's leg ended (log text; the first three mean the caller left).
CALLER_BYE, CALLER_CANCEL, CALLER_SILENT = "caller BYE", "caller CANCEL", "no RTP from the caller"
CALLER_LEFT = frozenset({CALLER_BYE, CALLER_CANCEL, CALLER_SILENT})
ENGINE_BYE, ENGINE_STOPPING = "engine BYE", "engine stopping"
CALLBACK_FLOW = "queue_busy"  # offers a waiting caller a callback (press 1)
SURVEY_FLOW = "survey"  # after the agent hangs up, the caller scores the call
HOLD_INTERVAL = 30.0  # seconds of hold music between "callers ahead of you" announcements


class CallControl(CallWire):
    """Answers lines and carries out their call objects' and the ACD's commands over SIP/RTP.

    Seats dial :data:`FEATURE_CODES` to log in and out. A seat whose registration expires or
    is removed is logged out (or made not ready while on a call). A caller that sends no RTP
    for ``rtp_timeout`` seconds (None: never) is hung up. A waiting caller hears their place
    and estimated wait every ``hold_interval`` seconds (None: never). With ``qualify_interval``
    registered seats are pinged with OPTIONS and dropped when they stop answering.
    RTP is symmetric (see :class:`LegMedia`); ``rtp_window`` is its policy for peers whose
    signalled media address is on another host than their signalling. New calls beyond
    ``admission.max_calls`` live ones are answered 503 (feature codes are always served).
    Survey scores go to ``on_score(call_id, score, at)`` (the records writer).
    """

    def __init__(self, config: HotlineConfig, driver: Core, flows: FlowSet,
                 registrar: Registrar, prompts_dir: Path | str, *,
                 plugins: PluginRegistry | None = None, advertise: str | None = None,
                 rtp_timeout: float | None = RTP_TIMEOUT,
                 hold_interval: float | None = HOLD_INTERVAL,
                 qualify_interval: float | None = None, qualify_timeout: float = 5.0,
                 rtp_window: float | None = None,
                 admission: AdmissionLimits | None = None, rtp_symmetric: bool = True,
                 survey_flow: str | None = SURVEY_FLOW,
                 on_score: Callable[[str, int, float], None] | None = None) -> None:
        self.config = config
        self.driver = driver
        self.flows = flows
        self.registrar = registrar
        self.prompts_dir = Path(prompts_dir)
        self.plugins = plugins
        self.advertise = advertise
        manifest = self.prompts_dir / "manifest.json"
        self.durations = PromptDurations.from_manifest(manifest) if manifest.exists() else None
        self.lines = {line.number: line for line in config.lines}
        self.agent_ids = {agent.id for agent in config.agents}
        self.rtp_timeout = rtp_timeout
        self.rtp_window = rtp_window  # see LegMedia: None sends RTP only to the signalling host
        self.rtp_symmetric = rtp_symmetric  # False: no latching (lab use, see LegMedia)
        self.admission = admission or AdmissionLimits(max_calls=None)
        self.refused = 0  # calls answered 503 at the live-call ceiling
        self.hold_interval = hold_interval
        self.on_score = on_score
        self.settings = CallSettings(
            flows, durations=self.durations, hold_interval=hold_interval,
            callback_flow=CALLBACK_FLOW, survey_flow=survey_flow,
            department_ring_timeout=config.transfers.ring_timeout_seconds,
            dial_back_timeout=DIAL_BACK_TIMEOUT, default_language=config.default_language,
            queue=driver.acd)
        self.qualifier = (Qualifier(registrar, qualify_interval, qualify_timeout)
                          if qualify_interval else None)
        self._housekeeping: asyncio.TimerHandle | None = None
        self.endpoint: SipEndpoint | None = None
        self.calls: dict[str, Call] = {}
        self.callers: dict[str, CallerLeg] = {}
        self.dialogs: dict[DialogId, CallerLeg | AgentLeg | DepartmentLeg] = {}
        self.invites: dict[TransactionKey, tuple[Callable[[SIPResponse], None],
                                                 Callable[[Timeout], None]]] = {}
        self._moh = music_on_hold()
        self._cseq = itertools.count(1)
        self._tasks = TaskSet()
        self._sinking = 0  # > 0 while the ACD's commands are carried out
        self.transfers = Transfers(self)
        self.trust = trust_domain(config)  # whose caller identity is believed
        self.not_believed = 0  # calls whose caller ID came from outside the trust domain
        log.info("caller IDs believed from: %s", ", ".join(map(str, self.trust.networks)) or
                 "no one (a callback goes back to the address its call came from)")
        self.callbacks = Callbacks(self)
        # told of each call turned away at overload (the line's number, the caller's own number
        # from a trusted peer, else None): missed-call callbacks
        self.on_refused: Callable[[SIPRequest, str, str | None], None] | None = None
        driver.add_sink(self.sink)
        registrar.on_removed = self._seat_unreachable

    # -- plumbing ----------------------------------------------------------------------------

    def attach(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint
        endpoint.tu = self
        self._arm_housekeeping()

    def _arm_housekeeping(self) -> None:
        interval = 1.0
        if self.rtp_timeout is not None:
            interval = min(interval, self.rtp_timeout / 4)
        if self.qualifier is not None:
            interval = min(interval, self.qualifier.interval / 2, self.qualifier.timeout / 2)
        interval = max(0.05, interval)
        self._housekeeping = asyncio.get_running_loop().call_later(interval, self._housekeep)

    def _housekeep(self) -> None:
        """Expire registrations, hang up callers whose RTP stopped, end calls whose seat did."""
        try:
            self.registrar.expire()
            if self.qualifier is not None:
                self.qualifier.tick(self.ep, self.host, self.port)
            if self.rtp_timeout is not None:
                for leg in list(self.callers.values()):
                    silence = silent_for(leg.media)
                    if not leg.silent_ok and silence > self.rtp_timeout and not leg.media.closed:
                        log.warning("no RTP from the caller on %s for %.1fs, hanging up",
                                    leg.call_id, silence)
                        self.hang_up(leg, CALLER_SILENT)
                        continue
                    agent = leg.agent
                    # A seat that has sent audio and then stops is gone; one that never sent
                    # any (silence suppression without comfort noise) cannot be told apart.
                    if agent is not None and agent.state == "answered" and agent.media.received:
                        silence = silent_for(agent.media)
                        if silence > self.rtp_timeout:
                            self._seat_gone(agent, f"no RTP for {silence:.1f}s")
        except Exception:  # noqa: BLE001
            log.exception("housekeeping failed")
        self._arm_housekeeping()

    @property
    def ep(self) -> SipEndpoint:
        if self.endpoint is None:
            raise RuntimeError("call control is not attached to an endpoint")
        return self.endpoint

    @property
    def host(self) -> str:
        return self.advertise or self.ep.local_addr[0]

    @property
    def port(self) -> int:
        return self.ep.local_addr[1]

    def contact(self, user: str) -> str:
        return f"<sip:{user}@{self.host}:{self.port}>"

    def _now(self) -> float:
        return self.driver.clock()

    def submit(self, event: acd_ev.Event) -> bool:
        return self.driver.try_submit(event)

    def next_cseq(self) -> int:
        return next(self._cseq)

    def spawn(self, coro) -> None:
        """Run ``coro`` as a task kept until it ends."""
        self._tasks.spawn(coro)

    def send_invite(self, invite: SIPRequest, addr: Addr,
                    on_response: Callable[[SIPResponse], None],
                    on_timeout: Callable[[Timeout], None]) -> None:
        """Send an INVITE of ours; its responses and its timeout go to the handlers."""
        self.invites[self.ep.send_request(invite, addr)] = (on_response, on_timeout)

    def confirm(self, invite: SIPRequest, response: SIPResponse, line: str, *,
                peer: Addr | None = None) -> tuple[Dialog, bytes]:
        """The dialog of a 2xx to our INVITE, ACKed; ``ValueError`` for an unusable 2xx.
        In-dialog requests go to ``peer`` (where the INVITE went), not to the 2xx's Contact."""
        dialog = Dialog.from_uac(invite, response, local_contact=self.contact(line))
        dialog.peer = peer
        ack = dialog.create_ack(invite.cseq.seq, via_host=self.host, via_port=self.port)
        data = ack.to_bytes()
        self.ep.send(data, dialog.next_hop())
        return dialog, data

    def send_in_dialog(self, dialog: Dialog, method: str) -> None:
        request = dialog.create_request(method, via_host=self.host, via_port=self.port)
        self.ep.send_request(request, dialog.next_hop())

    # -- transaction user ----------------------------------------------------------------------

    def on_request(self, request: SIPRequest, addr: Addr, txn: TransactionKey | None) -> None:
        try:
            self._request(request, addr)
        except Exception:  # noqa: BLE001 - one bad message must not stop the engine
            log.exception("error handling %s from %s", request.method, addr)
            if request.method != "ACK":
                self.ep.respond(make_response(request, 500, to_tag=new_tag()))

    def _request(self, request: SIPRequest, addr: Addr) -> None:
        method = request.method
        if method == "ACK":
            return  # our 2xx transactions absorb ACKs; nothing else to do
        if method == "INVITE":
            if request.to_tag:
                self._reinvite(request)
            else:
                self._invite(request, addr)
        elif method == "BYE":
            self._bye(request)
        elif method == "CANCEL":
            self._cancel(request)
        elif method == "INFO":
            self._info(request)
        elif method == "REFER":
            self._refer(request)
        elif method == "REGISTER":
            self.ep.respond(self.registrar.handle(request, addr))
        elif method == "OPTIONS":
            self.ep.respond(make_response(request, 200, to_tag=new_tag(), headers=[
                ("Allow", ALLOW), ("Accept", "application/sdp")]))
        else:
            self.ep.respond(make_response(request, 405, to_tag=new_tag(),
                                          headers=[("Allow", ALLOW)]))

    def on_response(self, response: SIPResponse, addr: Addr, txn: TransactionKey | None) -> None:
        try:
            self._response(response, txn)
        except Exception:  # noqa: BLE001
            log.exception("error handling response %s", response.status)

    def _response(self, response: SIPResponse, txn: TransactionKey | None) -> None:
        if txn is not None and self.qualifier is not None and self.qualifier.answered(txn):
            return
        handlers = self.invites.get(txn) if txn is not None else None
        if handlers is not None:
            if response.status >= 200:
                del self.invites[txn]
            handlers[0](response)
            return
        if response.cseq.method == "INVITE" and 200 <= response.status < 300:
            leg = self.dialogs.get(dialog_id(response))
            if leg is not None and leg.ack is not None and leg.dialog is not None:
                self.ep.send(leg.ack, leg.dialog.next_hop())  # a retransmitted 2xx

    def on_timeout(self, timeout: Timeout) -> None:
        try:
            if self.qualifier is not None and self.qualifier.timed_out(timeout.transaction):
                return
            handlers = self.invites.pop(timeout.transaction, None)
            if handlers is not None:
                handlers[1](timeout)
            elif timeout.kind == "L":
                leg = self.callers.get(timeout.request.call_id)
                if leg is not None and leg.invite is timeout.request:
                    log.warning("no ACK from caller on %s, hanging up", leg.call_id)
                    self.hang_up(leg)
        except Exception:  # noqa: BLE001
            log.exception("error handling %s", timeout)

    # -- caller legs ---------------------------------------------------------------------------

    def _invite(self, request: SIPRequest, addr: Addr) -> None:
        tag = new_tag()
        try:
            number = request.request_uri.user or ""
        except ValueError:
            number = ""
        if number in FEATURE_CODES:
            self._feature(request, addr, number)
            return
        line = self.lines.get(number)
        if line is None:
            log.info("INVITE for unknown line %r from %s", number, addr[0])
            self.ep.respond(make_response(request, 404, to_tag=tag))
            return
        limit = self.admission.max_calls
        if limit is not None and len(self.callers) >= limit:
            self.refused += 1  # before any socket or media: cheap, and accepted calls go on
            self.ep.respond(make_response(request, 503, to_tag=tag, headers=[
                ("Retry-After", str(self.admission.retry_after))]))
            if self.on_refused is not None:  # the callback is dialled through the trunk
                own, doubted = vouched_number(request, addr, self.trust, strict=True)
                self.not_believed += doubted  # counted, not logged: a flood would flood the log
                self.on_refused(request, number, own)
            return
        prepared = self._prepare_answer(request, addr, number, tag)
        if prepared is None:
            return
        leg, leg.ok = prepared
        log.info("call %s on line %s answered", leg.call_id, number)
        own, doubted = vouched_number(request, addr, self.trust,
                                      strict=self.config.callback_gateway() is not None)
        if doubted:
            self.not_believed += 1
            log.info("call %s from %s: caller ID not believed (not a gateway nor in caller_identity."
                     "trusted_peers): not called back", request.call_id, addr[0])
        self.start_call(leg, Call(leg.call_id, number, line.flow, self.settings),
                        ce.Arrived(caller=caller_number(request) or None, number=own))

    def start_call(self, leg: CallerLeg, call: Call, arrived: ce.Arrived) -> None:
        """Put ``leg`` (a line's caller, or a call the engine placed) under ``call``: its keys
        drive it, ``arrived`` starts it."""
        leg.call, leg.language = call, call.language
        leg.media.on_digit = lambda digit: self._event(call, ce.Digit(digit))
        self.calls[call.call_id] = call
        self.callers[leg.call_id] = leg
        if leg.dialog is not None:
            self.dialogs[leg.dialog.id] = leg
        self._event(call, arrived)

    def _prepare_answer(self, request: SIPRequest, addr: Addr, number: str,
                        tag: str) -> tuple[CallerLeg, SIPResponse] | None:
        """The leg and 200 for an INVITE to ``number``; None once an error was answered."""
        if engine_call_id(request.call_id):  # the engine's own tasks' ids: never a caller's
            log.warning("INVITE with a reserved Call-ID from %s refused", addr[0])
            self.ep.respond(make_response(request, 400, "Bad Request - reserved Call-ID", to_tag=tag))
            return None
        if request.call_id in self.callers:
            self.ep.respond(make_response(request, 482, to_tag=tag))  # a second fork
            return None
        if not request.body:
            self.ep.respond(make_response(request, 488, "Offer required", to_tag=tag))
            return None
        sock = bind_udp_socket(self.ep.local_addr[0], 0)
        try:
            answer = answer_offer(request.body, self.host, sock.getsockname()[1], user=number,
                                  addrtype="IP6" if sock.family == socket.AF_INET6 else "IP4")
        except SDPError as exc:
            sock.close()
            self.ep.respond(make_response(request, exc.status, to_tag=tag))
            return None
        ok = make_response(request, 200, to_tag=tag, body=answer.to_bytes(),
                           content_type="application/sdp",
                           headers=[("Contact", self.contact(number)), ("Allow", ALLOW)])
        try:
            dialog = Dialog.from_uas(request, ok, local_contact=self.contact(number))
        except ValueError as exc:
            sock.close()
            self.ep.respond(make_response(request, 400, f"Bad Request - {exc}", to_tag=tag))
            return None
        dialog.peer = addr  # in-dialog requests go where the call came from
        media = LegMedia(sock, remote=(answer.remote_address, answer.remote_port),
                         payload_type=answer.codec.payload_type,
                         dtmf_payload_type=answer.dtmf_payload_type, peer_host=addr[0],
                         window=self.rtp_window, symmetric=self.rtp_symmetric)
        leg = CallerLeg(request.call_id, number, request, dialog, media,
                        self.config.default_language, source=addr)
        return leg, ok

    # -- seats: feature codes and registrations ----------------------------------------------

    def _feature(self, request: SIPRequest, addr: Addr, code: str) -> None:
        """A seat dialled a feature code: check who it is, change its state, confirm."""
        tag = new_tag()
        agent_id = seat_of(request)
        refusal = authorised(self.registrar, request, agent_id, addr)  # unknown seats too
        if refusal is not None:
            if refusal.status != 401:
                log.warning("feature code %s for seat %r refused from %s", code, agent_id[:40],
                            addr[0])
            self.ep.respond(refusal)
            return
        prepared = self._prepare_answer(request, addr, code, tag)
        if prepared is None:
            return
        leg, ok = prepared
        label, make_event = FEATURE_CODES[code]
        try:
            self.driver.submit(make_event(agent_id))
        except (ACDError, IllegalTransition) as exc:
            reason = " ".join(str(exc).split())[:100]
            log.info("feature code %s (%s) refused for %s: %s", code, label, agent_id, reason)
            self._refuse_feature(request, ok, leg, code, f"Forbidden - {reason}")
            return
        log.info("agent %s dialled %s: %s", agent_id, code, label)
        self.callers[leg.call_id] = leg
        self.dialogs[leg.dialog.id] = leg
        self.ep.respond(ok)
        said = self.sources([ivr_cmd.Prompt(CONFIRMATION_PROMPTS[code], leg.language)])
        leg.media.play(said or [CONFIRMATION], on_done=lambda: self.hang_up(leg))

    def _refuse_feature(self, request: SIPRequest, ok: SIPResponse, leg: CallerLeg, code: str,
                        reason: str) -> None:
        """Say ``feature_refused`` in early media (183), then answer 403 with ``reason``."""
        self.ep.respond(make_response(request, 183, "Session Progress", to_tag=ok.to_tag,
                                      body=ok.body, content_type="application/sdp",
                                      headers=[("Contact", self.contact(code))]))

        def refuse() -> None:
            leg.media.close()
            self.ep.respond(make_response(request, 403, reason, to_tag=ok.to_tag))

        said = self.sources([ivr_cmd.Prompt(REFUSED_PROMPT, leg.language)])
        if said:
            leg.media.play(said, on_done=refuse)
        else:
            refuse()

    def _seat_unreachable(self, agent_id: str, reason: str) -> None:
        """A seat's registration ended: log it out, or make it not ready while on a call."""
        if agent_id in self.agent_ids:
            asyncio.get_running_loop().call_soon(self._release_seat, agent_id, reason)

    def _release_seat(self, agent_id: str, reason: str) -> None:
        acd = self.driver.acd
        if acd.seat(agent_id).presence is Presence.LOGGED_OUT:
            return
        talking = next((leg.agent for leg in self.callers.values() if leg.agent is not None
                        and leg.agent.agent_id == agent_id and leg.agent.state == "answered"),
                       None)
        if reason == "unreachable" and talking is not None:
            self._seat_gone(talking, "its registration is unreachable")
            return
        try:
            self.driver.submit(acd_ev.AgentLoggedOut(agent_id))
            log.info("agent %s logged out: registration %s", agent_id, reason)
        except (ACDError, IllegalTransition):
            if acd.agent_call(agent_id) is not None:
                log.info("agent %s not ready: registration %s during a call", agent_id, reason)
                self.submit(acd_ev.AgentNotReady(agent_id, "unreachable"))

    def _dialog_leg(self, request: SIPRequest) -> CallerLeg | AgentLeg | DepartmentLeg | None:
        """The leg an in-dialog request belongs to; None after answering 481 or 500."""
        return in_dialog(request, self.dialogs, self.ep.respond)

    def _reinvite(self, request: SIPRequest) -> None:
        """Refresh the session without changing media (hold and moves are not supported yet)."""
        leg = self._dialog_leg(request)
        if leg is None:
            return
        if isinstance(leg, AgentLeg | DepartmentLeg):
            body = leg.invite.body
        else:
            try:
                body = answer_offer(request.body or leg.invite.body, self.host,
                                    leg.media.local_port, version=2).to_bytes()
            except SDPError as exc:
                self.ep.respond(make_response(request, exc.status))
                return
            if request.body:
                leg.silent_ok = not sends_media(request.body)
        self.ep.respond(make_response(request, 200, body=body, content_type="application/sdp",
                                      headers=[("Contact", leg.dialog.local_contact or "")]))

    def _bye(self, request: SIPRequest) -> None:
        leg = self._dialog_leg(request)
        if leg is None:
            return
        self.ep.respond(make_response(request, 200))
        if isinstance(leg, CallerLeg):
            self._caller_gone(leg, CALLER_BYE)
        elif isinstance(leg, DepartmentLeg):
            self.transfers.department_left(leg)
        else:
            self._agent_hung_up(leg)

    def _refer(self, request: SIPRequest) -> None:
        """A seat's blind transfer; REFER from anyone else in a dialog is refused."""
        leg = self._dialog_leg(request)
        if leg is None:
            return
        if not isinstance(leg, AgentLeg):
            self.ep.respond(make_response(request, 403, "Forbidden - only agents transfer"))
            return
        self.transfers.on_refer(request, leg)

    def _info(self, request: SIPRequest) -> None:
        """SIP INFO key presses from a caller count like RFC 4733 ones (the IVR gets them)."""
        leg = self._dialog_leg(request)
        if leg is None:
            return
        self.ep.respond(make_response(request, 200))
        digit = info_digit(request)
        if digit is not None and isinstance(leg, CallerLeg) and leg.call is not None:
            self._event(leg.call, ce.Digit(digit))

    def _cancel(self, request: SIPRequest) -> None:
        invite_key = self.ep.layer.matching_invite(request)
        if invite_key is None:
            self.ep.respond(make_response(request, 481))
            return
        self.ep.respond(make_response(request, 200))
        invite_txn = self.ep.layer.get(invite_key)
        leg = self.callers.get(request.call_id)
        if invite_txn is not None and invite_txn.state == "Proceeding" and leg is not None \
                and leg.dialog is not None:
            self.ep.respond(make_response(leg.invite, 487, to_tag=leg.dialog.local_tag))
            self._caller_gone(leg, CALLER_CANCEL)

    def hang_up(self, leg: CallerLeg, reason: str = ENGINE_BYE) -> None:
        """End a caller's leg from the engine's side (BYE)."""
        if leg.ended:
            return
        if leg.dialog is not None:  # None: a callback whose caller has not answered
            self.send_in_dialog(leg.dialog, "BYE")
        self._caller_gone(leg, reason)

    def _caller_gone(self, leg: CallerLeg, reason: str) -> None:
        """The caller's leg has ended: its call object hears of it, then the leg is released."""
        if leg.ended:
            return
        leg.ended = True
        log.info("call %s ended: %s", leg.call_id, reason)
        call = leg.call
        if call is not None and not call.ended:
            gone = ce.Shutdown() if reason == ENGINE_STOPPING else \
                ce.CallerGone(reason, left=reason in CALLER_LEFT)
            self._event(call, gone)
            if not call.ended:
                self.callbacks.keep(leg)  # gone, but keeps the place as a callback
        self.release(leg)
        if leg.on_ended is not None:
            leg.on_ended(leg, reason)

    def release(self, leg: CallerLeg) -> None:
        """Free a caller leg's media and forget its dialog (no signalling)."""
        leg.ended = True
        leg.play_id = None
        leg.media.close()
        if self.callers.get(leg.call_id) is leg:
            del self.callers[leg.call_id]
        if leg.dialog is not None:
            self.dialogs.pop(leg.dialog.id, None)

    # -- seats' legs ------------------------------------------------------------------------

    def _agent_response(self, agent: AgentLeg, response: SIPResponse) -> None:
        if response.status < 200:
            return
        if response.status >= 300:
            self._agent_failed(agent, f"rejected {response.status}")
            return
        try:
            dialog, agent.ack = self.confirm(agent.invite, response, agent.caller.line,
                                             peer=agent.peer)
        except ValueError as exc:
            self._agent_failed(agent, f"unusable 2xx: {exc}")
            return
        agent.dialog = dialog
        self.dialogs[dialog.id] = agent
        leg = agent.caller
        if agent.state != "ringing" or leg.ended or leg.call is None or leg.call.ended:
            self.send_in_dialog(dialog, "BYE")  # answered after we gave up on it
            self.end_agent_leg(agent)
            return
        try:
            codec, dtmf, host, port = parse_answer(response.body)
        except SDPError as exc:
            log.warning("agent %s answered with unusable SDP: %s", agent.agent_id, exc)
            self.send_in_dialog(dialog, "BYE")
            self._agent_failed(agent, "bad SDP")
            return
        agent.media.set_remote((host, port), codec.payload_type, dtmf)
        agent.state = "answered"
        log.info("agent %s answered %s", agent.agent_id, leg.call_id)
        self._event(leg.call, ce.DialAnswered(cc.AGENT, agent.agent_id))

    def _agent_failed(self, agent: AgentLeg, reason: str) -> None:
        """The INVITE to a seat failed: an offer still standing counts as declined."""
        was_ringing = agent.state == "ringing"
        self.end_agent_leg(agent)
        leg = agent.caller
        log.info("agent %s leg for %s ended: %s", agent.agent_id, leg.call_id, reason)
        if was_ringing and leg.call is not None:
            self._event(leg.call, ce.DialFailed(cc.AGENT, agent.agent_id))

    def _drop_agent(self, agent: AgentLeg) -> None:
        """Stop ringing a seat (CANCEL), or hang up on it (BYE)."""
        if agent.state == "ringing":
            agent.state = "cancelled"
            self.ep.send_request(cancel_for(agent.invite), agent.peer)
        elif agent.state == "answered" and agent.dialog is not None:
            self.send_in_dialog(agent.dialog, "BYE")
            self.end_agent_leg(agent)

    def end_agent_leg(self, agent: AgentLeg) -> None:
        agent.state = "ended"
        agent.media.close()
        if agent.dialog is not None:
            self.dialogs.pop(agent.dialog.id, None)
        leg = agent.caller
        if leg.agent is agent:
            leg.agent = None

    def _seat_gone(self, agent: AgentLeg, why: str) -> None:
        """A seat that died mid-call (no RTP, no answer to OPTIONS): end its leg; the call
        object puts the caller back in the queue at their place (the seat is made not ready)."""
        leg = agent.caller
        log.warning("seat %s gone on %s (%s)", agent.agent_id, leg.call_id, why)
        if agent.dialog is not None:
            self.send_in_dialog(agent.dialog, "BYE")
        self.end_agent_leg(agent)
        if leg.call is not None:
            self._event(leg.call, ce.PartyGone(cc.AGENT, agent.agent_id, lost=True))

    def _agent_hung_up(self, agent: AgentLeg) -> None:
        was_talking = agent.state == "answered"
        self.end_agent_leg(agent)
        if was_talking and agent.caller.call is not None:
            self._event(agent.caller.call, ce.PartyGone(cc.AGENT, agent.agent_id))

    # -- shutdown -------------------------------------------------------------------------------

    def close(self) -> None:
        """Hang up every call (callers are reported to the ACD as hung up)."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            self._housekeeping = None
        for leg in list(self.callers.values()):
            try:
                self.hang_up(leg, ENGINE_STOPPING)
            except Exception:  # noqa: BLE001
                log.exception("error hanging up %s", leg.call_id)

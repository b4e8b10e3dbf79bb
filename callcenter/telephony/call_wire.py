"""The embedded engine's side of the call objects: it feeds each ``calls.Call`` what happens
on SIP and RTP (and the ACD's commands about it) and carries out the commands it returns.

Mixed into :class:`~callcenter.telephony.call_control.CallControl`, whose legs, dialogs and
endpoint it uses. Every call's next deadline is kept in the core driver's one timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from acd import commands as acd_cmd
from acd import events as acd_ev
from callcenter.media.rtp_endpoint import bind_udp_socket
from callcenter.records.lifecycle import CallClosed, CallOpened
from callcenter.sip.sdp import build_offer
from callcenter.telephony.legs import AgentLeg, CallerLeg, agent_invite, caller_number
from callcenter.telephony.media import LegMedia
from calls import commands as cc
from calls import events as ce
from calls.call import ACD_COMMANDS, Call
from calls.leg import IllegalTransition as LegRefused
from calls.leg import State
from ivr_flows import commands as ivr_cmd
from ivr_flows import events as ivr_ev
from ivr_flows.handoff import caller_details
from ivr_flows.say import number_prompts

if TYPE_CHECKING:
    from callcenter.telephony.call_control import CallControl

log = logging.getLogger(__name__)


class CallWire:
    """Call objects in, SIP and RTP out (see the module's docstring)."""

    def _event(self: CallControl, call: Call, event: object) -> None:
        """Feed ``event`` to ``call`` and carry out what it says."""
        if call.ended:
            return
        try:
            commands = call.handle(event, self._now())  # type: ignore[arg-type]
        except LegRefused as exc:
            log.info("%s", exc)  # a late event racing the call's own decision
            return
        except Exception:  # noqa: BLE001 - a fault must end the call, not the engine
            log.exception("call %s failed on %s", call.call_id, event)
            commands = call.handle(ce.CallerGone("engine fault", left=False), self._now())
        self._do(call, commands)

    def _later(self: CallControl, call: Call, event: object) -> None:
        """Feed ``event`` once the current command batch is carried out."""
        asyncio.get_running_loop().call_soon(self._event, call, event)

    def _tick(self: CallControl, call: Call, now: float) -> None:
        if not call.ended:
            self._do(call, call.on_timer(now))

    def _do(self: CallControl, call: Call, commands: Sequence[cc.Command]) -> None:
        for command in commands:
            log.debug("%s %s: %s", call.call_id, call.state.value, command)
            try:
                self._carry_out(call, command)
            except Exception:  # noqa: BLE001
                log.exception("%s failed on %s", command, call.call_id)
        leg = self._leg(call)
        if call.ended:
            self.calls.pop(call.call_id, None)
            self.callbacks.forget(call.call_id)
            if leg is not None:
                self.hang_up(leg)
        elif leg is not None and not call.caller_present and call.state is State.CALLBACK_PENDING:
            self.release(leg)  # the seat rang for a caller to call back, and did not answer
        self.driver.timers.set(("call", call.call_id), call.next_deadline(),
                               lambda now: self._tick(call, now))

    def _leg(self: CallControl, call: Call) -> CallerLeg | None:
        leg = self.callers.get(call.call_id)
        return leg if leg is not None and leg.call is call else None

    def _carry_out(self: CallControl, call: Call, command: cc.Command) -> None:
        leg = self._leg(call)
        match command:
            case cc.ToAcd(event=event):
                if isinstance(event, acd_ev.CallArrived) and leg is not None and call.ivr is not None:
                    details = caller_details(call.ivr, caller_number(leg.invite))
                    self.driver.publish([details])  # for the screen pop
                if self._sinking:
                    asyncio.get_running_loop().call_soon(self._to_acd, call, event)
                else:
                    self._to_acd(call, event)
            case cc.Record(entry=entry):
                self._record(call, entry)
            case ivr_cmd.RunQuery():
                self.spawn(self._query(call, command))
            case cc.Dial(kind=cc.AGENT, target=agent_id):
                self._ring_seat(call, leg, agent_id)
            case _ if leg is None:
                pass  # the caller is not on the line (a callback waiting for a seat)
            case cc.Answer():
                if leg.ok is not None:
                    self.ep.respond(leg.ok)
                    leg.ok = None
            case cc.Play(play_id=play_id, items=items):
                leg.play_id = play_id
                done = ce.PlayDone(play_id)
                leg.media.play(self.sources(items), on_done=lambda: self._event(call, done))
            case cc.StopPlay(play_id=play_id):
                if leg.play_id == play_id:
                    leg.media.stop()
                    leg.play_id = None
            case cc.StartMoh():
                leg.play_id = None
                leg.media.play([self._moh], loop=True)
            case cc.SetLanguage(language=language):
                leg.language = language
            case cc.Bridge(kind=cc.AGENT):
                self.transfers.end_conference(leg)
                if leg.agent is not None:
                    leg.play_id = None
                    self.spawn(leg.media.bridge(leg.agent.media))
            case cc.Bridge(kind=cc.DEPARTMENT):
                self.transfers.end_conference(leg)
                if leg.department is not None:
                    leg.play_id = None
                    leg.media.stop()
                    self.spawn(leg.media.bridge(leg.department.media))
            case cc.Conference():
                leg.play_id = None
                self.transfers.conference(leg)
            case cc.Drop(kind=cc.AGENT, target=agent_id):
                if leg.agent is not None and leg.agent.agent_id == agent_id:
                    self._drop_agent(leg.agent)
            case cc.Drop(kind=cc.DEPARTMENT):
                self.transfers.drop(leg)
            case cc.Drop(kind=cc.CALLBACK):
                self.callbacks.drop(leg)
            case cc.Dial(kind=cc.DEPARTMENT, target=department_id):
                self.transfers.dial(call, leg, department_id)
            case cc.Dial(kind=cc.CALLBACK):
                self.callbacks.dial_back(call, leg)
            case cc.TransferResult(status=status, reason=reason):
                if leg.agent is not None:
                    self.transfers.notify(leg.agent, status, reason, final=True)
            case cc.HangUp(cause=cause):
                self.hang_up(leg, cause)
            case _:
                pass  # Collect: keys are always reported

    def _to_acd(self: CallControl, call: Call, event: acd_ev.Event) -> None:
        if not self.submit(event):
            self._event(call, ce.AcdRefused(event))

    def _record(self: CallControl, call: Call, entry: cc.Opened | cc.Closed | cc.Score) -> None:
        match entry:
            case cc.Opened():
                self.driver.publish([CallOpened(call.call_id, entry.line, entry.at, entry.language)])
            case cc.Closed():
                self.driver.publish([CallClosed(call.call_id, entry.line, entry.outcome,
                                                entry.arrived_at, entry.at, entry.language,
                                                entry.transferred_to)])
            case cc.Score(name="satisfaction") if self.on_score is not None:
                try:
                    self.on_score(call.call_id, entry.score, entry.at)
                except Exception:  # noqa: BLE001 - a records problem must not cut the caller off
                    log.exception("could not store the survey score of %s", call.call_id)

    async def _query(self: CallControl, call: Call, command: ivr_cmd.RunQuery) -> None:
        """A plug-in query, off the event loop (it may read a database)."""
        if self.plugins is None:
            answer = ivr_ev.QueryAnswered(command.query_id, "error")
        else:
            answer = await asyncio.to_thread(self.plugins.answer, command)
        self._event(call, answer)

    def sources(self: CallControl, items: Sequence[ivr_cmd.PlayItem]) -> list[Path]:
        """The WAV files for ``items``; missing prompts are logged and skipped."""
        prompts: list[ivr_cmd.Prompt] = []
        for item in items:
            prompts.extend(number_prompts(item) if isinstance(item, ivr_cmd.Number) else [item])
        files = []
        for prompt in prompts:
            path = self.prompts_dir / prompt.language / f"{prompt.key}.wav"
            if path.is_file():
                files.append(path)
            else:
                log.warning("prompt %s/%s missing in %s", prompt.language, prompt.key,
                            self.prompts_dir)
        return files

    # -- ACD commands --------------------------------------------------------------------------

    def sink(self: CallControl, commands: Sequence[acd_cmd.Command]) -> None:
        """CoreDriver sink: hand the commands about calls to their call objects."""
        self._sinking += 1
        try:
            for command in commands:
                if not isinstance(command, ACD_COMMANDS):
                    continue
                call_id = (command.record.call_id if isinstance(command, acd_cmd.CallFinished)
                           else command.call_id)
                call = self.calls.get(call_id)  # type: ignore[arg-type]
                if call is not None:
                    self._event(call, command)
                elif isinstance(command, acd_cmd.OfferCall):
                    log.warning("offer of %s to %s: the call is gone", call_id, command.agent_id)
                    asyncio.get_running_loop().call_soon(
                        self.submit, acd_ev.AgentDeclined(command.agent_id, call_id))
        finally:
            self._sinking -= 1

    def _ring_seat(self: CallControl, call: Call, leg: CallerLeg | None, agent_id: str) -> None:
        """INVITE the offered seat for ``call``; a caller waiting for a callback gets a leg
        that calls them back once the seat answers."""
        if leg is None:
            leg = self.callbacks.leg_for(call)
        binding = self.registrar.contact_for(agent_id)
        if leg is None or binding is None:
            log.warning("cannot ring agent %s for %s (%s)", agent_id, call.call_id,
                        "not registered" if binding is None else "no leg")
            self._later(call, ce.DialFailed(cc.AGENT, agent_id))
            return
        sock = bind_udp_socket(self.ep.local_addr[0], 0)
        sdp = build_offer(self.host, sock.getsockname()[1], user=leg.line).to_bytes()
        invite = agent_invite(leg, binding.contact, sdp, host=self.host, port=self.port,
                              contact=self.contact(leg.line), cseq=self.next_cseq())
        media = LegMedia(sock, remote=None, payload_type=leg.media.payload_type,
                         dtmf_payload_type=None, peer_host=binding.addr[0], window=self.rtp_window,
                         symmetric=self.rtp_symmetric)
        agent = AgentLeg(agent_id, leg, invite, binding.addr, media)
        leg.agent = agent
        self.send_invite(invite, binding.addr, lambda response: self._agent_response(agent, response),
                         lambda timeout: self._agent_failed(agent, f"timeout {timeout.kind}"))
        log.info("ringing agent %s at %s for %s", agent_id, binding.contact, leg.call_id)


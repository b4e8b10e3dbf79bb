"""The FastAGI handler: each caller is a ``calls.Call`` (the IVR, the ACD handoff, hold
announcements, callbacks, the survey), carried out over AGI by :mod:`.agi_call`.

Request paths (``agi://127.0.0.1:4573/<path>``, see the rendered ``extensions.conf``):

* ``<line>``: a caller. The line's flow runs (prompts by ``STREAM FILE callcenter/<key>`` in the
  prompt's language, keys by escape digits and ``WAIT FOR DIGIT``); once queued (call id = the
  channel's uniqueid) the caller hears music on hold and, every hold interval, their place;
  each ``OfferCall`` becomes ``Dial(PJSIP/<agent>,<ring timeout>,m(<class>)U(callcenter-answered^<id>))``
  (the caller keeps hearing hold music while the seat rings).
* ``answered/<call id>``: run by that ``U()`` on the channel our Dial reached when it answers,
  before the bridge: the call decides (a refusal sets ``GOSUB_RESULT=CONTINUE``, which hangs
  that channel up and gives the caller back to us). An agent's accepted answer marks the
  caller's channel served (``SHARED(CALLCENTER_AGENT)``): if the engine dies during the
  conversation, the dialplan ends the call instead of queueing it again. The queue and the time
  a call was queued are kept on its channel too (``CALLCENTER_QUEUE``, ``CALLCENTER_QUEUED_AT``),
  for a restarted engine to adopt it (:mod:`.reconcile`).
* After a conversation the agent ended, the ``survey`` flow (if loaded) asks for a score; the
  ``satisfaction`` score goes to ``on_score(call_id, score, at)``.
* A caller waiting beyond the queue's limit hears the callback offer (``queue_busy``, only with
  AMI up and a caller's own mainland number, as the trunk gave it); one who accepts hangs up and
  keeps their place. When offered, the seat rings by AMI Originate (:mod:`.callbacks`) into
  ``callback/<call id>``, which calls the caller back from the seat's channel; when the seat
  hangs up the caller goes on to ``survey/<call id>`` (the ``callcenter-survey`` context) and
  rates the call.
* ``visit/<task id>``: an answered survey call of the dialer (:mod:`.visits`).
* ``feature/<code>``: an agent seat's feature code (``*11`` login ready, ``*12`` logout,
  ``*13`` ready, ``*14`` not ready ...).

A caller who hangs up is reported to the ACD exactly once, and only once it was queued. A fault
in this module sets ``CALLCENTER_RESULT=error`` and returns, so the dialplan falls back to a
plain Asterisk queue. Transfers only dial department numbers from the config.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from acd import commands as acd_cmd
from callcenter.asterisk import AGISession
from callcenter.asterisk import CallerHungUp as ChannelGone
from callcenter.config import HotlineConfig
from callcenter.core_port import Core
from calls import events as ce
from calls.call import ACD_COMMANDS, Call, CallSettings
from ivr_flows.interpreter import Durations
from ivr_flows.loader import FlowSet
from ivr_flows.plugins import PluginRegistry

from .agi_call import AsteriskCall, CallFlowError
from .callbacks import AsteriskCallbacks, callback_number, trunk_number
from .dialplan import RESULT_VARIABLE
from .features import feature_code, seat_of

if TYPE_CHECKING:
    from .visits import AsteriskVisits

log = logging.getLogger(__name__)

__all__ = ["RESULT_VARIABLE", "AsteriskCall", "CallFlow", "CallFlowError"]


class CallFlow:
    """The AGI handler (call the instance with a session) and a core sink."""

    def __init__(self, config: HotlineConfig, driver: Core, flows: FlowSet, *,
                 plugins: PluginRegistry | None = None, durations: Durations | None = None,
                 hold_interval: float | None = 30.0, moh_class: str = "default",
                 trunk: str = "trunk", transfer_timeout: int = 60,
                 survey_flow: str | None = "survey", callback_flow: str | None = "queue_busy",
                 on_score: Callable[[str, int, float], None] | None = None) -> None:
        self.config = config
        self.driver = driver
        self.plugins = plugins
        self.moh_class = moh_class
        self.trunk = trunk
        self.transfer_timeout = transfer_timeout
        self.survey_flow = survey_flow if survey_flow in flows else None
        self.callbacks = AsteriskCallbacks(driver, trunk=trunk)
        self.on_score = on_score
        self.ring_timeout = config.defaults.ring_timeout_seconds
        self.settings = CallSettings(
            flows, durations=durations, hold_interval=hold_interval,
            callback_flow=callback_flow if callback_flow in flows else None,
            survey_flow=self.survey_flow, department_ring_timeout=float(transfer_timeout),
            dial_back_timeout=float(self.callbacks.dial_back_timeout),
            default_language=config.default_language, queue=driver.acd)
        self.lines = {line.number: line for line in config.lines}
        self.agents = {agent.id for agent in config.agents}
        self.calls: dict[str, AsteriskCall] = {}
        self.visits: AsteriskVisits | None = None  # the dialer's survey calls, when campaigns run
        driver.add_sink(self.sink)

    # ---- entry -----------------------------------------------------------------------------

    async def __call__(self, session: AGISession) -> None:
        path = session.env.line
        kind, _, rest = path.partition("/")
        try:
            if kind == "feature":
                await feature_code(session, rest, self.agents, self.driver.try_submit)
            elif kind == "answered":
                await self._answered(session, rest)
            elif kind in ("callback", "survey"):
                await self._called_back(session, kind, rest)
            elif kind == "visit":
                await self._visit(session, rest)
            else:
                await self._caller(session, path)
        except ChannelGone:
            raise
        except Exception:
            log.exception("call flow failed on %s (%s); handing it to the dialplan fallback",
                          session.env.channel, path)
            with contextlib.suppress(Exception):
                await session.set_variable(RESULT_VARIABLE, "error")

    async def _caller(self, session: AGISession, number: str) -> None:
        line = self.lines.get(number)
        if line is None:
            raise CallFlowError(f"no line {number!r} in the config")
        call_id = self.new_call_id(session)
        if call_id is None:
            raise CallFlowError(f"unusable or duplicate channel uniqueid {session.env.uniqueid!r}")
        wire = self.calls[call_id] = AsteriskCall(self, Call(call_id, number, line.flow, self.settings),
                                                  session)
        own = trunk_number(session.env, self.trunk)
        if own is None and callback_number(session.env.callerid) is not None:
            log.info("call %s on %s in %s: caller ID not believed (not the trunk's): no callback",
                     call_id, session.env.channel, session.env.context)
        wire.feed(ce.Arrived(caller=re.sub(r"[^0-9+]", "", session.env.callerid) or None, number=own))
        await wire.drive(session)
        if wire.fallback:
            raise CallFlowError(f"call {call_id} handed to the dialplan fallback")

    def new_call_id(self, session: AGISession) -> str | None:
        """The id of a new call on ``session`` (its channel's uniqueid), or None if it is empty
        or already a live call's: a new call must never replace another in ``calls``."""
        call_id = session.env.uniqueid
        if not call_id or call_id in self.calls:
            log.warning("unusable or duplicate channel uniqueid %r on %s", call_id, session.env.channel)
            return None
        return call_id

    async def _answered(self, session: AGISession, call_id: str) -> None:
        """The channel our Dial reached answered: the call decides if the bridge goes ahead."""
        wire = self.calls.get(call_id)
        if wire is None or not await wire.answered(session, seat_of(session.env.channel)):
            log.warning("answer by %s for %s refused", session.env.channel, call_id)
            await session.set_variable("GOSUB_RESULT", "CONTINUE")

    async def _called_back(self, session: AGISession, kind: str, call_id: str) -> None:
        """``callback/<id>`` on the seat's channel, ``survey/<id>`` on the caller's."""
        wire = self.calls.get(call_id)
        if wire is None:
            log.warning("%s for %s on %s: no such call", kind, call_id, session.env.channel)
            await session.hangup()
        elif kind == "callback":
            await wire.call_back(session, seat_of(session.env.channel))
        else:
            await wire.survey(session)

    async def _visit(self, session: AGISession, task_id: str) -> None:
        """``visit/<task id>``: an answered survey call of the dialer (:mod:`.visits`)."""
        if self.visits is None:
            log.warning("visit %r on %s: no outbound calls over Asterisk", task_id, session.env.channel)
            await session.hangup()
            return
        await self.visits.run(session, task_id)

    def caller_number(self, call_id: str) -> str | None:
        """The own number of the line's caller ``call_id`` while its call lasts (the channel's
        caller ID when it came in on the trunk, only if exactly a mainland phone number: see
        :func:`.callbacks.trunk_number`); None for a call the dialer placed."""
        wire = self.calls.get(call_id)
        if wire is None or wire.placed:
            return None
        return wire.call.number

    def forget(self, wire: AsteriskCall) -> None:
        """The call is over (or the desk took it): no more events for it."""
        if self.calls.get(wire.call_id) is wire:
            del self.calls[wire.call_id]
        self.driver.timers.set(("agi-call", wire.call_id), None, lambda now: None)

    # ---- ACD commands ----------------------------------------------------------------------

    def sink(self, commands: Sequence[acd_cmd.Command]) -> None:
        """Core sink: hand the commands about our calls to their call objects."""
        for command in commands:
            if not isinstance(command, ACD_COMMANDS):
                continue
            call_id = (command.record.call_id if isinstance(command, acd_cmd.CallFinished)
                       else command.call_id)
            wire = self.calls.get(str(call_id))
            if wire is None:
                continue
            if isinstance(command, acd_cmd.OfferCallback) and not self.callbacks.available:
                continue  # without AMI no callback can be placed: none is offered
            wire.from_acd(command)

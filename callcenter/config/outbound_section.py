"""The ``outbound:`` section of the hotline config: return visits, re-visits and missed-call
callbacks dialled by the engine (see ``outbound/``).

    outbound:
      gateway: "10.1.2.3:5060"        # the SIP trunk that reaches citizens' phones
      username: hotline12345          # optional digest credentials for the trunk; the password
      secret_env: CALLCENTER_OUTBOUND_PASSWORD   # ... from this variable, or the secrets file's
      secret_key: outbound                       # ``outbound = ...`` line (serve --secrets)
      caller_id: "12345"              # the line's number shown (default: the first line's)
      calling_hours: "08:00-21:00"    # in the center's time zone; nothing is dialled outside
      return_visits: {mode: survey, flow: return_visit, max_attempts: 3, max_concurrent: 10,
                      spacing_minutes: {busy: 10, no_answer: 60, failed: 30, silent: 60}}
      revisits: {mode: preview}       # the visit after a re-handling (as return_visits)
      agent_calls: {queue: outbound-agent, offer_seconds: 120, tick_seconds: 2, result_seconds: 600,
                    blend_target: 0.95, blend_margin: 0.02, reserve: 0, warmup_seconds: 60}
      missed_calls: {enabled: true, within_minutes: 120, period_hours: 24, max_attempts: 2}
      do_not_call: ["13800138000"]    # never dialled

``mode``: ``survey`` (the engine calls and plays the return-visit questions), ``preview`` (the
ACD offers the task to an agent whose skills fit the case's line and language, through the
blending gate; the desk shows the case, the agent starts the call: their seat rings, then the
citizen is dialled) or ``progressive`` (the same, the seat rings as soon as the task is offered).
``agent_calls.offer_seconds`` is how long an offer may stand (reading the case, then the seat
ringing); ``agent_calls.result_seconds`` how long the agent has to record the result once the
call ended (then, or when a supervisor releases it, the visit counts as answered without
answers: not reached, like a silent survey call, and the seat's task is freed); the gate
keeps the inbound service level predicted with one agent fewer at or above
``blend_target`` (default: ``service_level.target``) plus ``blend_margin``.

Without the section (or with ``enabled: false``) the engine dials nothing on its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from acd.model import QueueSpec
from ivr_flows.strict_model import STRICT
from outbound.hours import CallingHours
from outbound.model import CallOutcome, Kind, KindRules, Mode, Rules
from outbound.numbers import NumberRefused, national

if TYPE_CHECKING:
    from outbound.blending import BlendPolicy

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")
_HOURS = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")]
Minutes = Annotated[float, Field(ge=0, le=7 * 24 * 60)]


class _Model(BaseModel):
    model_config = ConfigDict(**STRICT, coerce_numbers_to_str=True)


class Spacing(_Model):
    """Minutes before the next attempt after each outcome."""

    busy: Minutes = 10
    no_answer: Minutes = 60
    failed: Minutes = 30
    silent: Minutes = 60  # answered but nothing keyed: not reached


class KindSection(_Model):
    """How one kind of work is dialled."""

    mode: Literal["survey", "preview", "progressive"] = "survey"  # see the module's docstring
    flow: Literal["return_visit", "return_visit_score"] = "return_visit"  # _score: asks 1-5 too
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    max_concurrent: Annotated[int, Field(ge=1, le=1000)] = 10
    spacing_minutes: Spacing = Spacing()

    def rules(self, window: float | None = None, queue: str | None = None) -> KindRules:
        spacing = {CallOutcome(name): minutes * 60 for name, minutes in self.spacing_minutes}
        agent = self.mode != "survey"
        return KindRules(mode=Mode.AGENT if agent else Mode.SURVEY, max_attempts=self.max_attempts,
                         spacing=spacing, window=window, max_concurrent=self.max_concurrent,
                         queue=queue if agent else None, preview=self.mode == "preview")


class MissedCalls(KindSection):
    """Callbacks of callers who abandoned or were refused at overload."""

    mode: Literal["survey"] = "survey"  # the callback flow offers the caller an agent (1)
    enabled: bool = True
    within_minutes: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 120  # dialled only this long after
    period_hours: Annotated[float, Field(gt=0, le=24 * 31)] = 24  # once per number per period
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 2


class AgentCalls(_Model):
    """The agents' outbound calls (kinds in ``preview`` or ``progressive`` mode)."""

    queue: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "outbound-agent"
    offer_seconds: Annotated[float, Field(ge=5, le=600)] = 120  # reading the case + the seat ringing
    tick_seconds: Annotated[float, Field(gt=0, le=60)] = 2  # how often the gate is asked
    blend_target: Annotated[float, Field(gt=0, lt=1)] | None = None  # default: service_level.target
    blend_margin: Annotated[float, Field(ge=0, lt=1)] = 0.02
    reserve: Annotated[int, Field(ge=0, le=1000)] = 0  # idle agents always left for inbound
    warmup_seconds: Annotated[float, Field(ge=0, le=3600)] = 60  # arrivals measured before any offer
    result_seconds: Annotated[float, Field(ge=10, le=86400)] = 600  # to record the result after the call

    def policy(self, target: float, threshold: float) -> BlendPolicy:
        """The blending gate's policy; ``ValueError`` naming the field if target + margin > 1."""
        from outbound.blending import BlendPolicy  # Erlang A and scipy: only where agents call

        target = self.blend_target if self.blend_target is not None else target
        if target + self.blend_margin > 1:
            raise ValueError(f"outbound.agent_calls.blend_margin: target {target} + margin "
                             f"{self.blend_margin} is over 1: no agent would ever get a task")
        return BlendPolicy(target=target, threshold=threshold, margin=self.blend_margin,
                           reserve=self.reserve, window=max(900.0, self.warmup_seconds),
                           warmup=self.warmup_seconds)


class OutboundSection(_Model):
    enabled: bool = True
    gateway: str
    username: Annotated[str, StringConstraints(min_length=1, max_length=64,
                                               pattern=r"^[A-Za-z0-9._~+-]+$")] | None = None
    secret_env: EnvName = "CALLCENTER_OUTBOUND_PASSWORD"
    secret_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = "outbound"
    caller_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{3,20}$")] | None = None
    calling_hours: str = "08:00-21:00"
    return_visits: KindSection = KindSection()
    revisits: KindSection = KindSection()
    missed_calls: MissedCalls = MissedCalls()
    do_not_call: list[str] = []
    agent_calls: AgentCalls = AgentCalls()

    @field_validator("gateway")
    @classmethod
    def _gateway(cls, value: str) -> str:
        match = _HOST_PORT.match(value)
        if match is None or not 0 < int(match.group(2)) < 65536:
            raise ValueError(f"expected host:port, e.g. 10.1.2.3:5060, got {value!r}")
        return value

    @field_validator("calling_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if not _HOURS.match(value) or value[:5] >= value[6:]:
            raise ValueError(f"expected the day's calling hours as HH:MM-HH:MM, from a time to a "
                             f"later one (e.g. 08:00-21:00; none at night), got {value!r}")
        return value

    @field_validator("do_not_call")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        try:
            return [national(number) for number in value]
        except NumberRefused as exc:
            raise ValueError(str(exc)) from None

    def address(self) -> tuple[str, int]:
        host, _, port = self.gateway.rpartition(":")
        return host.strip("[]"), int(port)

    def hours(self, timezone: str) -> CallingHours:
        start, _, end = self.calling_hours.partition("-")
        return CallingHours(start=start, end=end, timezone=timezone)

    def rules(self, timezone: str) -> Rules:
        missed = self.missed_calls
        return Rules(
            hours=self.hours(timezone),
            kinds={Kind.RETURN_VISIT: self.return_visits.rules(queue=self.agent_calls.queue),
                   Kind.REVISIT: self.revisits.rules(queue=self.agent_calls.queue),
                   Kind.MISSED_CALL: missed.rules(window=missed.within_minutes * 60)},
            missed_call_period=missed.period_hours * 3600,
            do_not_call=frozenset(self.do_not_call))

    def agent_queue(self) -> QueueSpec | None:
        """The ACD queue of the agents' outbound tasks (None: no kind is dialled by agents).
        It asks no skill itself: each task adds its case's line's and language's."""
        if self.return_visits.mode == "survey" and self.revisits.mode == "survey":
            return None
        return QueueSpec(self.agent_calls.queue, {}, ring_timeout_seconds=self.agent_calls.offer_seconds)

"""The typed hotline configuration (pydantic models) and its conversion to core specs."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WrapValidator

from acd.model import EscalationStep, QueueSpec, ServiceLevelPolicy
from agents.model import AgentSpec
from callcenter.config.peers import peer_entry
from ivr_flows.strict_model import STRICT

if TYPE_CHECKING:
    from callcenter.config.cases_section import CasesSection
    from callcenter.config.outbound_section import OutboundSection
    from callcenter.config.sms_section import SmsSection

LANGUAGES: tuple[str, ...] = ("zh", "en", "ja", "ko", "fr", "de", "ru")
LANGUAGE_NAMES: dict[str, str] = {
    "zh": "Mandarin", "en": "English", "ja": "Japanese", "ko": "Korean",
    "fr": "French", "de": "German", "ru": "Russian",
}

Language = Literal["zh", "en", "ja", "ko", "fr", "de", "ru"]
StrategyName = Literal[
    "longest-idle-agent", "most-skilled", "fewest-calls", "least-talk-time", "round-robin",
    "random",
]
Proficiency = Annotated[int, Field(ge=1, le=5)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
DialNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,20}$")]
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")


def _host_port(value: str) -> str:
    match = _HOST_PORT.match(value)
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"expected host:port, e.g. 10.1.2.3:5060, got {value!r}")
    return value


SipHostPort = Annotated[str, AfterValidator(_host_port)]


_CASES = "callcenter.config.cases_section.CasesSection"


def _section(name: str) -> type[BaseModel]:
    module, _, model = name.rpartition(".")
    return getattr(importlib.import_module(module), model)


def _lazy(name: str, optional: bool = True) -> Any:
    """A section validated by the model ``name`` (``module.Class``), imported only when the
    config has the section: the simulator loads configs without them, and their models (and
    the packages behind them) are a tenth of its start-up. Errors keep their nested places."""

    def validate(value: Any, _handler: Callable[[Any], Any]) -> Any:
        return None if optional and value is None else _section(name).model_validate(value)

    return Annotated[Any, WrapValidator(validate)]


if TYPE_CHECKING:
    CasesField = CasesSection
    SmsField = SmsSection | None
    OutboundField = OutboundSection | None
else:
    CasesField = _lazy(_CASES, optional=False)
    SmsField = _lazy("callcenter.config.sms_section.SmsSection")
    OutboundField = _lazy("callcenter.config.outbound_section.OutboundSection")


class _Model(BaseModel):
    model_config = ConfigDict(**STRICT, coerce_numbers_to_str=True)


class Center(_Model):
    name: str = "12345 government service hotline"
    timezone: str = "Asia/Shanghai"


class ServiceLevel(_Model):
    threshold_seconds: Annotated[float, Field(gt=0)] = 15.0
    abandons_in_denominator: bool = True
    short_abandon_seconds: Annotated[float, Field(ge=0)] = 0.0
    clock_start: Literal["queue_entry", "arrival"] = "queue_entry"
    target: Annotated[float, Field(gt=0, le=1)] = 0.95
    connection_rate_target: Annotated[float, Field(gt=0, le=1)] = 0.95

    def policy(self) -> ServiceLevelPolicy:
        return ServiceLevelPolicy(
            threshold_seconds=self.threshold_seconds,
            abandons_in_denominator=self.abandons_in_denominator,
            short_abandon_seconds=self.short_abandon_seconds,
            clock_start=self.clock_start,
        )


class Defaults(_Model):
    ring_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 15.0
    wrap_up_seconds: Annotated[float, Field(ge=0, le=3600)] = 30.0
    # a waiting caller hears their place and estimated wait this often (0: never)
    hold_announcement_seconds: Annotated[float, Field(ge=0, le=600)] = 30.0


class Line(_Model):
    """A dialled number the center answers; its IVR flow and the queue per language its flow
    routes callers to (a declaration ``config check`` holds against the flow)."""

    number: DialNumber
    name: str
    flow: Name
    service: Name
    queues: dict[Language, Name]


class Escalation(_Model):
    after_seconds: Annotated[float, Field(ge=0)]
    min_proficiency: Proficiency | None = None
    add_alternatives: list[dict[Name, Proficiency]] = []
    raise_priority: Annotated[int, Field(ge=0, le=100)] = 0
    announce: Name | None = None
    offer_callback: bool = False
    overflow_queue: Name | None = None
    overflow_message: Name | None = None


class Queue(_Model):
    name: Name
    requirements: dict[Name, Proficiency]
    strategy: StrategyName = "longest-idle-agent"
    ring_timeout_seconds: Annotated[float, Field(gt=0, le=120)] | None = None
    priority: Annotated[int, Field(ge=0, le=100)] = 0
    escalation: list[Escalation] = []


class Department(_Model):
    """A department a call may be transferred to: the only numbers a transfer can reach."""

    id: Name
    name: str
    number: DialNumber
    gateway: SipHostPort | None = None  # host:port that reaches ``number``; default the center's


class Transfers(_Model):
    """Where the embedded SIP engine sends blind transfers (REFER) to department numbers."""

    gateway: SipHostPort | None = None  # the SIP gateway or PBX that routes department numbers
    ring_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 60.0


class Callbacks(_Model):
    """Where the embedded SIP engine calls callers back (their own number only)."""

    gateway: SipHostPort | None = None  # the outbound route; default: where the call came from


PeerEntry = Annotated[str, AfterValidator(peer_entry)]
"""An address or network (``callcenter.config.peers``), kept as written."""


class CallerIdentity(_Model):
    """Whose P-Asserted-Identity / From the engine believes (besides the gateways it names):
    addresses or networks of the carrier's SIP peers."""

    trusted_peers: list[PeerEntry] = []


class AsteriskPeers(_Model):
    """The Asterisk that drives calls over FastAGI: the addresses (or networks) its connections
    may come from. Any other peer is refused before it sends a channel or caller ID."""

    hosts: Annotated[list[PeerEntry], Field(min_length=1)] = ["127.0.0.1", "::1"]


ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class AgentShift(_Model):
    """A planned shift (``callcenter roster`` writes them): local start and end, the meal."""

    start: ClockTime
    end: ClockTime  # before start: the shift ends the next day
    meal: ClockTime | None = None
    meal_minutes: Annotated[int, Field(ge=0, le=180)] = 0
    day: Annotated[int, Field(ge=1, le=7)] | None = None  # day of the plan; none: every day


class Agent(_Model):
    id: Name
    name: str
    skills: dict[Name, Proficiency]
    wrap_up_seconds: Annotated[float, Field(ge=0, le=3600)] | None = None
    shifts: list[AgentShift] = []


class HotlineConfig(_Model):
    center: Center = Field(default_factory=Center)
    languages: list[Language]
    default_language: Language = "zh"
    services: list[Name]
    service_level: ServiceLevel = Field(default_factory=ServiceLevel)
    defaults: Defaults = Field(default_factory=Defaults)
    lines: list[Line]
    queues: list[Queue]
    departments: list[Department] = []
    transfers: Transfers = Field(default_factory=Transfers)
    callbacks: Callbacks = Field(default_factory=Callbacks)
    caller_identity: CallerIdentity = Field(default_factory=CallerIdentity)
    asterisk: AsteriskPeers = Field(default_factory=AsteriskPeers)
    agents: list[Agent] = []
    cases: CasesField = Field(default_factory=lambda: _section(_CASES)())
    sms: SmsField = None  # SMS notices to citizens over SMPP
    outbound: OutboundField = None  # return visits and missed-call callbacks dialled

    # ------------------------------------------------------------- derived views

    @property
    def skills(self) -> list[str]:
        """Every skill name the config may use: languages and services."""
        return [*self.languages, *self.services]

    def line(self, number: str) -> Line:
        for line in self.lines:
            if line.number == number:
                return line
        raise KeyError(f"unknown line {number!r}")

    def queue(self, name: str) -> Queue:
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(f"unknown queue {name!r}")

    def department(self, department_id: str) -> Department:
        for department in self.departments:
            if department.id == department_id:
                return department
        raise KeyError(f"unknown department {department_id!r}")

    def department_gateway(self, department: Department) -> tuple[str, int] | None:
        """The (host, port) that reaches ``department``'s number; None without a gateway."""
        return _hostport(department.gateway or self.transfers.gateway)

    def callback_gateway(self) -> tuple[str, int] | None:
        """The (host, port) of the outbound route for callbacks; None: none configured."""
        return _hostport(self.callbacks.gateway)

    def route_for(self, line: str, language: str) -> str:
        """The queue a caller of ``line`` speaking ``language`` waits in: the line's queue for
        that language, or (its flow offers no such choice) the default language's."""
        queues = self.line(line).queues
        return queues.get(language) or queues[self.default_language]  # type: ignore[index]

    def inbound_queues(self) -> list[str]:
        """The queues callers wait in: every configured queue (the outbound section's agent
        queue is its own, never one of these)."""
        return [q.name for q in self.queues]

    def queue_specs(self) -> list[QueueSpec]:
        policy = self.service_level.policy()
        return [
            QueueSpec(
                name=q.name,
                requirements=dict(q.requirements),
                strategy=q.strategy,
                ring_timeout_seconds=q.ring_timeout_seconds or self.defaults.ring_timeout_seconds,
                priority=q.priority,
                service_level=policy,
                escalation=tuple(
                    EscalationStep(
                        after_seconds=s.after_seconds,
                        min_proficiency=s.min_proficiency,
                        add_alternatives=tuple(dict(a) for a in s.add_alternatives),
                        raise_priority=s.raise_priority,
                        announce=s.announce,
                        offer_callback=s.offer_callback,
                        overflow_queue=s.overflow_queue,
                        overflow_message=s.overflow_message,
                    )
                    for s in q.escalation
                ),
            )
            for q in self.queues
        ]

    def agent_specs(self) -> list[AgentSpec]:
        return [
            AgentSpec(
                agent_id=a.id,
                name=a.name,
                skills=dict(a.skills),
                wrap_up_seconds=(
                    a.wrap_up_seconds
                    if a.wrap_up_seconds is not None
                    else self.defaults.wrap_up_seconds
                ),
            )
            for a in self.agents
        ]


def _hostport(gateway: str | None) -> tuple[str, int] | None:
    if gateway is None:
        return None
    host, _, port = gateway.rpartition(":")
    return host.strip("[]"), int(port)

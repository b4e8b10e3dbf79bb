"""The ``outbound:`` section of the hotline config: return visits, re-visits and missed-call
callbacks dialled by the engine (see ``outbound/``).

    outbound:
      gateway: "10.1.2.3:5060"        # the SIP trunk that reaches citizens' phones
      username: hotline12345          # optional digest credentials for the trunk; the password
      secret_env: CALLCENTER_OUTBOUND_PASSWORD   # ... from this variable, or the secrets file's
      secret_key: outbound                       # ``outbound = ...`` line (serve --secrets)
      caller_id: "12345"              # the line's number shown (default: the first line's)
      calling_hours: "08:00-21:00"    # in the center's time zone; nothing is dialled outside
      return_visits: {flow: return_visit, max_attempts: 3, max_concurrent: 10,
                      spacing_minutes: {busy: 10, no_answer: 60, failed: 30, silent: 60}}
      revisits: {...}                 # the visit after a re-handling (as return_visits)
      missed_calls: {enabled: true, within_minutes: 120, period_hours: 24, max_attempts: 2}
      do_not_call: ["13800138000"]    # never dialled

Without the section (or with ``enabled: false``) the engine dials nothing on its own.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from outbound.hours import CallingHours
from outbound.model import CallOutcome, Kind, KindRules, Mode, Rules
from outbound.numbers import NumberRefused, national

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")
_HOURS = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")]
Minutes = Annotated[float, Field(ge=0, le=7 * 24 * 60)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Spacing(_Model):
    """Minutes before the next attempt after each outcome."""

    busy: Minutes = 10
    no_answer: Minutes = 60
    failed: Minutes = 30
    silent: Minutes = 60  # answered but nothing keyed: not reached


class KindSection(_Model):
    """How one kind of work is dialled."""

    mode: Literal["survey"] = "survey"  # agent calls run in the simulator only so far
    flow: Literal["return_visit", "return_visit_score"] = "return_visit"  # _score: asks 1-5 too
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    max_concurrent: Annotated[int, Field(ge=1, le=1000)] = 10
    spacing_minutes: Spacing = Spacing()

    def rules(self, window: float | None = None) -> KindRules:
        spacing = {CallOutcome(name): minutes * 60 for name, minutes in self.spacing_minutes}
        return KindRules(mode=Mode(self.mode), max_attempts=self.max_attempts, spacing=spacing,
                         window=window, max_concurrent=self.max_concurrent)


class MissedCalls(KindSection):
    """Callbacks of callers who abandoned or were refused at overload."""

    enabled: bool = True
    within_minutes: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 120  # dialled only this long after
    period_hours: Annotated[float, Field(gt=0, le=24 * 31)] = 24  # once per number per period
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 2


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
            kinds={Kind.RETURN_VISIT: self.return_visits.rules(), Kind.REVISIT: self.revisits.rules(),
                   Kind.MISSED_CALL: missed.rules(window=missed.within_minutes * 60)},
            missed_call_period=missed.period_hours * 3600,
            do_not_call=frozenset(self.do_not_call))

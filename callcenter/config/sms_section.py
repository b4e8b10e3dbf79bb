"""The ``sms:`` section of the hotline config: SMS notices to citizens over SMPP 3.4.

    sms:
      smsc: "10.1.2.3:2775"          # the SMSC's SMPP host:port
      system_id: hotline12345        # the account; its password is a secret, never here:
      secret_env: CALLCENTER_SMPP_PASSWORD   # ... from this variable, or the secrets file's
      secret_key: smpp                       # ``smpp = ...`` line (serve --secrets)
      source: "12345"                # the sender shown (default: the first line's number)
      quiet_hours: "21:00-08:00"     # queued until the end, in the center's time zone
      rate_per_second: 10            # the SMSC's agreed rate

Without the section (or with ``enabled: false``) no SMS is sent.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ivr_flows.strict_model import STRICT
from outbound.hours import CallingHours

_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")
_QUIET = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")]


class SmsSection(BaseModel):
    model_config = ConfigDict(**STRICT, coerce_numbers_to_str=True)

    enabled: bool = True
    smsc: str
    # SMPP 3.4: system_id at most 15 characters, the password at most 8
    system_id: Annotated[str, StringConstraints(min_length=1, max_length=15, pattern=r"^[\x21-\x7e]+$")]
    secret_env: EnvName = "CALLCENTER_SMPP_PASSWORD"
    secret_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = "smpp"
    system_type: Annotated[str, StringConstraints(max_length=12, pattern=r"^[\x20-\x7e]*$")] = ""
    bind: Literal["transceiver", "transmitter"] = "transceiver"  # transmitter: no delivery reports
    source: Annotated[str, StringConstraints(pattern=r"^[0-9]{3,20}$")] | None = None
    destination: Literal["international", "national"] = "international"  # 8613... or 13...
    signature: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None  # {center}
    templates: str | None = None  # a templates file (relative to the config); default: the shipped one
    max_segments: Annotated[int, Field(ge=1, le=10)] = 6
    concatenation: Literal["udh", "sar"] = "udh"
    quiet_hours: str | None = "21:00-08:00"
    rate_per_second: Annotated[float, Field(gt=0, le=1000)] = 10.0
    window: Annotated[int, Field(ge=1, le=100)] = 10  # submit_sm awaiting their response at most
    enquire_link_seconds: Annotated[float, Field(ge=5, le=600)] = 30.0
    response_timeout_seconds: Annotated[float, Field(ge=1, le=120)] = 10.0
    reconnect_max_seconds: Annotated[float, Field(ge=1, le=3600)] = 60.0
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 10  # temporary refusals before failed
    delivery_reports: bool = True

    @field_validator("smsc")
    @classmethod
    def _smsc(cls, value: str) -> str:
        match = _HOST_PORT.match(value)
        if match is None or not 0 < int(match.group(2)) < 65536:
            raise ValueError(f"expected host:port, e.g. 10.1.2.3:2775, got {value!r}")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None and (not _QUIET.match(value) or value[:5] <= value[6:]):
            raise ValueError(f"expected the night as HH:MM-HH:MM, from a time to an earlier one "
                             f"(e.g. 21:00-08:00), got {value!r}")
        return value

    def address(self) -> tuple[str, int]:
        host, _, port = self.smsc.rpartition(":")
        return host.strip("[]"), int(port)

    def sending_hours(self, timezone: str) -> CallingHours | None:
        """The hours an SMS may go (the day between the quiet hours); None: any time."""
        if self.quiet_hours is None:
            return None
        night_starts, _, night_ends = self.quiet_hours.partition("-")
        return CallingHours(start=night_ends, end=night_starts, timezone=timezone)

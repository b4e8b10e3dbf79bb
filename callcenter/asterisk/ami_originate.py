"""Originate outcomes: how Asterisk reports an Originate, mapped to one small result type."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .ami_protocol import AMIMessage


class OriginateResult(enum.Enum):
    ANSWERED = "answered"  # OriginateResponse Reason 4
    NO_ANSWER = "no_answer"  # Reason 3: rang until the timeout
    BUSY = "busy"  # Reason 5 (chan_pjsip reports a 486 as 0, i.e. FAILED)
    CONGESTION = "congestion"  # Reason 8
    HUNG_UP = "hung_up"  # Reason 1
    FAILED = "failed"  # Reason 0: busy, unknown endpoint, or any other failure
    ERROR = "error"  # the action itself got ``Response: Error`` (e.g. a failed sync originate)


REASONS = {
    1: OriginateResult.HUNG_UP,
    3: OriginateResult.NO_ANSWER,
    4: OriginateResult.ANSWERED,
    5: OriginateResult.BUSY,
    8: OriginateResult.CONGESTION,
}


@dataclass(frozen=True)
class OriginateOutcome:
    result: OriginateResult
    response: AMIMessage
    event: AMIMessage | None = None

    @property
    def answered(self) -> bool:
        return self.result is OriginateResult.ANSWERED

    @property
    def reason(self) -> int | None:
        value = self.event.get("Reason") if self.event else None
        return int(value) if value is not None and value.lstrip("-").isdigit() else None

    @property
    def channel(self) -> str | None:
        return self.event.get("Channel") if self.event else None

    @property
    def uniqueid(self) -> str | None:
        """The channel's Uniqueid; None when Asterisk says ``<unknown>`` (failed originates)."""
        value = self.event.get("Uniqueid") if self.event else None
        return None if value in (None, "<unknown>") else value

    @property
    def message(self) -> str | None:
        return self.response.get("Message")


def outcome_from_response(response: AMIMessage) -> OriginateOutcome:
    """Outcome of a synchronous Originate, or of an async one that Asterisk refused."""
    if response.response == "Success":
        return OriginateOutcome(OriginateResult.ANSWERED, response)
    return OriginateOutcome(OriginateResult.ERROR, response)


def outcome_from_event(response: AMIMessage, event: AMIMessage) -> OriginateOutcome:
    """Outcome of an async Originate from its ``OriginateResponse`` event."""
    reason = event.get("Reason", "")
    code = int(reason) if reason.lstrip("-").isdigit() else -1
    if event.get("Response") == "Success" and code == 4:
        return OriginateOutcome(OriginateResult.ANSWERED, response, event)
    result = REASONS.get(code, OriginateResult.FAILED)
    if result is OriginateResult.ANSWERED:  # Reason 4 with Response: Failure
        result = OriginateResult.FAILED
    return OriginateOutcome(result, response, event)


def originate_headers(
    channel: str,
    *,
    context: str | None = None,
    exten: str | None = None,
    priority: int | str | None = None,
    application: str | None = None,
    data: str | None = None,
    timeout_ms: int | None = None,
    caller_id: str | None = None,
    variables: dict[str, str] | None = None,
    account: str | None = None,
    channel_id: str | None = None,
    run_async: bool = True,
) -> list[tuple[str, str]]:
    """Originate headers in Asterisk's documented order; dialplan target xor application."""
    if (application is None) == (context is None and exten is None):
        raise ValueError("originate to either context/exten/priority or an application")
    headers = [("Channel", channel)]
    if application is None:
        headers += [("Context", context or ""), ("Exten", exten or "")]
        headers.append(("Priority", str(priority if priority is not None else 1)))
    else:
        headers.append(("Application", application))
        if data is not None:
            headers.append(("Data", data))
    if timeout_ms is not None:
        headers.append(("Timeout", str(int(timeout_ms))))
    if caller_id is not None:
        headers.append(("CallerID", caller_id))
    for name, value in (variables or {}).items():
        headers.append(("Variable", f"{name}={value}"))
    if account is not None:
        headers.append(("Account", account))
    if channel_id is not None:
        headers.append(("ChannelId", channel_id))
    if run_async:
        headers.append(("Async", "true"))
    return headers

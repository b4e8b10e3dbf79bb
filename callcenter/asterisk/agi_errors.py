"""Exceptions raised by the AGI codec and the FastAGI server.

A hangup is not an error: :class:`CallerHungUp` is deliberately *not* an :class:`AGIError`, so a
blanket ``except AGIError`` in call-handling code never swallows the end of a call.
"""

from __future__ import annotations


class AGIError(Exception):
    """Base class of AGI failures (protocol errors, status codes, failed commands)."""


class AGIProtocolError(AGIError):
    """The peer sent bytes that are not valid AGI (garbage, oversized or truncated data)."""


class AGITimeout(AGIProtocolError):
    """Asterisk did not answer a command in time: the session is ended and its socket closed."""


class AGILocalProtocolError(AGIError):
    """We tried to do something the protocol state does not allow (e.g. two commands at once)."""


class CallerHungUp(Exception):  # noqa: N818 - a call outcome, not an error
    """The channel is gone: HANGUP line, ``result=-1`` after hangup, 511, or the socket closed."""


class AGIConnectionLost(CallerHungUp):
    """The FastAGI TCP connection ended while a command was waiting for its answer."""


class AGIStatusError(AGIError):
    """A non-200 status line. Each status code has its own subclass."""

    code: int = 0

    def __init__(self, command: str, text: str) -> None:
        super().__init__(f"{command!r} -> {self.code} {text}")
        self.command = command
        self.text = text


class AGIUnknownCommand(AGIStatusError):
    """510 Invalid or unknown command."""

    code = 510


class AGIDeadChannel(AGIStatusError, CallerHungUp):
    """511 Command Not Permitted on a dead channel or intercept routine.

    Also a :class:`CallerHungUp`: on a FastAGI session it means the caller is gone.
    """

    code = 511


class AGIUsageError(AGIStatusError):
    """520 Invalid command syntax; ``usage`` holds the (multi-line) usage text."""

    code = 520

    def __init__(self, command: str, text: str, usage: tuple[str, ...] = ()) -> None:
        super().__init__(command, text)
        self.usage = usage


class AGIUnexpectedStatus(AGIStatusError):
    """A status code this codec does not know; ``code`` is set per instance."""

    def __init__(self, command: str, code: int, text: str) -> None:
        self.code = code
        super().__init__(command, text)


class AGICommandFailed(AGIError):
    """``200 result=-1`` on a live channel (e.g. STREAM FILE of a missing prompt)."""

    def __init__(self, command: str, result: str) -> None:
        super().__init__(f"{command!r} failed with result={result}")
        self.command = command
        self.result = result


class AGIApplicationNotFound(AGICommandFailed):
    """EXEC of an application Asterisk does not have (``200 result=-2``)."""


STATUS_ERRORS: dict[int, type[AGIStatusError]] = {
    510: AGIUnknownCommand,
    511: AGIDeadChannel,
    520: AGIUsageError,
}

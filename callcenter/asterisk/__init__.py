"""Asterisk protocol layer: FastAGI and AMI as sans-IO codecs plus thin asyncio transports.

Pure codecs: :mod:`.agi_protocol` (with :mod:`.agi_commands`, :mod:`.agi_responses`,
:mod:`.agi_environment`, :mod:`.agi_errors`) and :mod:`.ami_protocol`.
Transports: :mod:`.agi_server` (FastAGI server), :mod:`.ami_client` (AMI client).
Event followers: :mod:`.ami_tracking` (seats and calls seen through AMI events).
Fixture tooling: :mod:`.transcripts` (reads the recorded wire transcripts).
"""

from .agi_environment import AGIEnvironment
from .agi_errors import (
    AGIApplicationNotFound,
    AGICommandFailed,
    AGIConnectionLost,
    AGIDeadChannel,
    AGIError,
    AGIProtocolError,
    AGIStatusError,
    AGIUnknownCommand,
    AGIUsageError,
    CallerHungUp,
)
from .agi_responses import ChannelStatus, DataResult, StreamResult
from .agi_server import AGIServer, AGISession, EndReason, SessionEnd
from .ami_client import (
    AMIActionError,
    AMIAuthError,
    AMIClient,
    AMIConnectionLost,
    AMIResponse,
    Backoff,
    EventStream,
)
from .ami_originate import OriginateOutcome, OriginateResult
from .ami_protocol import AMIError, AMIMessage, AMIProtocolError
from .ami_tracking import CallTracker, ChannelHangup, SeatTracker

__all__ = [
    "AGIApplicationNotFound",
    "AGICommandFailed",
    "AGIConnectionLost",
    "AGIDeadChannel",
    "AGIEnvironment",
    "AGIError",
    "AGIProtocolError",
    "AGIServer",
    "AGISession",
    "AGIStatusError",
    "AGIUnknownCommand",
    "AGIUsageError",
    "AMIActionError",
    "AMIAuthError",
    "AMIClient",
    "AMIConnectionLost",
    "AMIError",
    "AMIMessage",
    "AMIProtocolError",
    "AMIResponse",
    "Backoff",
    "CallTracker",
    "CallerHungUp",
    "ChannelHangup",
    "ChannelStatus",
    "DataResult",
    "EndReason",
    "EventStream",
    "OriginateOutcome",
    "OriginateResult",
    "SeatTracker",
    "SessionEnd",
    "StreamResult",
]

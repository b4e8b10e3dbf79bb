"""The engine behind a real Asterisk: IVR flows and the ACD over FastAGI, seats followed over AMI.

:mod:`.call_flow` is the FastAGI handler (callers, the answered hook of a Dial), with
:mod:`.channel_audio` (prompts and keys) and :mod:`.features` (agent feature codes);
:mod:`.seats` follows seat reachability over AMI and holds :func:`start_asterisk`;
:mod:`.secrets` reads the AMI secret and the seats' passwords.
"""

from .call_flow import RESULT_VARIABLE, CallFlow
from .seats import AMISettings, AsteriskHandle, SeatFollower, start_asterisk
from .secrets import MissingSecret, ami_secret, seat_passwords

__all__ = [
    "RESULT_VARIABLE",
    "AMISettings",
    "AsteriskHandle",
    "CallFlow",
    "MissingSecret",
    "SeatFollower",
    "ami_secret",
    "seat_passwords",
    "start_asterisk",
]

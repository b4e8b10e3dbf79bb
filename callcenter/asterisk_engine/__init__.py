"""The engine behind a real Asterisk: IVR flows and the ACD over FastAGI, seats followed over AMI.

:mod:`.call_flow` is the FastAGI handler (callers, the answered hook of a Dial), each caller
a ``calls.Call`` carried out over AGI by :mod:`.agi_call`, with :mod:`.channel_audio` (prompts
and keys), :mod:`.features` (agent feature codes) and :mod:`.callbacks` (seats rung by AMI
Originate for callers called back through the trunk, and by :mod:`.agent_calls` for agents'
outbound tasks);
:mod:`.dialplan` names what the rendered dialplan and the engine share; :mod:`.seats`
follows seat reachability over AMI and holds :func:`start_asterisk`; :mod:`.reconcile` takes
stock of the calls Asterisk holds at every AMI (re)connect; :mod:`.secrets` reads the AMI
secret and the seats' passwords.
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

"""How an agent's outbound task over Asterisk reaches the citizen (:mod:`.agent_calls`): the
dialer asked before the Dial, and told once how it ended, as the SIP-like status the embedded
engine reports (``telephony.outbound_calls.outcome_of``: busy, no answer, failed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DIAL_STATUS = {"BUSY": 486, "NOANSWER": 480, "CANCEL": 487, "CHANUNAVAIL": 503, "CONGESTION": 503}
"""``DIALSTATUS`` of the citizen's Dial -> the status the dialer's outcome is read from
(``outbound_calls.outcome_of``: busy, no answer, failed); anything else is a failure (500)."""


@dataclass
class TaskDial:
    """How the task's call reaches the citizen: the dialer asked first, told the end once."""

    task_id: str
    may_dial: Callable[[], bool]
    on_status: Callable[[int], None]
    told: bool = False

    def tell(self, status: int) -> None:
        if not self.told:
            self.told = True
            self.on_status(status)


def dial_status(status: str) -> int:
    """The status the dialer reads from the citizen's ``DIALSTATUS`` (``ANSWER`` -> 200)."""
    return 200 if status == "ANSWER" else DIAL_STATUS.get(status, 500)

"""How an agent's outbound task over Asterisk reaches the citizen (:mod:`.agent_calls`): the
dialer asked before the Dial, and told once how it ended, as the SIP-like status the embedded
engine reports (``telephony.outbound_calls.outcome_of``: busy, no answer, failed), read from
``DIALSTATUS`` by :mod:`.dial_ends`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


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


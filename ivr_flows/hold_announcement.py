"""What a waiting caller hears every hold interval: please hold, callers ahead, minutes to wait."""

from __future__ import annotations

import math

from ivr_flows.commands import Number, PlayItem, Prompt

HOLD_PROMPTS = ("please_hold", "position_in_queue", "estimated_wait")


def place_announcement(language: str, position: int | None,
                       wait_seconds: float | None) -> list[PlayItem]:
    """``please_hold``, then the number of callers ahead (``position`` 1 is next) and the
    estimated wait in whole minutes (at least 1) when known."""
    items: list[PlayItem] = [Prompt("please_hold", language)]
    if position is not None:
        items += [Prompt("position_in_queue", language), Number(str(position - 1), "number",
                                                                language)]
        if wait_seconds is not None:
            minutes = max(1, math.ceil(wait_seconds / 60))
            items += [Prompt("estimated_wait", language), Number(str(minutes), "number", language)]
    return items

"""Prompt keys the engine plays on its own, outside any flow; ``config check`` and ``flows
check`` look each one up in the catalogue for every enabled language."""

from __future__ import annotations

from collections.abc import Mapping

from ivr_flows.hold_announcement import HOLD_PROMPTS
from ivr_flows.say import NUMBER_KEYS

FEATURE_PROMPTS = ("feature_logged_in", "feature_logged_out", "feature_ready",
                   "feature_not_ready", "feature_wrap_up_done", "feature_refused")
"""What a seat hears after dialling a feature code (``*11`` ...), before the engine hangs up."""

ENGINE_PROMPTS: Mapping[str, str] = {
    **{key: "a seat's feature code" for key in FEATURE_PROMPTS},
    **{key: "the hold announcement" for key in HOLD_PROMPTS},
    **{key: "reading numbers and amounts" for key in NUMBER_KEYS},
    "service_unavailable": "a transfer that fails",
    "transferring": "an agent's transfer",
}
"""Key -> what the engine plays it for."""

"""Feature codes an agent dials from a seat to change its state: one table for every telephony
path (the embedded SIP engine, the FastAGI handler behind Asterisk, the rendered dialplan).

=======  =========================  ============================
Code     ACD event                  Meaning
=======  =========================  ============================
``*11``  ``AgentLoggedIn(ready)``   log in and become ready
``*12``  ``AgentLoggedOut``         log out
``*13``  ``AgentReady``             ready for calls
``*14``  ``AgentNotReady(break)``   not ready (reason ``break``)
``*14N`` ``AgentNotReady(reason)``  not ready with reason N (below)
``*15``  ``WrapUpDone``             wrap-up finished
=======  =========================  ============================

Not-ready reasons (shown on the wallboard and in reports): ``*141`` break, ``*142`` meal,
``*143`` training, ``*144`` meeting, ``*145`` paperwork (follow-up of a request), ``*146``
coaching, ``*147`` technical problem. Each code has the prompt the seat hears when it is done
(:data:`REFUSED_PROMPT` when the ACD refuses it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from acd import events as acd_ev

NOT_READY_REASONS: Mapping[str, str] = {
    "1": "break", "2": "meal", "3": "training", "4": "meeting", "5": "paperwork",
    "6": "coaching", "7": "technical",
}
REFUSED_PROMPT = "feature_refused"


@dataclass(frozen=True)
class FeatureCode:
    """What a code means, the ACD event it makes for an agent, and the prompt confirming it."""

    code: str
    meaning: str
    event: Callable[[str], acd_ev.Event]
    prompt: str


def _not_ready(reason: str) -> Callable[[str], acd_ev.Event]:
    return lambda agent: acd_ev.AgentNotReady(agent, reason)


def _codes() -> dict[str, FeatureCode]:
    codes = [
        FeatureCode("*11", "login and ready", lambda agent: acd_ev.AgentLoggedIn(agent, ready=True),
                    "feature_logged_in"),
        FeatureCode("*12", "logout", acd_ev.AgentLoggedOut, "feature_logged_out"),
        FeatureCode("*13", "ready", acd_ev.AgentReady, "feature_ready"),
        FeatureCode("*14", "not ready (break)", _not_ready("break"), "feature_not_ready"),
        *(FeatureCode(f"*14{digit}", f"not ready ({reason})", _not_ready(reason), "feature_not_ready")
          for digit, reason in NOT_READY_REASONS.items()),
        FeatureCode("*15", "wrap-up done", acd_ev.WrapUpDone, "feature_wrap_up_done"),
    ]
    return {feature.code: feature for feature in codes}


FEATURE_CODES: Mapping[str, FeatureCode] = _codes()


def feature_code(dialled: str) -> FeatureCode | None:
    """The feature code ``dialled`` (``*14`` or ``14``), or None if it is none."""
    return FEATURE_CODES.get("*" + dialled.removeprefix("*"))

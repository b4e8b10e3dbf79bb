"""Feature codes an agent dials from a registered seat to change its state in the ACD.

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
coaching, ``*147`` technical problem.

The engine answers a permitted code with 200, says what was done (``feature_logged_in``,
``feature_not_ready`` ...) and hangs up. A change the seat's state does not allow is refused
audibly: 183 with early media saying ``feature_refused``, then 403 with the ACD's reason
(``Forbidden - agent 1001: 'ready' not allowed while logged_out``). It answers 401 (a digest
challenge) to an INVITE without the seat's credentials, wherever it comes from (the
registered address proves nothing), and 403 alike for wrong credentials and a seat that is
not in the config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from acd import events as acd_ev
from callcenter.media.tone import sine
from callcenter.sip.ids import new_tag
from callcenter.sip.message import SIPRequest, SIPResponse, SipURI, make_response
from callcenter.sip.transactions import Addr
from callcenter.telephony.registrar import Registrar

NOT_READY_REASONS: Mapping[str, str] = {
    "1": "break", "2": "meal", "3": "training", "4": "meeting", "5": "paperwork",
    "6": "coaching", "7": "technical",
}


def _not_ready(reason: str) -> Callable[[str], acd_ev.Event]:
    return lambda agent: acd_ev.AgentNotReady(agent, reason)


FEATURE_CODES: Mapping[str, tuple[str, Callable[[str], acd_ev.Event]]] = {
    "*11": ("login and ready", lambda agent: acd_ev.AgentLoggedIn(agent, ready=True)),
    "*12": ("logout", acd_ev.AgentLoggedOut),
    "*13": ("ready", acd_ev.AgentReady),
    "*14": ("not ready (break)", _not_ready("break")),
    **{f"*14{digit}": (f"not ready ({reason})", _not_ready(reason))
       for digit, reason in NOT_READY_REASONS.items()},
    "*15": ("wrap-up done", acd_ev.WrapUpDone),
}

CONFIRMATION = sine(880, 0.3)
"""A beep, played when the confirmation prompt's file is missing."""

CONFIRMATION_PROMPTS: Mapping[str, str] = {
    "*11": "feature_logged_in", "*12": "feature_logged_out", "*13": "feature_ready",
    **{code: "feature_not_ready" for code in FEATURE_CODES if code.startswith("*14")},
    "*15": "feature_wrap_up_done",
}
"""What the seat hears before the engine hangs up, in the center's default language."""
REFUSED_PROMPT = "feature_refused"


def seat_of(request: SIPRequest) -> str:
    """The agent id a feature-code INVITE claims to come from (its From user)."""
    try:
        return SipURI.parse(request.from_addr.uri).user or ""
    except ValueError:
        return ""


def authorised(registrar: Registrar, request: SIPRequest, agent_id: str,
               addr: Addr) -> SIPResponse | None:
    """None if the INVITE carries seat ``agent_id``'s credentials (digest, answered to a
    challenge: a binding's address proves nothing); else the answer to send (401 or 403)."""
    who, refusal = registrar.authenticate(request, addr)
    if refusal is not None:
        return refusal
    if who != agent_id:
        return make_response(request, 403, "Forbidden - not this seat", to_tag=new_tag())
    return None

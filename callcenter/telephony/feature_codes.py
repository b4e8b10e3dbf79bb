"""Feature codes an agent dials from a registered seat, over SIP (the table, the same for every
telephony path, is :mod:`agents.feature_codes`).

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
from agents.feature_codes import FEATURE_CODES as TABLE
from agents.feature_codes import REFUSED_PROMPT as REFUSED_PROMPT  # re-exported for call_control
from callcenter.media.tone import sine
from callcenter.sip.ids import new_tag
from callcenter.sip.message import SIPRequest, SIPResponse, SipURI, make_response
from callcenter.sip.transactions import Addr
from callcenter.telephony.registrar import Registrar

FEATURE_CODES: Mapping[str, tuple[str, Callable[[str], acd_ev.Event]]] = {
    code: (feature.meaning, feature.event) for code, feature in TABLE.items()}

CONFIRMATION = sine(880, 0.3)
"""A beep, played when the confirmation prompt's file is missing."""

CONFIRMATION_PROMPTS: Mapping[str, str] = {code: feature.prompt for code, feature in TABLE.items()}
"""What the seat hears before the engine hangs up, in the center's default language."""


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

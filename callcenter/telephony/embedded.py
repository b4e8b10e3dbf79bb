"""Start the embedded engine's SIP side: registrar and call control on one UDP port."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callcenter.sip.lockout import LockoutPolicy
from callcenter.sip.ratelimit import SourceRateLimiter
from callcenter.sip.transport import SipEndpoint, open_endpoint
from callcenter.telephony.admission import AdmissionLimits, tcp_limits
from callcenter.telephony.call_control import RTP_TIMEOUT, CallControl
from callcenter.telephony.conference_control import DeskCalls
from callcenter.telephony.registrar import Registrar
from ivr_flows.loader import load_for_config
from ivr_flows.plugins import PluginRegistry, default_registry

log = logging.getLogger(__name__)


@dataclass
class EmbeddedTelephony:
    """What :func:`start_embedded` started; ``close()`` hangs up and releases the port."""

    endpoint: SipEndpoint
    control: CallControl
    registrar: Registrar

    @property
    def port(self) -> int:
        return self.endpoint.local_addr[1]

    async def close(self) -> None:
        self.control.close()
        await self.endpoint.close()


async def start_embedded(engine: Any, *, host: str, port: int, prompts_dir: Path | str,
                         passwords: Mapping[str, str], advertise: str | None = None,
                         realm: str = "callcenter",
                         plugins: PluginRegistry | None = None,
                         invite_limiter: SourceRateLimiter | None = None,
                         rtp_timeout: float | None = RTP_TIMEOUT,
                         hold_interval: float | None = None,
                         qualify_interval: float | None = None,
                         rtp_window: float | None = None, rtp_symmetric: bool = True,
                         admission: AdmissionLimits | None = None,
                         lockout: LockoutPolicy | None = None,
                         tls: ssl.SSLContext | None = None, tls_port: int = 0,
                         tcp: bool = True, survey_flow: str | None = None) -> EmbeddedTelephony:
    """Answer the config's lines on ``host:port`` (UDP; 0 picks a free port) for ``engine``.

    ``passwords`` maps agent id (the seat's SIP user) to its SIP password; there are no
    defaults. ``advertise`` is the address put in SDP and Contact when ``host`` is a
    wildcard address. ``invite_limiter`` answers INVITE floods from one source with 503.
    A caller silent on RTP for ``rtp_timeout`` seconds is hung up (None: never). Waiting callers
    hear their place every ``hold_interval`` seconds (default: the config's
    ``defaults.hold_announcement_seconds``; 0 or None there: never). With ``qualify_interval``
    seats are pinged with OPTIONS that often and dropped when they stop answering. With ``tcp``
    SIP is also served over TCP on the same port as UDP. RTP is latched (symmetric); a media
    address on another host than the signalling is used for ``rtp_window`` seconds (None:
    never, the engine waits for the peer's RTP); ``rtp_symmetric=False`` turns latching off
    (lab measurements only: the engine then streams wherever SDP says). ``admission`` caps
    live calls and per-source INVITE and REGISTER rates (503 with Retry-After beyond them; None: no limits).
    ``lockout`` is how failed digest authentications throttle and block a source and an
    account (default :class:`LockoutPolicy`). With ``tls`` (a server context, see
    :mod:`callcenter.sip.tls`) SIP is also served over TLS on ``tls_port``. After a conversation
    the agent ended, the caller is asked ``survey_flow`` (such as ``"survey"``; None: hung up at
    once); the satisfaction score goes to the engine's records writer.
    """
    if host in ("0.0.0.0", "::") and not advertise:
        raise ValueError("binding a wildcard address needs an advertised address")
    unknown = sorted(set(passwords) - {agent.id for agent in engine.config.agents})
    if unknown:
        log.warning("SIP passwords for agents not in the config: %s", ", ".join(unknown))
    registry = plugins or default_registry()
    flows = load_for_config(engine.config, registry)
    registrar = Registrar(passwords, realm=realm, clock=engine.driver.clock, lockout=lockout)
    control = CallControl(engine.config, engine.driver, flows, registrar, prompts_dir,
                          plugins=registry, advertise=advertise, rtp_timeout=rtp_timeout,
                          hold_interval=(hold_interval if hold_interval is not None else
                                         engine.config.defaults.hold_announcement_seconds) or None,
                          qualify_interval=qualify_interval, rtp_window=rtp_window,
                          rtp_symmetric=rtp_symmetric,
                          admission=admission, survey_flow=survey_flow,
                          on_score=getattr(getattr(engine, "writer", None), "set_satisfaction", None))
    limiters = admission.limiters() if admission is not None else {}
    endpoint = await open_endpoint(control, host, port, tcp=tcp, invite_limiter=invite_limiter,
                                   limiters=limiters,
                                   retry_after=admission.retry_after if admission else 5,
                                   tcp_limits=tcp_limits(admission), tls=tls, tls_port=tls_port)
    control.attach(endpoint)
    engine.call_actions = DeskCalls(control)  # the desk's transfer and three-way buttons
    log.info("embedded telephony on %s:%s udp%s%s (%d lines, %d seats with passwords)",
             host, endpoint.local_addr[1], " and tcp" if tcp else "",
             f", tls on {endpoint.tls_addr[1]}" if endpoint.tls_addr else "", len(control.lines),
             len(passwords))
    return EmbeddedTelephony(endpoint, control, registrar)

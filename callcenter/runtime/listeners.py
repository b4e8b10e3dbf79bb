"""What ``serve`` opens beside the core: embedded SIP, the HTTP API; each closed on stop."""

from __future__ import annotations

import ipaddress
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.runtime.app import Engine
from callcenter.runtime.welcome import login_help
from callcenter.telephony.rtp_timeout import RTP_TIMEOUT

log = logging.getLogger("callcenter")


class StartupError(RuntimeError):
    """A listener could not start; the message says which and why."""


@dataclass
class ListenerOptions:
    """Addresses and secrets for the listeners (None: that listener stays off)."""

    sip: tuple[str, int] | None = ("127.0.0.1", 5060)
    prompts_dir: Path = Path("var/prompts")
    passwords: dict[str, str] = field(default_factory=dict)
    rtp_timeout: float | None = RTP_TIMEOUT  # seconds of RTP silence that end a leg (None: never)
    qualify_interval: float | None = 30.0  # OPTIONS pings to registered seats (None: never)
    rtp_window: float | None = None  # seconds of RTP towards a media host that did not signal
    rtp_symmetric: bool = True  # False: no latching (lab measurements only)
    admission: object | None = None  # callcenter.telephony.admission.AdmissionLimits (None: off)
    lockout: object | None = None  # callcenter.sip.lockout.LockoutPolicy (None: its defaults)
    tls_port: int | None = None  # SIP over TLS on the SIP host at this port (None: off)
    tls_cert: Path | None = None  # with tls_key; none on loopback: a self-signed pair
    tls_key: Path | None = None
    tls_dir: Path = Path("var/tls")  # where the self-signed pair is kept
    api: tuple[str, int] | None = ("127.0.0.1", 8080)
    api_token: str | None = None
    api_token_file: Path | None = None
    agi: tuple[str, int] | None = ("127.0.0.1", 4573)
    advertise: str | None = None  # the SIP address put in SDP and Contact (wildcard binds)
    ami: object | None = None  # callcenter.asterisk_engine.AMISettings: follow seats over AMI
    outbound_credentials: tuple[str, str] | None = None  # digest (user, password) for the trunk


def parse_address(text: str, default_port: int) -> tuple[str, int]:
    """``host:port``, ``host`` or ``:port`` into a pair; ``ValueError`` naming the text."""
    host, sep, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not sep:
        return text, default_port
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"bad address {text!r}: port must be a number") from None
    if not 0 <= number <= 65535:
        raise ValueError(f"bad address {text!r}: port out of range")
    return host or "127.0.0.1", number


def tls_context(options: ListenerOptions, host: str) -> object | None:
    """The TLS server context ``options`` ask for: their certificate and key, or on a
    loopback host a self-signed pair; ``StartupError`` otherwise."""
    if options.tls_port is None:
        return None
    import ssl

    from callcenter.sip.tls import self_signed, server_context

    cert, key = options.tls_cert, options.tls_key
    if cert is None or key is None:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise StartupError(f"SIP over TLS on {host}: give --tls-cert and --tls-key "
                               "(a self-signed pair is made for loopback only)")
        cert, key = self_signed(options.tls_dir, host)
        log.info("SIP over TLS with the self-signed certificate %s", cert)
    try:
        return server_context(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise StartupError(f"SIP over TLS: cannot use {cert} and {key}: {exc}") from None


def check_advertise(sip: tuple[str, int] | None, advertise: str | None) -> None:
    """A wildcard SIP bind needs ``--advertise``, an address a peer can send to."""
    if advertise is not None:
        try:
            address = ipaddress.ip_address(advertise)
        except ValueError:
            raise ValueError(f"--advertise {advertise!r}: give an IP address") from None
        if address.is_unspecified:
            raise ValueError(f"--advertise {advertise}: give the address callers and seats "
                             f"reach the engine at, not a wildcard")
    elif sip is not None and sip[0] in ("0.0.0.0", "::"):
        raise ValueError(f"--sip {sip[0]}:{sip[1]} binds every address: give --advertise HOST, "
                         f"the address callers and seats reach the engine at (put in SDP and "
                         f"Contact)")


def ensure_prompts(engine: Engine, prompts_dir: Path) -> None:
    """Build (or take from the cache) the IVR prompts for the config's languages."""
    from ivr_flows.catalogue import load_catalogue
    from ivr_flows.prompts_build import EspeakMissing, build_prompts

    try:
        report = build_prompts(load_catalogue(), prompts_dir, engine.config.languages)
    except EspeakMissing as exc:
        raise StartupError(str(exc)) from None
    sources = Counter(prompt.source for prompt in report.prompts)
    log.info("%d prompts in %s (%s) in %.1f s", len(report.prompts), prompts_dir,
             ", ".join(f"{n} {source}" for source, n in sorted(sources.items())), report.elapsed)


async def start_listeners(engine: Engine, options: ListenerOptions) -> list[Callable[[], Awaitable[None]]]:
    """Start what ``options`` asks for; returns the closers, last started first."""
    closers: list[Callable[[], Awaitable[None]]] = []
    try:
        if options.sip is not None:
            from callcenter.telephony.embedded import start_embedded

            ensure_prompts(engine, options.prompts_dir)
            if not options.passwords:
                log.warning("no agent SIP passwords configured (--secrets FILE or "
                            "CALLCENTER_SIP_PASSWORD_<agent>): no seat can register")
            host, port = options.sip
            tls = tls_context(options, host)
            try:
                telephony = await start_embedded(engine, host=host, port=port,
                                                 prompts_dir=options.prompts_dir,
                                                 passwords=options.passwords,
                                                 advertise=options.advertise,
                                                 rtp_timeout=options.rtp_timeout,
                                                 qualify_interval=options.qualify_interval,
                                                 rtp_window=options.rtp_window,
                                                 rtp_symmetric=options.rtp_symmetric,
                                                 admission=options.admission,
                                                 survey_flow="survey",
                                                 lockout=options.lockout, tls=tls,
                                                 tls_port=options.tls_port or 0)
            except (OSError, ValueError) as exc:
                raise StartupError(f"SIP on {host}:{port}: {getattr(exc, 'strerror', None) or exc}"
                                   ) from None
            from callcenter.metrics.sip_guard import SipGuardCollector

            engine.registry.register(SipGuardCollector(telephony))  # type: ignore[attr-defined]
            log.info("SIP listening on udp and tcp %s:%d (lines %s)", host, telephony.port,
                     ", ".join(line.number for line in engine.config.lines))
            closers.append(telephony.close)
            from callcenter.runtime.campaigns import start_campaigns

            campaigns = start_campaigns(engine, telephony, options.outbound_credentials)
            if campaigns is not None:
                closers.append(campaigns.close)
        if options.agi is not None:
            from callcenter.asterisk_engine import start_asterisk

            if options.sip is None:
                ensure_prompts(engine, options.prompts_dir)
            host, port = options.agi
            try:
                every = engine.config.defaults.hold_announcement_seconds or 86_400.0  # 0: never
                asterisk = await start_asterisk(engine, agi_host=host, agi_port=port,
                                                ami=options.ami, prompts_dir=options.prompts_dir,
                                                hold_interval=every)
            except OSError as exc:
                raise StartupError(f"FastAGI on {host}:{port}: {exc.strerror or exc}") from None
            port = asterisk.agi_port
            from callcenter.metrics.agi_guard import AgiGuardCollector

            engine.registry.register(AgiGuardCollector(asterisk.agi))  # type: ignore[attr-defined]
            log.info("FastAGI listening on %s:%d (Asterisk: AGI(agi://%s:%d/<line>))%s", host, port,
                     host, port, "; following seats over AMI" if options.ami else "")
            closers.append(asterisk.close)
            if options.sip is None:  # the dialer's calls through Asterisk (else the SIP trunk's)
                from callcenter.runtime.campaigns import start_asterisk_campaigns

                campaigns = start_asterisk_campaigns(engine, asterisk)
                if campaigns is not None:
                    closers.append(campaigns.close)
            elif campaigns is not None:  # Asterisk's callers who gave up: called back through the trunk
                campaigns.own_numbers.append(asterisk.flow.caller_number)
        if options.api is not None:
            from callcenter.api.server import ApiConfigError, start_api

            host, port = options.api
            try:
                api = await start_api(engine, host=host, port=port, token=options.api_token,
                                      token_file=options.api_token_file)
            except ApiConfigError as exc:
                raise StartupError(f"HTTP API: {exc}") from None
            closers.append(api.close)
        sip = options.sip and (options.advertise or options.sip[0], telephony.port)
        api_address = options.api and (options.api[0], api.port)
        for line in login_help(engine.config, options.passwords, sip=sip, api=api_address):
            log.info("%s", line)
    except BaseException:
        for close in reversed(closers):
            await close()
        raise
    return list(reversed(closers))

"""Render the Asterisk configuration of a hotline: pjsip, extensions, manager, musiconhold, queues,
confbridge (the desk's three-way call).

The dialplan sends each line number to the engine over FastAGI and falls back to a sorry prompt
and a plain Asterisk queue of all agents when the engine cannot be reached, reports
``CALLCENTER_RESULT=error`` or gives a live channel back; a caller an agent answered is hung up
instead (the engine dying mid-conversation must not queue a served caller again). Seats may
dial feature codes only. Secrets are passed in (see :mod:`callcenter.asterisk_engine.secrets`);
nothing here has a default secret.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.feature_codes import FEATURE_CODES
from callcenter.asterisk_engine.ami_needs import READ_CLASSES, WRITE_CLASSES
from callcenter.asterisk_engine.dialplan import (
    ANSWERED_CONTEXT,
    BRIDGE_PROFILE,
    CONFERENCE_CONTEXT,
    FALLBACK_CONTEXT,
    LINE_VARIABLE,
    LINES_CONTEXT,
    SEATS_CONTEXT,
    SERVED_VARIABLE,
    SURVEY_CONTEXT,
    TRANSFER_CONTEXT,
    USER_PROFILE,
    VISIT_CONTEXT,
    VISIT_VARIABLE,
)
from callcenter.asterisk_engine.features import CONFIRMED
from callcenter.config import HotlineConfig
from callcenter.telephony.rtp_timeout import RTP_TIMEOUT

IDENTIFIER_ORDER = "username,ip,anonymous"
"""pjsip's default ``ip,username,anonymous`` lets the IP-identified trunk swallow seats on its host."""
HOLD_TIMEOUT_FACTOR = 20
"""A party on hold may be silent this many RTP timeouts (10 minutes with the default 30 s)."""
SESSION_MIN_SE = 90  # RFC 4028's smallest Session-Expires a peer must accept


@dataclass(frozen=True)
class AsteriskOptions:
    """Where things are; the defaults suit Asterisk and the engine on one host."""

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    sip_bind: str = "0.0.0.0:5060"
    trunk_host: str = "127.0.0.1"
    trunk_port: int = 5080  # not Asterisk's own 5060: a local test caller (SIPp) by default
    ami_port: int = 5038
    ami_username: str = "callcenter"
    moh_class: str = "default"
    moh_directory: str = "moh"
    fallback_queue: str = "hotline-fallback"
    transfer_timeout: int = 60  # seconds a department's phone may ring for the desk's transfer
    codecs: tuple[str, ...] = ("alaw", "ulaw")
    qualify_seconds: int = 30
    rtp_timeout: float = RTP_TIMEOUT  # the embedded engine's --rtp-timeout, the same promise
    header: str = field(default="Rendered by `callcenter asterisk-config`; re-render, do not edit.")

    @property
    def agi_url(self) -> str:
        return f"agi://{self.agi_host}:{self.agi_port}"

    def dead_party_lines(self) -> list[str]:
        """Endpoint options that hang up a party gone without a BYE: no RTP for ``rtp_timeout``
        seconds (whole, at least 1), or on hold for ``HOLD_TIMEOUT_FACTOR`` times that; session
        timers refresh the dialog so a peer whose signalling died is noticed too."""
        seconds = max(1, math.ceil(self.rtp_timeout))
        hold = seconds * HOLD_TIMEOUT_FACTOR
        return [f"; a party silent on RTP for {seconds} s (the engine's --rtp-timeout) is hung up",
                f"rtp_timeout={seconds}", f"rtp_timeout_hold={hold}", "timers=yes",
                f"timers_min_se={SESSION_MIN_SE}", f"timers_sess_expires={max(SESSION_MIN_SE, hold)}"]


DEFAULT_OPTIONS = AsteriskOptions()


def conf_value(value: str, what: str) -> str:
    """A value safe on one conf line: no line breaks; ``;`` (a comment) escaped."""
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{what} must not contain line breaks")
    return value.replace(";", r"\;")


def _label(text: str) -> str:
    """Free text (names) for caller ids, comments and queue member names."""
    return "".join(ch for ch in text if ch.isprintable() and ch not in '"<>,;()[]\\')


def _head(options: AsteriskOptions, what: str) -> list[str]:
    return [f"; {what}", f"; {options.header}", ""]


def render_pjsip(config: HotlineConfig, passwords: Mapping[str, str],
                 options: AsteriskOptions = DEFAULT_OPTIONS) -> str:
    """One UDP transport, an endpoint/auth/aor per agent seat, and the callers' trunk."""
    allow = ",".join(options.codecs)
    out = _head(options, "pjsip.conf: SIP transport, agent seats and the callers' trunk")
    out += ["; Seats are matched by their user name before the trunk by its address, so a seat on the",
            "; trunk's host can register. Asterisk reads this at start only: restart it (a reload is not",
            "; enough) after changing it.",
            "[global]", "type=global", f"endpoint_identifier_order={IDENTIFIER_ORDER}", ""]
    out += ["[transport-udp]", "type=transport", "protocol=udp", f"bind={options.sip_bind}", ""]
    out += ["[seat-endpoint](!)", "type=endpoint", "transport=transport-udp",
            f"context={SEATS_CONTEXT}", "disallow=all", f"allow={allow}", "dtmf_mode=rfc4733",
            "direct_media=no", "rtp_symmetric=yes", "force_rport=yes", "rewrite_contact=yes",
            "; a seat's P-Asserted-Identity / Remote-Party-ID is not believed (RFC 3325)",
            "trust_id_inbound=no", "trust_id_outbound=no",
            f"language={config.default_language}", *options.dead_party_lines(), "",
            "[seat-auth](!)", "type=auth", "auth_type=userpass", "",
            "[seat-aor](!)", "type=aor", "max_contacts=1", "remove_existing=yes",
            f"qualify_frequency={options.qualify_seconds}", ""]
    for agent in config.agents:
        password = passwords.get(agent.id)
        if not password:
            raise ValueError(f"no SIP password for agent {agent.id}")
        name = _label(agent.name)
        out += [f"; seat of {name}",
                f"[{agent.id}](seat-endpoint)", f"auth={agent.id}-auth", f"aors={agent.id}",
                f'callerid="{name}" <{agent.id}>', "",
                f"[{agent.id}-auth](seat-auth)", f"username={agent.id}",
                f"password={conf_value(password, f'password of agent {agent.id}')}", "",
                f"[{agent.id}](seat-aor)", ""]
    out += ["; the callers' side: a SIP trunk identified by its address, the one peer whose",
            "; P-Asserted-Identity is believed (the caller ID the engine may call back)",
            "[trunk]", "type=endpoint", "transport=transport-udp", f"context={LINES_CONTEXT}",
            "; matched by its address only, never by a From user anyone can write (it has no auth)",
            "identify_by=ip", "trust_id_inbound=yes",
            "disallow=all", f"allow={allow}", "dtmf_mode=rfc4733", "direct_media=no",
            "aors=trunk", f"language={config.default_language}", *options.dead_party_lines(), "",
            "[trunk]", "type=aor", f"contact=sip:{options.trunk_host}:{options.trunk_port}", "",
            "[trunk-identify]", "type=identify", "endpoint=trunk", f"match={options.trunk_host}", ""]
    return "\n".join(out)


def render_extensions(config: HotlineConfig, options: AsteriskOptions = DEFAULT_OPTIONS) -> str:
    """Lines to the engine (with a fallback), the answered hook, and the seats' feature codes."""
    agi = options.agi_url
    out = _head(options, "extensions.conf: hotline lines, engine fallback, agent feature codes")
    out += ["[general]", "static=yes", "writeprotect=yes", "clearglobalvars=no", ""]
    out += [f"[{LINES_CONTEXT}]"]
    for line in config.lines:
        out += [f"; {_label(line.name)}",
                f"exten => {line.number},1,NoOp(line {line.number})",
                " same => n,Set(CALLCENTER_RESULT=)",
                f" same => n,Set({LINE_VARIABLE}=${{EXTEN}})",
                f" same => n,AGI({agi}/{line.number})",
                "; an agent answered this caller (the engine marks it then): the conversation is",
                "; over, also when the engine died during it; never queued again",
                f' same => n,GotoIf($["${{SHARED({SERVED_VARIABLE})}}" != ""]?served)',
                f' same => n,GotoIf($["${{AGISTATUS}}" = "FAILURE"]?{FALLBACK_CONTEXT},s,1)',
                f' same => n,GotoIf($["${{CALLCENTER_RESULT}}" = "error"]?{FALLBACK_CONTEXT},s,1)',
                "; the engine hangs up every call it finishes: a live channel here was dropped",
                f" same => n,Goto({FALLBACK_CONTEXT},s,1)",
                " same => n(served),Hangup()"]
    out += ["", "; the engine is unreachable or failed on the call: a plain queue of all agents",
            f"[{FALLBACK_CONTEXT}]",
            "exten => s,1,NoOp(engine fallback)",
            " same => n,Answer()",
            " same => n,StopMusicOnHold()",
            " same => n,Playback(callcenter/system_error)",
            f" same => n,Queue({options.fallback_queue},,,,600)",
            " same => n,Hangup()", ""]
    out += ["; Dial(...,U(callcenter-answered^<call id>)) runs this on the agent's channel on answer",
            f"[{ANSWERED_CONTEXT}]",
            f"exten => s,1,AGI({agi}/answered/${{ARG1}})",
            " same => n,Return()", ""]
    out += ["; a caller called back (the call id is the extension) whose seat hung up rates the call",
            "; (the seat's Dial of the caller continues here with F())",
            f"[{SURVEY_CONTEXT}]",
            f"exten => _X.,1,AGI({agi}/survey/${{EXTEN}})",
            " same => n,Hangup()", ""]
    out += ["; a survey call of the dialer (AMI Originate of the citizen's number) once answered",
            f"[{VISIT_CONTEXT}]",
            f"exten => s,1,AGI({agi}/visit/${{{VISIT_VARIABLE}}})",
            " same => n,Hangup()", ""]
    out += ["; the desk's blind transfer (AMI Redirect of the caller): department numbers only",
            f"[{TRANSFER_CONTEXT}]"]
    for department in config.departments:
        number = department.number
        out += [f"; {_label(department.name)}",
                f"exten => {number},1,Dial(PJSIP/{number}@trunk,{options.transfer_timeout})",
                " same => n,Hangup()"]
    out += ["", "; the desk's three-way call: the extension is the caller's call id, the bridge's name;",
            "; caller and agent come by AMI Redirect, the department by AMI Originate",
            f"[{CONFERENCE_CONTEXT}]",
            f"exten => _X.,1,ConfBridge(${{EXTEN}},{BRIDGE_PROFILE},{USER_PROFILE})",
            " same => n,Hangup()", ""]
    out += ["; agent seats may dial the feature codes only", f"[{SEATS_CONTEXT}]"]
    for code, feature in FEATURE_CODES.items():
        out += [f"; {feature.meaning}",
                f"exten => {code},1,AGI({agi}/feature/{code.lstrip('*')})",
                " same => n,Hangup()"]
    return "\n".join(out) + "\n"


def render_manager(ami_secret: str, options: AsteriskOptions = DEFAULT_OPTIONS) -> str:
    """AMI on loopback only, one user for the engine."""
    if not ami_secret:
        raise ValueError("no AMI secret")
    out = _head(options, "manager.conf: the engine's AMI user, loopback only")
    out += ["[general]", "enabled=yes", f"port={options.ami_port}", "bindaddr=127.0.0.1",
            "displayconnects=no", "webenabled=no", "",
            f"[{options.ami_username}]", f"secret={conf_value(ami_secret, 'AMI secret')}",
            "deny=0.0.0.0/0.0.0.0", "permit=127.0.0.1/255.255.255.255",
            "; read: the events the engine follows; write: seats' states, Originate for callbacks",
            f"read={','.join(READ_CLASSES)}", f"write={','.join(WRITE_CLASSES)}", "writetimeout=5000", ""]
    return "\n".join(out)


def render_musiconhold(options: AsteriskOptions = DEFAULT_OPTIONS) -> str:
    out = _head(options, "musiconhold.conf: the hold music callers hear while they wait")
    out += ["[general]", "", f"[{options.moh_class}]", "mode=files",
            f"directory={options.moh_directory}", "sort=random", ""]
    return "\n".join(out)


def render_queues(config: HotlineConfig, options: AsteriskOptions = DEFAULT_OPTIONS) -> str:
    """The fallback queue with every agent (used only when the engine is out)."""
    out = _head(options, "queues.conf: the fallback queue when the engine is out")
    out += ["[general]", "persistentmembers=no", "autofill=yes", "",
            f"[{options.fallback_queue}]", "strategy=rrmemory", "timeout=15", "retry=2",
            "wrapuptime=5", f"musicclass={options.moh_class}", "joinempty=yes",
            "leavewhenempty=no", "ringinuse=no"]
    out += [f"member => PJSIP/{agent.id},0,{_label(agent.name)}" for agent in config.agents]
    return "\n".join(out) + "\n"


def render_confbridge(options: AsteriskOptions = DEFAULT_OPTIONS) -> str:
    """The three-way call's profiles: at most caller, agent and department; no Asterisk core
    sounds are shipped, so users join and leave quietly and a kicked agent hears the seat tone."""
    out = _head(options, "confbridge.conf: the desk's three-way call (caller, agent, department)")
    out += ["[general]", "",
            f"[{BRIDGE_PROFILE}]", "type=bridge", "max_members=3", f"sound_kicked={CONFIRMED}", "",
            f"[{USER_PROFILE}]", "type=user", "quiet=yes", "announce_only_user=no",
            "announce_user_count=no", "announce_join_leave=no", "music_on_hold_when_empty=no",
            ""]
    return "\n".join(out)


def render_all(config: HotlineConfig, *, passwords: Mapping[str, str], ami_secret: str,
               options: AsteriskOptions = DEFAULT_OPTIONS) -> dict[str, str]:
    """File name -> text of every rendered file."""
    return {
        "pjsip.conf": render_pjsip(config, passwords, options),
        "extensions.conf": render_extensions(config, options),
        "manager.conf": render_manager(ami_secret, options),
        "musiconhold.conf": render_musiconhold(options),
        "queues.conf": render_queues(config, options),
        "confbridge.conf": render_confbridge(options),
    }


SECRET_FILES = frozenset({"pjsip.conf", "manager.conf"})
"""Files holding secrets: written readable by the owner only."""

"""A structural check of rendered Asterisk configs (no Asterisk needed).

:func:`parse_conf` reads Asterisk's INI dialect: ``[name](!)`` templates, ``[name](tpl,...)``
inheritance, ``key=value`` and ``key => value`` (``exten``, ``same``, ``member``), ``;``
comments with ``\\;`` escapes. :func:`check_all` returns the problems a real Asterisk would
trip over, or that would defeat the design (a line that never reaches the engine or a
fallback, a seat without auth, AMI open beyond loopback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from agents.feature_codes import FEATURE_CODES
from callcenter.asterisk_engine.ami_needs import FORBIDDEN_WRITE
from callcenter.asterisk_engine.dialplan import (
    BRIDGE_PROFILE,
    CONFERENCE_CONTEXT,
    SERVED_VARIABLE,
    SURVEY_CONTEXT,
    TRANSFER_CONTEXT,
    USER_PROFILE,
    VISIT_CONTEXT,
    VISIT_VARIABLE,
)
from callcenter.config import HotlineConfig

from .render import (
    ANSWERED_CONTEXT,
    DEFAULT_OPTIONS,
    FALLBACK_CONTEXT,
    LINES_CONTEXT,
    SEATS_CONTEXT,
    AsteriskOptions,
)

_HEADER = re.compile(r"\[(?P<name>[^\]]+)\](?:\((?P<opts>[^)]*)\))?$")
_ITEM = re.compile(r"(?P<key>[A-Za-z_][\w-]*)\s*(?P<op>=>|=)\s*(?P<value>.*)$")
_EXTEN = re.compile(r"(?P<exten>[^,]+),(?P<priority>[^,(]+?)(?:\((?P<label>\w+)\))?,(?P<app>\w+)"
                    r"(?:\((?P<args>.*)\))?$")


class ConfError(ValueError):
    """Text that is not valid in Asterisk's config syntax."""


@dataclass
class ConfSection:
    name: str
    lineno: int
    is_template: bool = False
    templates: tuple[str, ...] = ()
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Conf:
    sections: list[ConfSection]

    def named(self, name: str) -> list[ConfSection]:
        return [s for s in self.sections if s.name == name and not s.is_template]

    def items(self, section: ConfSection) -> list[tuple[str, str]]:
        """The section's items after its templates' (templates first, in order)."""
        out: list[tuple[str, str]] = []
        for template in section.templates:
            found = [s for s in self.sections if s.name == template and s.is_template]
            if not found:
                raise ConfError(f"[{section.name}] uses unknown template {template!r}")
            out += self.items(found[0])
        return out + section.items

    def get(self, section: ConfSection, key: str) -> str | None:
        values = [v for k, v in self.items(section) if k == key]
        return values[-1] if values else None

    def of_type(self, kind: str) -> list[ConfSection]:
        return [s for s in self.sections if not s.is_template and self.get(s, "type") == kind]


def _strip_comment(line: str) -> str:
    out, escaped = [], False
    for ch in line:
        if ch == ";" and not escaped:
            break
        escaped = ch == "\\" and not escaped
        out.append(ch)
    return "".join(out).replace("\\;", ";").strip()


def parse_conf(text: str) -> Conf:
    sections: list[ConfSection] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line:
            continue
        if header := _HEADER.fullmatch(line):
            opts = [o.strip() for o in (header["opts"] or "").split(",") if o.strip()]
            sections.append(ConfSection(header["name"], lineno, "!" in opts,
                                        tuple(o for o in opts if o != "!")))
            continue
        if line.startswith("#"):
            raise ConfError(f"line {lineno}: directives such as {line.split()[0]} are not rendered")
        item = _ITEM.fullmatch(line)
        if item is None:
            raise ConfError(f"line {lineno}: not a section, key=value or key => value: {raw!r}")
        if not sections:
            raise ConfError(f"line {lineno}: {item['key']} outside any section")
        sections[-1].items.append((item["key"], item["value"].strip()))
    return Conf(sections)


@dataclass(frozen=True)
class Step:
    exten: str
    priority: int
    app: str
    args: str


def dialplan(conf: Conf) -> dict[str, dict[str, list[Step]]]:
    """context -> extension -> its steps, with ``n``/``same`` priorities numbered."""
    plan: dict[str, dict[str, list[Step]]] = {}
    for section in conf.sections:
        if section.name == "general" or section.is_template:
            continue
        context = plan.setdefault(section.name, {})
        last: str | None = None
        for key, value in section.items:
            if key not in ("exten", "same"):
                continue
            if key == "same":
                if last is None:
                    raise ConfError(f"[{section.name}] 'same' before any exten")
                value = f"{last},{value}"
            match = _EXTEN.fullmatch(value)
            if match is None:
                raise ConfError(f"[{section.name}] unparsable dialplan line {value!r}")
            exten, priority = match["exten"].strip(), match["priority"].strip()
            steps = context.setdefault(exten, [])
            if priority == "n":
                number = steps[-1].priority + 1 if steps else 0
            elif priority.isdigit():
                number = int(priority)
            else:
                raise ConfError(f"[{section.name}] {exten}: bad priority {priority!r}")
            if not steps and number != 1:
                raise ConfError(f"[{section.name}] {exten}: first priority must be 1")
            steps.append(Step(exten, number, match["app"], match["args"] or ""))
            last = exten
    return plan


def _by_address_only(conf: Conf, endpoint: ConfSection) -> bool:
    """True if Asterisk matches ``endpoint`` to a request by its source address alone: its
    ``identify_by`` is ``ip`` (the default ``username,ip`` lets any host name it in From) and
    each identify section for it matches by ``match=`` only (not a header or Request-URI)."""
    methods = {m.strip() for m in (conf.get(endpoint, "identify_by") or "username,ip").split(",")}
    identifies = [s for s in conf.of_type("identify") if conf.get(s, "endpoint") == endpoint.name]
    return methods == {"ip"} and bool(identifies) and all(
        conf.get(s, "match") and {k for k, _ in conf.items(s)} <= {"type", "endpoint", "match", "srv_lookups"}
        for s in identifies)


def check_pjsip(conf: Conf, config: HotlineConfig) -> list[str]:
    problems: list[str] = []
    names = {kind: {s.name for s in conf.of_type(kind)} for kind in ("transport", "aor", "auth")}
    identified = {conf.get(s, "endpoint") for s in conf.of_type("identify")}
    if not names["transport"]:
        problems.append("pjsip: no transport")
    endpoints = conf.of_type("endpoint")
    for endpoint in endpoints:
        where = f"pjsip endpoint {endpoint.name}"
        aors = [a for a in (conf.get(endpoint, "aors") or "").split(",") if a]
        if not aors or any(a not in names["aor"] for a in aors):
            problems.append(f"{where}: aors {aors} missing or undefined")
        transport = conf.get(endpoint, "transport")
        if transport and transport not in names["transport"]:
            problems.append(f"{where}: unknown transport {transport}")
        auth = conf.get(endpoint, "auth")
        if auth is None and endpoint.name not in identified:
            problems.append(f"{where}: neither auth nor an identify section")
        if auth is not None:
            sections = [s for s in conf.named(auth) if conf.get(s, "type") == "auth"]
            if not sections:
                problems.append(f"{where}: auth {auth} undefined")
            for section in sections:
                if conf.get(section, "auth_type") != "userpass" or not conf.get(section, "password"):
                    problems.append(f"pjsip auth {auth}: needs auth_type=userpass and a password")
                if conf.get(section, "username") != endpoint.name:
                    problems.append(f"pjsip auth {auth}: username is not {endpoint.name}")
        if not conf.get(endpoint, "context"):
            problems.append(f"{where}: no context")
        trusted = (conf.get(endpoint, "trust_id_inbound") or "no").lower() in ("yes", "true", "on", "1")
        if trusted and not _by_address_only(conf, endpoint):
            problems.append(f"{where}: trust_id_inbound on an endpoint not identified by the carrier's "
                            "address only (identify_by=ip and an identify section with match= alone): "
                            "its peer could choose the caller ID called back")
        for key in ("rtp_timeout", "rtp_timeout_hold"):
            if not (conf.get(endpoint, key) or "0").isdigit() or int(conf.get(endpoint, key) or 0) < 1:
                problems.append(f"{where}: no {key}: a party gone without a BYE holds the other forever")
    binds = {(conf.get(t, "bind") or "").rpartition(":")[2] for t in conf.of_type("transport")}
    for aor in conf.of_type("aor"):
        host, _, port = (conf.get(aor, "contact") or "").removeprefix("sip:").rpartition(":")
        if host in ("127.0.0.1", "localhost") and port in binds:
            problems.append(f"pjsip aor {aor.name}: contact is Asterisk itself (a call loop)")
    order = [conf.get(g, "endpoint_identifier_order") for g in conf.of_type("global")]
    methods = [m.strip() for m in (order[-1] if order and order[-1] else "ip,username").split(",")]
    if identified and ("username" not in methods or "ip" in methods
                       and methods.index("ip") < methods.index("username")):
        problems.append("pjsip: endpoints are identified by ip before username: seats on the "
                        "trunk's host are matched to the trunk and cannot register")
    seats = {e.name for e in endpoints if conf.get(e, "auth")}
    for agent in config.agents:
        if agent.id not in seats:
            problems.append(f"pjsip: agent {agent.id} has no seat endpoint with auth")
    return problems


def _reaches(steps: list[Step], app: str, args_part: str) -> int | None:
    for index, step in enumerate(steps):
        if step.app == app and args_part in step.args:
            return index
    return None


def check_extensions(conf: Conf, config: HotlineConfig, options: AsteriskOptions,
                     contexts_used: set[str]) -> list[str]:
    problems: list[str] = []
    plan = dialplan(conf)
    agi = options.agi_url
    for context in sorted(contexts_used - set(plan)):
        problems.append(f"extensions: context {context} used by pjsip is not defined")
    for line in config.lines:
        steps = plan.get(LINES_CONTEXT, {}).get(line.number)
        if not steps:
            problems.append(f"extensions: line {line.number} has no extension")
            continue
        at = _reaches(steps, "AGI", f"{agi}/{line.number}")
        if at is None:
            problems.append(f"extensions: line {line.number} never reaches the engine's AGI")
            continue
        after = steps[at + 1:]
        if _reaches(after, "GotoIf", "CALLCENTER_RESULT") is None or not any(
                f"{FALLBACK_CONTEXT},s,1" in s.args for s in after if s.app == "GotoIf"):
            problems.append(f"extensions: line {line.number} has no fallback after its AGI")
        served = _reaches(after, "GotoIf", f"SHARED({SERVED_VARIABLE})")
        fallback_at = min((i for i, s in enumerate(after) if FALLBACK_CONTEXT in s.args), default=len(after))
        if served is None or served > fallback_at:
            problems.append(f"extensions: line {line.number} queues a served caller again in the "
                            "fallback after an engine failure")
    fallback = plan.get(FALLBACK_CONTEXT, {}).get("s", [])
    if _reaches(fallback, "Queue", options.fallback_queue) is None:
        problems.append(f"extensions: the fallback does not reach Queue({options.fallback_queue})")
    if _reaches(fallback, "Playback", "") is None:
        problems.append("extensions: the fallback plays no sorry prompt")
    hook = plan.get(ANSWERED_CONTEXT, {}).get("s", [])
    if _reaches(hook, "AGI", f"{agi}/answered/${{ARG1}}") is None or not hook or hook[-1].app != "Return":
        problems.append("extensions: the answered hook does not reach the AGI and Return")
    survey = plan.get(SURVEY_CONTEXT, {}).get("_X.", [])
    if _reaches(survey, "AGI", f"{agi}/survey/${{EXTEN}}") is None:
        problems.append("extensions: a called-back caller never reaches the survey's AGI")
    visit = plan.get(VISIT_CONTEXT, {}).get("s", [])
    if _reaches(visit, "AGI", f"{agi}/visit/${{{VISIT_VARIABLE}}}") is None:
        problems.append("extensions: an answered survey call never reaches the engine's AGI")
    seats = plan.get(SEATS_CONTEXT, {})
    for code in FEATURE_CODES:
        if _reaches(seats.get(code, []), "AGI", f"{agi}/feature/{code.lstrip('*')}") is None:
            problems.append(f"extensions: feature code {code} does not reach the AGI")
    outbound = {exten for exten in seats if exten not in FEATURE_CODES}
    if outbound:
        problems.append(f"extensions: seats may dial more than feature codes: {sorted(outbound)}")
    return problems


def check_desk_calls(extensions: Conf, confbridge: Conf, config: HotlineConfig) -> list[str]:
    """The desk's transfer reaches department numbers only; its three-way call is a quiet
    ConfBridge (no Asterisk core sounds are shipped)."""
    problems: list[str] = []
    plan = dialplan(extensions)
    transfer = plan.get(TRANSFER_CONTEXT, {})
    numbers = {department.number for department in config.departments}
    if set(transfer) != numbers:
        problems.append(f"extensions: {TRANSFER_CONTEXT} must hold exactly the department numbers")
    for number, steps in transfer.items():
        if _reaches(steps, "Dial", f"PJSIP/{number}@") is None:
            problems.append(f"extensions: transfer to {number} dials something else")
    conference = plan.get(CONFERENCE_CONTEXT, {}).get("_X.", [])
    if _reaches(conference, "ConfBridge", f"${{EXTEN}},{BRIDGE_PROFILE},{USER_PROFILE}") is None:
        problems.append(f"extensions: {CONFERENCE_CONTEXT} does not reach the ConfBridge")
    users = confbridge.named(USER_PROFILE)
    if not confbridge.named(BRIDGE_PROFILE) or not users:
        return [*problems, "confbridge: the three-way call's profiles are missing"]
    quiet = {"quiet": "yes", "announce_only_user": "no", "announce_user_count": "no"}
    if any(confbridge.get(users[0], key) != value for key, value in quiet.items()):
        problems.append("confbridge: the user profile plays Asterisk core sounds (not shipped)")
    return problems


def check_manager(conf: Conf, options: AsteriskOptions) -> list[str]:
    problems: list[str] = []
    general = conf.named("general")
    if not general or conf.get(general[0], "bindaddr") != "127.0.0.1":
        problems.append("manager: AMI must bind to 127.0.0.1")
    users = [s for s in conf.sections if s.name != "general" and not s.is_template]
    if [u.name for u in users] != [options.ami_username]:
        problems.append(f"manager: expected the one user {options.ami_username}")
    for user in users:
        items = conf.items(user)
        if not conf.get(user, "secret"):
            problems.append(f"manager user {user.name}: no secret")
        write = set((conf.get(user, "write") or "").split(","))
        if "originate" not in write:
            problems.append(f"manager user {user.name}: write lacks 'originate': every Originate is denied")
        if write & FORBIDDEN_WRITE:
            problems.append(f"manager user {user.name}: write grants {sorted(write & FORBIDDEN_WRITE)}")
        rules = [(k, v) for k, v in items if k in ("deny", "permit")]
        if rules != [("deny", "0.0.0.0/0.0.0.0"), ("permit", "127.0.0.1/255.255.255.255")]:
            problems.append(f"manager user {user.name}: ACL must be deny=0.0.0.0/0.0.0.0 then "
                            f"permit=127.0.0.1/255.255.255.255 only, got {rules}")
    return problems


def check_queues(queues: Conf, moh: Conf, config: HotlineConfig, options: AsteriskOptions) -> list[str]:
    problems: list[str] = []
    found = queues.named(options.fallback_queue)
    members = {v.split(",")[0] for k, v in queues.items(found[0]) if k == "member"} if found else set()
    missing = [a.id for a in config.agents if f"PJSIP/{a.id}" not in members]
    if not found or missing:
        problems.append(f"queues: fallback queue {options.fallback_queue} lacks agents {missing}")
    if not moh.named(options.moh_class):
        problems.append(f"musiconhold: class {options.moh_class} is not defined")
    return problems


def check_all(files: Mapping[str, str], config: HotlineConfig,
              options: AsteriskOptions = DEFAULT_OPTIONS) -> list[str]:
    """Every problem found in the rendered files (an empty list when they hang together)."""
    try:
        parsed = {name: parse_conf(text) for name, text in files.items()}
        pjsip = parsed["pjsip.conf"]
        contexts = {c for e in pjsip.of_type("endpoint") if (c := pjsip.get(e, "context"))}
        return [
            *check_pjsip(pjsip, config),
            *check_extensions(parsed["extensions.conf"], config, options, contexts),
            *check_manager(parsed["manager.conf"], options),
            *check_desk_calls(parsed["extensions.conf"], parsed["confbridge.conf"], config),
            *check_queues(parsed["queues.conf"], parsed["musiconhold.conf"], config, options),
        ]
    except (ConfError, KeyError) as exc:
        return [f"unreadable config: {exc}"]

"""``callcenter config check [PATH]``: validate a hotline configuration and summarise it."""

from __future__ import annotations

import sys
from collections import Counter

import click

from callcenter.config import ConfigError, HotlineConfig, load_config_with_warnings
from callcenter.config.schema import LANGUAGE_NAMES


@click.group("config")
def config() -> None:
    """Hotline configuration."""


@config.command("check")
@click.argument("path", required=False, type=click.Path(path_type=str))
def check(path: str | None) -> None:
    """Load and validate PATH (a YAML file or folder; default: the shipped config)."""
    try:
        cfg, warnings = load_config_with_warnings(path)
    except ConfigError as exc:
        if len(exc.issues) == 1:
            click.echo(f"config invalid: {exc.issues[0]}", err=True)
        else:
            click.echo(f"config invalid: {len(exc.issues)} problem(s)", err=True)
            for issue in exc.issues:
                click.echo(f"  {issue}", err=True)
        sys.exit(2)
    flow_problems = _flow_problems(cfg, path)
    if flow_problems:
        click.echo(f"config invalid: the flows of its lines: {len(flow_problems)} problem(s)", err=True)
        for problem in flow_problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    click.echo(summary(cfg))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _flow_problems(cfg: HotlineConfig, path: str | None) -> list[str]:
    """The lines' IVR flows checked against this config (queues, languages, prompts), and the
    lines' declared queues against where their flows route callers."""
    from callcenter.config.line_routes import check_line_routes
    from ivr_flows.issues import FlowError
    from ivr_flows.loader import load_for_config
    from ivr_flows.plugins import default_registry

    try:
        flows = load_for_config(cfg, default_registry())
    except FlowError as exc:
        return [str(issue) for issue in exc.issues]
    return [str(issue) for issue in check_line_routes(cfg, flows, path)]


def _caller_identity(cfg: HotlineConfig) -> str:
    """Whose caller IDs are believed (the trust domain, host names unresolved), where a callback
    goes, and whose FastAGI sessions are served."""
    from callcenter.telephony.trust import gateway_hosts

    trusted = [*dict.fromkeys(gateway_hosts(cfg)), *cfg.caller_identity.trusted_peers]
    back = (f"through {cfg.callbacks.gateway}" if cfg.callbacks.gateway
            else "back to the address each call came from")
    return (f"caller IDs believed from: {', '.join(trusted) or 'no one'}; callbacks {back}; "
            f"FastAGI served to: {', '.join(cfg.asterisk.hosts)}")


def summary(cfg: HotlineConfig) -> str:
    """A short human summary: lines, languages, queues, agents and skills."""
    out = [f"config ok: {cfg.center.name}"]
    langs = ", ".join(f"{code} ({LANGUAGE_NAMES[code]})" for code in cfg.languages)
    out.append(f"languages ({len(cfg.languages)}): {langs}")
    out.append(f"lines ({len(cfg.lines)}):")
    for line in cfg.lines:
        out.append(f"  {line.number:<6} {line.name}  flow={line.flow}  zh->{line.queues['zh']}")
    out.append(f"queues ({len(cfg.queues)}):")
    for queue in cfg.queues:
        eligible = sum(
            all(a.skills.get(s, 0) >= lvl for s, lvl in queue.requirements.items())
            for a in cfg.agents
        )
        reqs = ", ".join(f"{s}>={lvl}" for s, lvl in queue.requirements.items())
        out.append(
            f"  {queue.name:<16} {queue.strategy:<19} needs {reqs:<22} "
            f"agents {eligible:>3}  escalation steps {len(queue.escalation)}"
        )
    skills = Counter(skill for agent in cfg.agents for skill in agent.skills)
    out.append(f"agents: {len(cfg.agents)}")
    out.append("skills: " + ", ".join(f"{s} {skills.get(s, 0)}" for s in cfg.skills))
    reachable = sum(cfg.department_gateway(d) is not None for d in cfg.departments)
    gateway = cfg.transfers.gateway or "none"
    out.append(f"departments: {len(cfg.departments)} ({reachable} reachable by transfer; "
               f"transfer gateway {gateway})")
    out.append(_caller_identity(cfg))
    out.append(cfg.service_level.policy().describe())
    if cfg.sms is not None and cfg.sms.enabled:
        sms = cfg.sms
        out.append(f"sms: SMPP {sms.smsc} as {sms.system_id} ({sms.bind}), from "
                   f"{sms.source or cfg.lines[0].number}, {sms.rate_per_second:g}/s, quiet "
                   f"{sms.quiet_hours or 'never'}, templates {sms.templates or 'shipped'}; password from "
                   f"${sms.secret_env} or '{sms.secret_key} = ...'")
    if cfg.outbound is not None and cfg.outbound.enabled:
        ob = cfg.outbound
        auth = (f"as {ob.username}, password from ${ob.secret_env} or '{ob.secret_key} = ...'"
                if ob.username else "no credentials")
        missed = (f"missed calls called back within {ob.missed_calls.within_minutes:g} min, once per "
                  f"{ob.missed_calls.period_hours:g} h" if ob.missed_calls.enabled
                  else "no missed-call callbacks")
        out.append(f"outbound: trunk {ob.gateway} ({auth}), caller ID {ob.caller_id or cfg.lines[0].number}, "
                   f"calling hours {ob.calling_hours} {cfg.center.timezone}, return visits by "
                   f"{ob.return_visits.flow} (at most {ob.return_visits.max_attempts} attempts), {missed}, "
                   f"{len(ob.do_not_call)} do-not-call numbers")
    return "\n".join(out)

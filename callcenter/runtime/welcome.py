"""What ``serve`` tells a person on start: which agents exist and how their seats log in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from callcenter.config import HotlineConfig


def id_ranges(ids: Iterable[str]) -> str:
    """``1001, 1002, 1003, 1007, x9`` -> ``1001-1003, 1007, x9`` (numeric runs folded)."""
    parts: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            parts.append(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}")
            run.clear()

    for agent in ids:
        follows = (run and agent.isdigit() and run[-1].isdigit()
                   and len(agent) == len(run[-1]) and int(agent) == int(run[-1]) + 1)
        if not follows:
            flush()
        run.append(agent)
    flush()
    return ", ".join(parts)


def login_help(config: HotlineConfig, passwords: Mapping[str, str], *,
               sip: tuple[str, int] | None, api: tuple[str, int] | None) -> list[str]:
    """Lines for the start-up log: the agents, who can register, and the ways to log in."""
    agents = [agent.id for agent in config.agents]
    with_password = [agent for agent in agents if agent in passwords]
    lines = [f"agents ({len(agents)}): {id_ranges(agents) or 'none'}"]
    if sip is not None:
        host, port = sip
        who = (f"{len(with_password)} with a SIP password ({id_ranges(with_password)})"
               if with_password else "none has a SIP password yet (--secrets FILE or "
               "CALLCENTER_SIP_PASSWORD_<agent>)")
        lines.append(f"seats: REGISTER as sip:<agent id>@{host}:{port} with the agent's password "
                     f"({who}); then dial *11 to log in ready, *12 to log out")
    if api is not None:
        host, port = api
        lines.append(f"or log in over the API: POST http://{host}:{port}/api/agents/<agent id>/login "
                     f'{{"ready": true}} with the API token')
    return lines

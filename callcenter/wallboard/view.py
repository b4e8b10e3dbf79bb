"""What the wallboard shows, built from one ACD snapshot: per queue and per language, the
agent grid, target colours and alerts. Times are epoch seconds so the page can tick them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from acd.model import ServiceLevelPolicy
from acd.stats import QueueStats
from callcenter.config import HotlineConfig
from callcenter.records.rows import seat_state

AMBER_BAND = 0.05  # within 5 points below the target is amber, further below is red
ALERT_MIN_CALLS = 20  # a queue's rate alerts only once it counts this many calls today
AGENT_STATES = ("idle", "ringing", "on_call", "wrap_up", "not_ready", "logged_out")


def status(value: float | None, target: float) -> str:
    """``green`` at or above ``target``, ``amber`` within 5 points below, else ``red``;
    ``none`` before anything was counted."""
    if value is None:
        return "none"
    if value >= target:
        return "green"
    return "amber" if value >= target - AMBER_BAND - 1e-9 else "red"


def combine_stats(stats: Iterable[QueueStats], policy: ServiceLevelPolicy) -> QueueStats:
    """The counters of several queues added up (rates recomputed from the sums)."""
    total = QueueStats(policy=policy)
    for s in stats:
        total.offered += s.offered
        total.answered += s.answered
        total.abandoned += s.abandoned
        total.overflowed += s.overflowed
        total.answered_within_threshold += s.answered_within_threshold
        total.short_abandons += s.short_abandons
        total.wait_answered_total += s.wait_answered_total
        total.wait_abandoned_total += s.wait_abandoned_total
        total.max_wait = max(total.max_wait, s.max_wait)
        total.talk_total += s.talk_total
        total.talk_count += s.talk_count
    return total


def queue_languages(config: HotlineConfig) -> dict[str, str]:
    """Queue name -> the language of the callers the lines route to it."""
    languages: dict[str, str] = {}
    for line in config.lines:
        for language, queue in line.queues.items():
            languages.setdefault(queue, language)
    return languages


def settled_connection_rate(stats: QueueStats) -> float | None:
    """Answered / calls whose outcome is known (answered, abandoned, overflowed): unlike
    answered / offered, a call still waiting or ringing does not count as a failure, so the
    board does not turn red for every call that has just arrived."""
    settled = stats.answered + stats.abandoned + stats.overflowed
    return stats.answered / settled if settled else None


def _figures(stats: QueueStats, sl_target: float, cr_target: float) -> dict[str, Any]:
    connection_rate = settled_connection_rate(stats)
    return {
        "offered": stats.offered,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
        "service_level": stats.service_level,
        "service_level_status": status(stats.service_level, sl_target),
        "connection_rate": connection_rate,
        "connection_rate_status": status(connection_rate, cr_target),
        "asa": stats.asa,
        "aht": stats.aht,
    }


def _since(now: float, longest_wait: float, waiting: int) -> float | None:
    return round(now - longest_wait, 2) if waiting else None


def build_view(config: HotlineConfig, snapshot: Mapping[str, Any], stats: Mapping[str, QueueStats],
               now: float, *, since: float | None = None,
               lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The wallboard's JSON from ``ACD.snapshot(now)``, the day's counters per queue (counted
    since ``since``) and per line (``LineTally.view``)."""
    sl = config.service_level
    policy = sl.policy()
    languages = queue_languages(config)
    queues = []
    for name, entry in snapshot["queues"].items():
        queues.append({
            "name": name,
            "language": languages.get(name, "-"),
            "waiting": entry["waiting"],
            "waiting_since": _since(now, entry["longest_wait"], entry["waiting"]),
            "agents": {state: entry["agents"].get(state, 0) for state in AGENT_STATES},
            **_figures(stats[name], sl.target, sl.connection_rate_target),
        })
    agents = []
    by_language: dict[str, dict[str, int]] = {}
    for agent in snapshot["agents"]:
        state = seat_state(agent["presence"], agent["activity"])
        served = {languages.get(q, "-") for q in agent["queues"]}
        for language in served:
            counts = by_language.setdefault(language, dict.fromkeys(AGENT_STATES, 0))
            counts[state] += 1
        agents.append({
            "agent_id": agent["agent_id"],
            "name": agent["name"],
            "state": state,
            "reason": agent["reason"],
            "since": agent["since"] or None,
            "line": agent["line"],
            "language": agent["language"],
        })
    agents.sort(key=lambda a: (a["state"] == "logged_out", a["agent_id"]))
    per_language = []
    for language in sorted({q["language"] for q in queues}, key=lambda x: (x != "zh", x)):
        group = [q for q in queues if q["language"] == language]
        sinces = [q["waiting_since"] for q in group if q["waiting_since"] is not None]
        per_language.append({
            "language": language,
            "queues": [q["name"] for q in group],
            "waiting": sum(q["waiting"] for q in group),
            "waiting_since": min(sinces) if sinces else None,
            "agents": by_language.get(language, dict.fromkeys(AGENT_STATES, 0)),
            **_figures(combine_stats((stats[q["name"]] for q in group), policy), sl.target,
                       sl.connection_rate_target),
        })
    alerts = []
    for q in queues:
        counted = {"service_level": stats[q["name"]].service_level_denominator,
                   "connection_rate": q["answered"] + q["abandoned"] + stats[q["name"]].overflowed}
        for key, label, target in (("service_level", f"{sl.threshold_seconds:g}-s answer rate", sl.target),
                                   ("connection_rate", "connection rate", sl.connection_rate_target)):
            if q[f"{key}_status"] in ("amber", "red") and counted[key] >= ALERT_MIN_CALLS:
                alerts.append({
                    "queue": q["name"],
                    "severity": q[f"{key}_status"],
                    "text": f"{q['name']}: {label} {q[key]:.1%} below target {target:.0%}",
                })
    for line in lines or []:
        line["service_level_status"] = status(line["service_level"], sl.target)
        line["connection_rate_status"] = status(line["connection_rate"], sl.connection_rate_target)
    return {
        "center": config.center.name,
        "timezone": config.center.timezone,
        "alert_min_calls": ALERT_MIN_CALLS,
        "counts_since": since,
        "threshold_seconds": sl.threshold_seconds,
        "targets": {"service_level": sl.target, "connection_rate": sl.connection_rate_target,
                    "amber_band": AMBER_BAND},
        "definition": f"{policy.describe()}; connection rate = answered / calls ended "
                      "(answered + abandoned + overflowed)",
        "queues": queues,
        "languages": per_language,
        "lines": lines or [],
        "agents": agents,
        "alerts": alerts,
    }

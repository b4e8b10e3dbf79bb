"""The three columns of a run: the simulator's prediction, the callers' measurement, the records."""

from __future__ import annotations

import math
from collections.abc import Iterable

from simulator.loadtest.caller import CallResult

ROWS = (  # (key, label, kind)
    ("offered", "offered", "int"),
    ("answered", "answered", "int"),
    ("abandoned", "abandoned", "int"),
    ("answered_within_threshold", "answered within threshold", "int"),
    ("service_level", "service level", "pct"),
    ("connection_rate", "connection rate", "pct"),
    ("abandon_rate", "abandon rate", "pct"),
    ("asa_seconds", "time to answer (mean), s", "sec"),
    ("aht_seconds", "talk time (mean), s", "sec"),
    ("other_outcomes", "other outcomes", "int"),
    ("sip_failures", "SIP failures", "int"),
    ("no_audio", "calls without audio", "int"),
    ("dropped", "dropped by engine", "int"),
    ("audio_cut", "agent audio stopped early", "int"),
    ("reoffered", "re-offered (rung 2+ seats)", "int"),
    ("reoffered_asa_seconds", "time to answer if re-offered, s", "sec"),
    ("missing_records", "placed calls without a record", "int"),
    ("outcome_mismatches", "outcome differs from caller", "int"),
)
FAULT_ROWS = (  # shown after a fault run's kill
    ("requeued", "put back in the queue", "int"),
    ("rescued", "rescued (answered again)", "int"),
    ("answered_after_kill", "answered after the kill", "int"),
)


def _headline(offered: int, answered: int, abandoned: int, within: int) -> dict:
    """Counts and the rates over ``offered`` that both the callers' and the records' columns
    show."""
    return {
        "offered": offered, "answered": answered, "abandoned": abandoned,
        "answered_within_threshold": within,
        "service_level": _ratio(within, offered),
        "connection_rate": _ratio(answered, offered),
        "abandon_rate": _ratio(abandoned, offered),
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _answered_after(call: CallResult, at: float) -> bool:
    times = (call.answered_at, call.rescued_at)
    return call.outcome == "answered" and any(t is not None and t > at for t in times)


def caller_figures(calls: Iterable[CallResult], threshold: float,
                   killed_at: float | None = None) -> dict:
    """Figures from the callers' side; SIP failures count as offered and not answered.
    ``killed_at``: when a fault run's seats died (adds the fault figures)."""
    calls = list(calls)
    answered = [c for c in calls if c.outcome == "answered"]
    waits = [c.wait for c in answered if c.wait is not None]
    talks = [c.ended_at - c.answered_at for c in answered
             if c.ended_at is not None and c.answered_at is not None]
    within = sum(w <= threshold for w in waits)
    abandoned = sum(c.outcome == "abandoned" for c in calls)
    offered = len(calls)
    return {
        **_headline(offered, len(answered), abandoned, within),
        "asa_seconds": _mean(waits), "aht_seconds": _mean(talks),
        "other_outcomes": sum(c.outcome in ("ended-by-engine", "unfinished") for c in calls),
        "sip_failures": sum(c.outcome == "failed" for c in calls),
        "no_audio": sum(c.failure == "no audio" for c in calls),
        "dropped": sum(c.dropped for c in calls),
        "audio_cut": sum(c.audio_cut for c in calls),
        "requeued": sum(c.requeues > 0 for c in calls),
        "rescued": sum(c.rescued_at is not None for c in calls),
        "answered_after_kill": None if killed_at is None
        else sum(_answered_after(c, killed_at) for c in calls),
        "dropped_call_ids": [c.call_id for c in calls if c.dropped][:20],
        "failures": sorted({c.failure for c in calls if c.failure}),
    }


def seat_figures(seats, lost: Iterable[str] = ()) -> dict:
    """The seats' own counts; seats killed with their process (``lost``) have none ("n/a"),
    so the totals cover the surviving seats only."""
    lost = list(lost)
    per_seat: dict[str, dict | str] = {s.agent_id: {"taken": s.taken, "missed": s.missed,
                                                    "talk_seconds": round(s.talk, 3)}
                                       for s in seats}
    per_seat.update({agent_id: "n/a" for agent_id in lost})
    taken = sum(s.taken for s in seats)
    talk = sum(s.talk for s in seats)
    return {"calls_taken": taken, "talk_seconds": round(talk, 3),
            "mean_talk_seconds": _ratio(talk, taken), "offers": sum(s.offers for s in seats),
            "missed_offers": sum(s.missed for s in seats),
            "silent_calls": sum(s.silent for s in seats), "lost_seats": lost,
            "per_seat": per_seat}


def record_figures(calls: list[CallResult], stored: list, threshold: float,
                   killed_at: float | None = None, killed: Iterable[str] = ()) -> dict:
    """Figures from the engine's records of the calls this run placed (matched by Call-ID).

    ``missing_records`` counts connected calls with no record (lost or still stuck);
    ``duplicate_records`` counts call ids recorded more than once. After a kill at
    ``killed_at``, ``answered_after_kill`` counts calls the surviving seats answered later.
    """
    killed = set(killed)
    ours = {c.call_id: c for c in calls}
    rows: dict[str, list] = {}
    for row in stored:
        if row.call_id in ours:
            rows.setdefault(row.call_id, []).append(row)
    records = [r[0] for r in rows.values()]
    answered = [r for r in records if r.outcome == "answered"]
    within = sum(r.sl_wait <= threshold for r in answered)
    abandoned = sum(r.outcome == "abandoned" for r in records)
    connected = [c for c in calls if c.connected_at is not None]
    missing = [c.call_id for c in connected if c.call_id not in rows]
    expected = {"answered": "answered", "abandoned": "abandoned"}
    mismatches = [c.call_id for c in connected if c.call_id in rows
                  and c.outcome in expected and rows[c.call_id][0].outcome != expected[c.outcome]]
    offered = len(records)
    return {
        **_headline(offered, len(answered), abandoned, within),
        "asa_seconds": _mean([r.wait for r in answered]),
        "aht_seconds": _mean([r.talk for r in answered]),
        "other_outcomes": sum(r.outcome not in ("answered", "abandoned") for r in records),
        "reoffered": sum(r.offers > 1 for r in records),
        "reoffered_asa_seconds": _mean([r.wait for r in answered if r.offers > 1]),
        "answered_after_kill": None if killed_at is None
        else sum(r.answered_at is not None and r.answered_at > killed_at
                 and r.agent_id not in killed for r in answered),
        "killed_seats_answered": sorted({r.agent_id for r in answered if r.agent_id in killed}),
        "missing_records": len(missing),
        "duplicate_records": sum(len(r) - 1 for r in rows.values()),
        "outcome_mismatches": len(mismatches),
        "missing_call_ids": missing[:20],
        "mismatched_call_ids": mismatches[:20],
    }


def _cell(value, kind: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "sec":
        return f"{value:.1f}"
    return f"{value:.1f}" if isinstance(value, float) and value != int(value) else f"{value:.0f}"


def table(prediction: dict | None, callers: dict, records: dict | None) -> str:
    """Prediction, caller measurement and records side by side."""
    heads = ["figure", "simulator mean [95% of runs]", "callers", "engine records"]
    ranges = (prediction or {}).get("range95", {})
    cells = []
    fault = callers.get("answered_after_kill") is not None
    for key, label, kind in ROWS + (FAULT_ROWS if fault else ()):
        pred = "-"
        if prediction and prediction.get(key) is not None:
            pred = _cell(prediction[key], kind)
            if key in ranges:
                pred += f" [{_cell(ranges[key][0], kind)}-{_cell(ranges[key][1], kind)}]"
        cells.append([label, pred,
                      _cell(callers.get(key), kind) if key in callers else "-",
                      _cell(records.get(key), kind) if records and key in records else "-"])
    widths = [max(len(r[i]) for r in [heads, *cells]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                       for i, (h, w) in enumerate(zip(heads, widths, strict=True)))]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))) for row in cells]
    return "\n".join(lines)

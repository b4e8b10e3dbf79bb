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
    ("reoffered", "calls offered to 2+ seats", "int"),
    ("missing_records", "placed calls without a record", "int"),
    ("outcome_mismatches", "outcome differs from caller", "int"),
)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def caller_figures(calls: Iterable[CallResult], threshold: float) -> dict:
    """Figures from the callers' side; SIP failures count as offered and not answered."""
    calls = list(calls)
    answered = [c for c in calls if c.outcome == "answered"]
    waits = [c.wait for c in answered if c.wait is not None]
    talks = [c.ended_at - c.answered_at for c in answered
             if c.ended_at is not None and c.answered_at is not None]
    within = sum(w <= threshold for w in waits)
    abandoned = sum(c.outcome == "abandoned" for c in calls)
    offered = len(calls)
    return {
        "offered": offered, "answered": len(answered), "abandoned": abandoned,
        "answered_within_threshold": within,
        "service_level": _ratio(within, offered),
        "connection_rate": _ratio(len(answered), offered),
        "abandon_rate": _ratio(abandoned, offered),
        "asa_seconds": _mean(waits), "aht_seconds": _mean(talks),
        "other_outcomes": sum(c.outcome in ("ended-by-engine", "unfinished") for c in calls),
        "sip_failures": sum(c.outcome == "failed" for c in calls),
        "no_audio": sum(c.failure == "no audio" for c in calls),
        "failures": sorted({c.failure for c in calls if c.failure}),
    }


def seat_figures(seats) -> dict:
    taken = sum(s.taken for s in seats)
    talk = sum(s.talk for s in seats)
    return {"calls_taken": taken, "talk_seconds": round(talk, 3),
            "mean_talk_seconds": _ratio(talk, taken), "offers": sum(s.offers for s in seats),
            "missed_offers": sum(s.missed for s in seats),
            "silent_calls": sum(s.silent for s in seats),
            "per_seat": {s.agent_id: {"taken": s.taken, "missed": s.missed,
                                      "talk_seconds": round(s.talk, 3)} for s in seats}}


def record_figures(calls: list[CallResult], stored: list, threshold: float) -> dict:
    """Figures from the engine's records of the calls this run placed (matched by Call-ID).

    ``missing_records`` counts connected calls with no record (lost or still stuck);
    ``duplicate_records`` counts call ids recorded more than once.
    """
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
        "offered": offered, "answered": len(answered), "abandoned": abandoned,
        "answered_within_threshold": within,
        "service_level": _ratio(within, offered),
        "connection_rate": _ratio(len(answered), offered),
        "abandon_rate": _ratio(abandoned, offered),
        "asa_seconds": _mean([r.wait for r in answered]),
        "aht_seconds": _mean([r.talk for r in answered]),
        "other_outcomes": sum(r.outcome not in ("answered", "abandoned") for r in records),
        "reoffered": sum(r.offers > 1 for r in records),
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
    for key, label, kind in ROWS:
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

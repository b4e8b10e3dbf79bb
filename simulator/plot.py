"""The day chart a planner reads: demand against staffing, the service level by hour with its
95 % interval, and one panel per queue, hours below target in red."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BELOW, MET, NO_TARGET = "tab:red", "tab:blue", "tab:blue"


def _series(hourly: list[dict], name: str, scale: float = 1.0) -> list[float]:
    return [math.nan if h.get(name) is None else scale * h[name] for h in hourly]


def _ci(hourly: list[dict], name: str, scale: float = 1.0) -> list[float] | None:
    if not any("ci95" in h for h in hourly):
        return None
    return [scale * (h.get("ci95", {}).get(name) or 0.0) for h in hourly]


def _sl_bars(ax, hourly: list[dict], target: float | None) -> None:
    hours = [h["hour"] for h in hourly]
    sl = _series(hourly, "service_level", 100)
    colours = [NO_TARGET if target is None or math.isnan(v) else (BELOW if v < 100 * target else MET)
               for v in sl]
    ax.bar(hours, sl, color=colours, alpha=0.75, width=0.8)
    ci = _ci(hourly, "service_level", 100)
    if ci is not None:  # clipped to 0-100 %: a few calls give intervals wider than the scale
        low = [min(c, v) if not math.isnan(v) else 0.0 for c, v in zip(ci, sl, strict=True)]
        high = [min(c, 100 - v) if not math.isnan(v) else 0.0 for c, v in zip(ci, sl, strict=True)]
        ax.errorbar(hours, sl, yerr=[low, high], fmt="none", ecolor="black", elinewidth=0.8,
                    capsize=1.5)
    if target is not None:
        ax.axhline(100 * target, color=BELOW, linestyle="--", linewidth=0.9)
    ax.set_ylim(0, 109)


def plot_hourly(summary: dict, path: str | Path, title: str, target: float | None = None,
                threshold: float | None = None) -> None:
    """Write the PNG from a combined (or single) summary's ``hourly`` and ``hourly_queues``."""
    hourly = summary["hourly"]
    hours = [h["hour"] for h in hourly]
    queues = summary.get("hourly_queues", {})
    cols = min(3, max(1, len(queues)))
    rows = math.ceil(len(queues) / cols)
    fig = plt.figure(figsize=(13, 6.2 + 2.3 * rows))
    grid = fig.add_gridspec(2 + rows, cols, height_ratios=[1.25, 1.25] + [1.0] * rows,
                            hspace=0.55, wspace=0.28, top=0.93)

    demand = fig.add_subplot(grid[0, :])
    demand.bar(hours, _series(hourly, "offered"), color="tab:gray", alpha=0.55, width=0.8,
               label="calls offered per hour")
    ci = _ci(hourly, "offered")
    if ci is not None:
        demand.errorbar(hours, _series(hourly, "offered"), yerr=ci, fmt="none", ecolor="black",
                        elinewidth=0.8, capsize=1.5)
    demand.set_ylabel("calls offered / h")
    heads = demand.twinx()
    heads.step(hours, _series(hourly, "agents_staffed"), where="mid", color="tab:purple",
               linewidth=2, label="agents staffed (on shift, not on break)")
    heads.set_ylabel("agents staffed", color="tab:purple")
    heads.set_ylim(0, None)
    lines = demand.get_legend_handles_labels()
    more = heads.get_legend_handles_labels()
    demand.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    demand.set_title("demand and staffing", fontsize=10, loc="left")

    sl = fig.add_subplot(grid[1, :], sharex=demand)
    _sl_bars(sl, hourly, target)
    sl.plot(hours, _series(hourly, "occupancy", 100), color="tab:green", marker=".",
            label="agent occupancy")
    sl.plot(hours, _series(hourly, "abandon_rate", 100), color="tab:orange", marker=".",
            label="abandoned")
    what = f"answered within {threshold:g} s / offered" if threshold else "service level"
    intervals = "with 95 % intervals" if _ci(hourly, "service_level") else "one run: no intervals"
    sl.set_title(f"all calls: {what} ({intervals}); red bars: below the target"
                 + (f" {target:.0%}" if target is not None else ""), fontsize=10, loc="left")
    sl.set_ylabel("%")
    sl.legend(loc="lower left", fontsize=8)

    figures = summary.get("queues", {})
    for i, (name, q_hourly) in enumerate(queues.items()):
        ax = fig.add_subplot(grid[2 + i // cols, i % cols], sharex=demand)
        _sl_bars(ax, q_hourly, target)
        day = figures.get(name, {})
        day_sl = day.get("service_level")
        ax.set_title(f"{name}: {day.get('offered', 0):,.0f} calls, SL "
                     + (f"{day_sl:.0%}" if day_sl is not None else "-"), fontsize=9, loc="left",
                     color=BELOW if target is not None and day_sl is not None and day_sl < target
                     else "black")
        calls = ax.twinx()
        calls.plot(hours, _series(q_hourly, "offered"), color="tab:gray", linewidth=1)
        calls.set_ylim(0, None)
        calls.tick_params(axis="y", labelsize=7, colors="tab:gray")
        ax.tick_params(labelsize=7)
        if i % cols == 0:
            ax.set_ylabel("SL %", fontsize=8)
    for ax in fig.axes:
        ax.grid(alpha=0.25)
    demand.set_xticks(hours[:: max(1, len(hours) // 12)])
    fig.suptitle(title + "  (queue panels: bars SL %, grey line calls per hour)", fontsize=11,
                 y=0.975)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)

"""Hourly charts of a simulated day: service level, calls waiting, agent occupancy."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_hourly(summary: dict, path: str | Path, title: str, target: float | None = None,
                threshold: float | None = None) -> None:
    """Write a three-panel PNG from ``summary["hourly"]`` (a combined or single summary)."""
    hourly = summary["hourly"]
    hours = [h["hour"] for h in hourly]

    def series(name: str) -> list[float]:
        return [float("nan") if h[name] is None else h[name] for h in hourly]

    fig, axes = plt.subplots(3, 1, figsize=(9, 8.5), sharex=True)
    sl = [100 * v for v in series("service_level")]
    label = f"answered within {threshold:g} s / offered" if threshold else "service level"
    axes[0].bar(hours, sl, color="tab:blue", label=label)
    if target is not None:
        axes[0].axhline(100 * target, color="tab:red", linestyle="--",
                        label=f"target {target:.0%}")
    axes[0].set_ylabel("service level, %")
    axes[0].set_ylim(0, 105)
    axes[0].legend(loc="lower left", fontsize=8)
    axes[1].plot(hours, series("mean_waiting"), marker="o", label="mean")
    axes[1].plot(hours, series("max_waiting"), linestyle=":", label="max (1-min samples)")
    axes[1].set_ylabel("calls waiting")
    axes[1].legend(loc="upper left", fontsize=8)
    axes[2].plot(hours, [100 * v for v in series("occupancy")], marker="o", color="tab:green",
                 label="occupancy")
    axes[2].set_ylabel("agent occupancy, %")
    axes[2].set_ylim(0, 105)
    twin = axes[2].twinx()
    twin.step(hours, series("agents_staffed"), where="mid", color="tab:gray", alpha=0.6,
              label="agents staffed")
    twin.set_ylabel("agents staffed")
    axes[2].set_xlabel("hour")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

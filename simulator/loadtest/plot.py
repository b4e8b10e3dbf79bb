"""Calls waiting and service level over a live run (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from simulator.loadtest.caller import CallResult  # noqa: E402


def service_level_series(calls: list[CallResult], started: float, times: list[float],
                         threshold: float) -> list[float]:
    """At each time: answered within the threshold / calls whose outcome against it is known."""
    out = []
    for t in times:
        now = started + t
        known = within = 0
        for c in calls:
            if c.queued_at is None or c.queued_at > now:
                continue
            answered = c.answered_at is not None and c.answered_at <= now
            if answered and c.wait is not None and c.wait <= threshold:
                within += 1
                known += 1
            elif answered or now - c.queued_at > threshold or (
                    c.ended_at is not None and c.ended_at <= now):
                known += 1
        out.append(100.0 * within / known if known else float("nan"))
    return out


def plot_run(samples: list[dict], calls: list[CallResult], started: float, path: str | Path,
             title: str, threshold: float, prediction: dict | None = None) -> None:
    times = [s["t"] for s in samples]
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    axes[0].plot(times, [s["waiting"] for s in samples], label="waiting (callers)")
    if any(s.get("engine_waiting") is not None for s in samples):
        axes[0].plot(times, [s.get("engine_waiting") for s in samples], linestyle=":",
                     label="waiting (engine)")
    axes[0].plot(times, [s["talking"] for s in samples], alpha=0.6, label="talking")
    axes[0].set_ylabel("calls")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[1].plot(times, service_level_series(calls, started, times, threshold), color="tab:blue",
                 label=f"answered within {threshold:g} s (cumulative)")
    if prediction and prediction.get("service_level") is not None:
        mean = 100 * prediction["service_level"]
        bounds = prediction.get("range95", {}).get("service_level")
        axes[1].axhline(mean, color="tab:red", linestyle="--", label="simulator mean")
        if bounds:
            axes[1].axhspan(100 * bounds[0], 100 * bounds[1], color="tab:red", alpha=0.15,
                            label="simulator: 95% of runs")
    axes[1].set_ylabel("service level, %")
    axes[1].set_ylim(0, 105)
    axes[1].set_xlabel("seconds into the run")
    axes[1].legend(loc="lower left", fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

"""Accuracy: the simulator (production ACD in the loop) against Erlang A and Erlang C.

The M/M/c+M system of the staffing fact: 1,000 calls/h, 300 s handle time, 120 s mean
patience, 15 s threshold, 93 agents (Erlang A's minimum for 95 % of offered within 15 s).
Prints simulated mean, standard error, the Erlang A value and the distance in standard
errors; then the same without patience against Erlang C at 97 agents; then a sweep over
agent counts, plotted with both formulas.

    python bench/bench_sim_erlang.py [--replications 10] [--hours 24] [--plot sim_vs_erlang.png]
"""

from __future__ import annotations

import argparse
import dataclasses
import math

from tqdm import tqdm

from simulator.erlang import queue_metrics
from simulator.replications import run_replications
from simulator.scenario import Distribution, StaffGroup, load_scenario

LAM, AHT, PATIENCE, THRESHOLD = 1000 / 3600, 300.0, 120.0, 15.0
tqdm.monitor_interval = 0  # no monitor thread: replications fork
FIGURES = ("service_level", "abandon_rate", "asa_seconds", "occupancy")


def scenario(agents: int, hours: float, patience: float | None):
    loaded = load_scenario("mmc-plus-m")
    base = loaded.scenario
    update = {
        "duration_hours": hours,
        "staffing": [StaffGroup(name="pool", count=agents, skills=dict(base.staffing[0].skills))],
        "patience": (Distribution(distribution="exponential", mean_seconds=patience)
                     if patience else Distribution(distribution="none")),
    }
    return dataclasses.replace(loaded, scenario=base.model_copy(update=update))


def simulate_many(agents: int, hours: float, patience: float | None, reps: int, seed: int,
                  desc: str) -> dict[str, list[float]]:
    bar = tqdm(total=reps, desc=desc, unit="run", leave=False)
    results = run_replications(scenario(agents, hours, patience), reps, seed, jobs=2,
                               on_done=lambda _: bar.update(1))
    bar.close()
    return {name: [r.summary["overall"][name] for r in results] for name in FIGURES}


def mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def compare(title: str, sims: dict[str, list[float]], theory, names=FIGURES) -> bool:
    print(f"\n{title}")
    print(f"  {'figure':<14}{'simulated':>12}{'± s.e.':>10}{'formula':>12}{'distance':>12}")
    ok = True
    for name in names:
        mean, se = mean_se(sims[name])
        expected = getattr(theory, name)
        z = (mean - expected) / se if se > 0 else 0.0
        ok &= abs(z) <= 3
        print(f"  {name:<14}{mean:>12.5f}{se:>10.5f}{expected:>12.5f}{z:>+10.2f} se")
    print(f"  all within 3 standard errors: {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--sweep-replications", type=int, default=4)
    parser.add_argument("--plot", default="sim_vs_erlang.png")
    args = parser.parse_args()

    reps, hours = args.replications, args.hours
    sims = simulate_many(93, hours, PATIENCE, reps, seed=1, desc="93 agents, Erlang A")
    compare(f"93 agents, patience {PATIENCE:g} s, {reps} x {hours:g} h vs Erlang A", sims,
            queue_metrics(LAM, AHT, 93, THRESHOLD, PATIENCE))
    sims = simulate_many(97, hours, None, reps, seed=2, desc="97 agents, Erlang C")
    compare(f"97 agents, no abandonment, {reps} x {hours:g} h vs Erlang C", sims,
            queue_metrics(LAM, AHT, 97, THRESHOLD, None),
            ("service_level", "asa_seconds", "occupancy"))

    counts = list(range(86, 101, 2))
    rows = []
    for agents in counts:
        s = simulate_many(agents, hours, PATIENCE, args.sweep_replications, seed=3,
                          desc=f"sweep {agents} agents")
        rows.append((agents, *mean_se(s["service_level"]), *mean_se(s["abandon_rate"])))
    print("\nsweep (service level = answered within 15 s / offered):")
    print(f"  {'agents':>6}{'sim SL':>10}{'Erlang A':>10}{'Erlang C':>10}{'sim aband.':>12}"
          f"{'Erlang A':>10}")
    for agents, sl, _, ab, _ in rows:
        a = queue_metrics(LAM, AHT, agents, THRESHOLD, PATIENCE)
        c = queue_metrics(LAM, AHT, agents, THRESHOLD, None)
        print(f"  {agents:>6}{sl:>10.4f}{a.service_level:>10.4f}{c.service_level:>10.4f}"
              f"{ab:>12.4f}{a.abandon_rate:>10.4f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fine = list(range(counts[0], counts[-1] + 1))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(fine, [queue_metrics(LAM, AHT, c, THRESHOLD, PATIENCE).service_level for c in fine],
             label="Erlang A")
    ax1.plot(fine, [queue_metrics(LAM, AHT, c, THRESHOLD, None).service_level for c in fine],
             linestyle="--", label="Erlang C")
    ax1.errorbar(counts, [r[1] for r in rows], yerr=[3 * r[2] for r in rows], fmt="o",
                 capsize=3, label="simulated (±3 s.e.)")
    ax1.axhline(0.95, color="gray", linewidth=0.8)
    ax1.set_xlabel("agents")
    ax1.set_ylabel("answered within 15 s / offered")
    ax1.legend()
    ax2.plot(fine, [queue_metrics(LAM, AHT, c, THRESHOLD, PATIENCE).abandon_rate for c in fine],
             label="Erlang A")
    ax2.errorbar(counts, [r[3] for r in rows], yerr=[3 * r[4] for r in rows], fmt="o",
                 capsize=3, label="simulated (±3 s.e.)")
    ax2.set_xlabel("agents")
    ax2.set_ylabel("abandon rate")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.suptitle("1,000 calls/h, 300 s handle, 120 s patience: simulator vs formulas")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=110)
    print(f"\nplot written to {args.plot}")


if __name__ == "__main__":
    main()

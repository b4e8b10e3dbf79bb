"""Blending: a Jinan day (the shipped ``jinan-day`` scenario) with and without a return-visit
campaign of agent calls, through the production ACD, the outbound dialer and the blending gate.

Each replication runs the day twice on the same seed: inbound only, then with the campaign
blended in. Prints inbound service level (overall and per Mandarin queue) with 95 % intervals,
whether the campaign run stays within the no-campaign interval, and the campaign's completion
(reached, not reached after its attempts, still pending at midnight, dials, agent hours).

    python bench/bench_blending.py [--replications 8] [--tasks 3000] [--target 0.90]
        [--margin 0.05] [--reserve 3] [--floor 0.80] [--plot blending.png] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from outbound.blending import BlendPolicy
from simulator.engine import simulate
from simulator.metrics import summarize
from simulator.outbound import OutboundWork
from simulator.replications import half_width
from simulator.scenario import load_scenario

QUEUES = ("zh-general", "zh-consumer", "zh-housing-fund")
REQUIREMENTS = {"zh": 1, "general": 3}  # the general seats (specialists keep their queues)


def _interval(values: list[float]) -> tuple[float, float]:
    return sum(values) / len(values), half_width(values) or 0.0


def run(replications: int, tasks: int, policy: BlendPolicy, seed: int) -> dict:
    loaded = load_scenario("jinan-day")
    patience = loaded.scenario.patience.mean
    policy = BlendPolicy(target=policy.target, margin=policy.margin, threshold=15.0, patience=patience,
                         reserve=policy.reserve, floor=policy.floor)
    base: list[dict] = []
    blended: list[dict] = []
    campaign: list[dict] = []
    started = time.perf_counter()
    for rep in range(replications):
        base.append(summarize(simulate(loaded, seed, rep), loaded))
        work = OutboundWork(tasks, seed * 100_000 + rep, policy=policy, requirements=REQUIREMENTS)
        blended.append(summarize(simulate(loaded, seed, rep, outbound=work), loaded))
        figures = work.close()
        campaign.append({"reached": figures.reached, "not_reached": figures.not_reached,
                         "expired": figures.expired, "pending": figures.pending, "dials": figures.dials,
                         "agent_hours": figures.agent_seconds / 3600,
                         "reached_by_hour": figures.reached_by_hour})
    out: dict = {"replications": replications, "tasks": tasks, "target": policy.target,
                 "margin": policy.margin, "reserve": policy.reserve, "floor": policy.floor,
                 "seconds": round(time.perf_counter() - started, 1),
                 "load": os.getloadavg()[0], "inbound": {}, "campaign": {}}
    for name, pick in [("overall", lambda s: s["overall"])] + [
            (q, lambda s, q=q: s["queues"][q]) for q in QUEUES]:
        for label, runs in (("without", base), ("with", blended)):
            values = [pick(s)["service_level"] for s in runs]
            out["inbound"].setdefault(name, {})[label] = _interval(values)
        (mean0, hw0), (mean1, _) = out["inbound"][name]["without"], out["inbound"][name]["with"]
        out["inbound"][name]["within"] = abs(mean1 - mean0) <= hw0
    for key in ("reached", "not_reached", "expired", "pending", "dials", "agent_hours"):
        out["campaign"][key] = _interval([float(c[key]) for c in campaign])
    out["campaign"]["reached_by_hour"] = [
        sum(c["reached_by_hour"][h] for c in campaign) / replications for h in range(24)]
    out["hourly"] = {
        label: [_interval([s["hourly"][h]["service_level"] or 0.0 for s in runs]) for h in range(24)]
        for label, runs in (("without", base), ("with", blended))}
    return out


def report(out: dict) -> None:
    print(f"jinan-day, {out['replications']} replications, campaign of {out['tasks']} return visits "
          f"(agent calls), gate: predicted SL >= {out['target']:.2f} + {out['margin']:.2f}, "
          f"{out['reserve']} agents kept idle, floor {out['floor']}; "
          f"{out['seconds']} s, load average {out['load']:.1f}")
    print(f"{'inbound SL (15 s)':<20}{'without campaign':>20}{'with campaign':>20}  within interval")
    for name, row in out["inbound"].items():
        (m0, h0), (m1, h1) = row["without"], row["with"]
        print(f"{name:<20}{m0:>13.1%} ±{h0:5.1%}{m1:>13.1%} ±{h1:5.1%}  {'yes' if row['within'] else 'NO'}")
    c = out["campaign"]
    print("campaign: " + ", ".join(
        f"{key.replace('_', ' ')} {c[key][0]:.0f} ±{c[key][1]:.0f}"
        for key in ("reached", "not_reached", "expired", "pending", "dials"))
        + f", agent hours {c['agent_hours'][0]:.0f}; completion {c['reached'][0] / out['tasks']:.1%}")


def plot(out: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hours = list(range(24))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for label, colour in (("without", "tab:blue"), ("with", "tab:orange")):
        means = [m for m, _ in out["hourly"][label]]
        widths = [h for _, h in out["hourly"][label]]
        top.errorbar(hours, means, yerr=widths, label=f"{label} campaign", color=colour, capsize=2)
    top.set_ylabel("inbound SL (15 s)")
    top.set_ylim(0, 1.05)
    top.legend()
    bottom.bar(hours, out["campaign"]["reached_by_hour"], color="tab:green")
    bottom.set_ylabel("return visits reached")
    bottom.set_xlabel("hour of day")
    fig.suptitle(f"jinan-day with a campaign of {out['tasks']} return visits "
                 f"({out['replications']} replications, 95 % intervals)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--target", type=float, default=0.90)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--reserve", type=int, default=3, help="idle agents always left for inbound")
    parser.add_argument("--floor", type=float, default=0.80,
                        help="no outbound while an inbound queue's measured SL is below this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="write the hourly SL and completion plot here (PNG)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.replications < 2:
        parser.error("--replications: at least 2 for an interval")
    policy = BlendPolicy(target=args.target, margin=args.margin, reserve=args.reserve, floor=args.floor)
    out = run(args.replications, args.tasks, policy, args.seed)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        report(out)
    if args.plot:
        plot(out, args.plot)


if __name__ == "__main__":
    main()

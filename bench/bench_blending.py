"""Blending: a Jinan day (the shipped ``jinan-day`` scenario) with and without a return-visit
campaign, through the production ACD, the outbound dialer and the blending gate.

Each replication runs the day twice on the same seed: inbound only, then with the campaign.
Prints inbound service level (overall and per Mandarin queue) with 95 % intervals, whether the
campaign run stays within the no-campaign interval, and the campaign's completion (reached,
not reached after its attempts, still pending at midnight, dials, dials per reached visit,
agent hours, and the days the campaign needs at this rate). For agent calls it also says
where the blended agents' idle time in calling hours went: given to outbound work, or held
back by the gate (by its first reason: the idle agents kept in reserve, the Erlang A
prediction under target + margin, a queue under the floor, ...).

The ways to run the campaign: blended agent calls (the default); ``--dedicated N`` agents who
do outbound work only, on ``--dedicated-shift`` (they take no inbound call); ``--mode survey``,
automated survey calls on ``--lines`` trunk lines with no agent at all.

    python bench/bench_blending.py [--replications 8] [--tasks 3000] [--target 0.90]
        [--margin 0.05] [--reserve 3] [--floor 0.80] [--mode agent|survey] [--lines 30]
        [--dedicated 0] [--dedicated-shift 9-17] [--plot blending.png] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time

from outbound.blending import BlendPolicy
from outbound.model import Mode
from simulator.engine import simulate
from simulator.metrics import summarize
from simulator.outbound import DEDICATED_SKILL, OutboundWork
from simulator.replications import half_width
from simulator.scenario import Break, LoadedScenario, Shift, StaffGroup, load_scenario

QUEUES = ("zh-general", "zh-consumer", "zh-housing-fund")
REQUIREMENTS = {"zh": 1, "general": 3}  # the general seats (specialists keep their queues)
HELD = ("reserve", "prediction", "floor", "inbound waiting", "no rate yet", "no task due")


def with_dedicated(loaded: LoadedScenario, count: int, shift: tuple[float, float]) -> LoadedScenario:
    """``loaded`` with ``count`` Mandarin agents who do outbound work only, on ``shift`` (hours),
    with a staggered half-hour lunch as the day shift has."""
    group = StaffGroup(name="outbound", count=count, skills={"zh": 4, DEDICATED_SKILL: 4},
                       shifts=[Shift(start_hour=shift[0], end_hour=shift[1])],
                       breaks=[Break(start_hour=12, minutes=30, stagger_minutes=60)])
    scenario = loaded.scenario.model_copy(update={"staffing": [*(loaded.scenario.staffing or []), group]})
    return dataclasses.replace(loaded, scenario=scenario)


def _interval(values: list[float]) -> tuple[float, float]:
    return sum(values) / len(values), half_width(values) or 0.0


def run(replications: int, tasks: int, policy: BlendPolicy, seed: int, *, mode: Mode = Mode.AGENT,
        lines: int = 30, dedicated: int = 0, shift: tuple[float, float] = (9.0, 17.0)) -> dict:
    loaded = load_scenario("jinan-day")
    staffed = with_dedicated(loaded, dedicated, shift) if dedicated else loaded
    patience = loaded.scenario.patience.mean
    policy = BlendPolicy(target=policy.target, margin=policy.margin, threshold=15.0, patience=patience,
                         reserve=policy.reserve, floor=policy.floor)
    base: list[dict] = []
    blended: list[dict] = []
    campaign: list[dict] = []
    started = time.perf_counter()
    for rep in range(replications):
        base.append(summarize(simulate(loaded, seed, rep), loaded))
        work = OutboundWork(tasks, seed * 100_000 + rep, policy=policy, requirements=REQUIREMENTS,
                            mode=mode, lines=lines, dedicated=dedicated > 0)
        blended.append(summarize(simulate(staffed, seed, rep, outbound=work), loaded))
        figures = work.close()
        campaign.append({"reached": figures.reached, "not_reached": figures.not_reached,
                         "expired": figures.expired, "pending": figures.pending, "dials": figures.dials,
                         "agent_hours": figures.agent_seconds / 3600,
                         "dedicated_hours": figures.dedicated_seconds / 3600,
                         "line_hours": figures.line_seconds / 3600,
                         "pool_hours": figures.pool_seconds / 3600,
                         **{f"held {why}": figures.held.get(why, 0.0) / 3600 for why in HELD},
                         "reached_by_hour": figures.reached_by_hour})
    out: dict = {"replications": replications, "tasks": tasks, "target": policy.target,
                 "margin": policy.margin, "reserve": policy.reserve, "floor": policy.floor,
                 "mode": mode.value, "lines": lines, "dedicated": dedicated, "shift": list(shift),
                 "seconds": round(time.perf_counter() - started, 1),
                 "load": os.getloadavg()[0], "inbound": {}, "campaign": {}}
    for name, pick in [("overall", lambda s: s["overall"])] + [
            (q, lambda s, q=q: s["queues"][q]) for q in QUEUES]:
        for label, runs in (("without", base), ("with", blended)):
            values = [pick(s)["service_level"] for s in runs]
            out["inbound"].setdefault(name, {})[label] = _interval(values)
        (mean0, hw0), (mean1, _) = out["inbound"][name]["without"], out["inbound"][name]["with"]
        out["inbound"][name]["within"] = abs(mean1 - mean0) <= hw0
    for key in campaign[0]:
        if key != "reached_by_hour":
            out["campaign"][key] = _interval([float(c[key]) for c in campaign])
    c = out["campaign"]
    reached, done = c["reached"][0], c["reached"][0] + c["not_reached"][0] + c["expired"][0]
    c["dials_per_reached"] = c["dials"][0] / reached if reached else None
    # days until every task is over (reached or given up), at the day's rate
    c["days_needed"] = (1 if c["pending"][0] == 0 else math.ceil(tasks / done)) if done else None
    out["campaign"]["reached_by_hour"] = [
        sum(c["reached_by_hour"][h] for c in campaign) / replications for h in range(24)]
    out["hourly"] = {
        label: [_interval([s["hourly"][h]["service_level"] or 0.0 for s in runs]) for h in range(24)]
        for label, runs in (("without", base), ("with", blended))}
    return out


def _how(out: dict) -> str:
    if out["mode"] == "survey":
        return f"automated survey calls on {out['lines']} lines"
    start, end = out["shift"]
    dedicated = (f", {out['dedicated']} dedicated agents {start:g}-{end:g} h" if out["dedicated"] else "")
    return (f"agent calls{dedicated}, gate: predicted SL >= {out['target']:.2f} + {out['margin']:.2f}, "
            f"{out['reserve']} agents kept idle, floor {out['floor']}")


def report(out: dict) -> None:
    print(f"jinan-day, {out['replications']} replications, campaign of {out['tasks']} return visits "
          f"({_how(out)}); {out['seconds']} s, load average {out['load']:.1f}")
    print(f"{'inbound SL (15 s)':<20}{'without campaign':>20}{'with campaign':>20}  within interval")
    for name, row in out["inbound"].items():
        (m0, h0), (m1, h1) = row["without"], row["with"]
        print(f"{name:<20}{m0:>13.1%} ±{h0:5.1%}{m1:>13.1%} ±{h1:5.1%}  {'yes' if row['within'] else 'NO'}")
    c = out["campaign"]
    print("campaign: " + ", ".join(
        f"{key.replace('_', ' ')} {c[key][0]:.0f} ±{c[key][1]:.0f}"
        for key in ("reached", "not_reached", "expired", "pending", "dials"))
        + f", agent hours {c['agent_hours'][0]:.0f}; completion {c['reached'][0] / out['tasks']:.1%}")
    if c["dials_per_reached"] is not None:
        print(f"dials per reached visit {c['dials_per_reached']:.2f}; at this rate the campaign needs "
              f"{c['days_needed']} day(s) (until every visit is reached or given up)")
    if out["mode"] == "survey":
        print(f"trunk hours {c['line_hours'][0]:.1f} (no agent time)")
        return
    if out["dedicated"]:
        print(f"of the agent hours, dedicated agents {c['dedicated_hours'][0]:.1f}")
    blended = c["agent_hours"][0] - c["dedicated_hours"][0]
    held = {why: c[f"held {why}"][0] for why in HELD}
    print(f"blended pool in calling hours: {c['pool_hours'][0]:.0f} agent-hours available; "
          f"given to outbound {blended:.1f} h; idle but held back {sum(held.values()):.1f} h ("
          + ", ".join(f"{why} {hours:.1f} h" for why, hours in held.items()) + ")")


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
    parser.add_argument("--mode", choices=[m.value for m in Mode], default="agent",
                        help="agent calls (blended, and dedicated agents if any) or automated surveys")
    parser.add_argument("--lines", type=int, default=30, help="survey calls at once (--mode survey)")
    parser.add_argument("--dedicated", type=int, default=0, help="agents who do outbound work only")
    parser.add_argument("--dedicated-shift", default="9-17", help="their shift, hours FROM-TO")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="write the hourly SL and completion plot here (PNG)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.replications < 2:
        parser.error("--replications: at least 2 for an interval")
    policy = BlendPolicy(target=args.target, margin=args.margin, reserve=args.reserve, floor=args.floor)
    try:
        shift = tuple(float(h) for h in args.dedicated_shift.split("-"))
        if len(shift) != 2 or not 0 <= shift[0] < shift[1] <= 24:
            raise ValueError
    except ValueError:
        parser.error(f"--dedicated-shift: expected FROM-TO hours within 0-24, e.g. 9-17, "
                     f"got {args.dedicated_shift!r}")
    if args.lines < 1 or args.dedicated < 0:
        parser.error("--lines: at least 1; --dedicated: not negative")
    out = run(args.replications, args.tasks, policy, args.seed, mode=Mode(args.mode), lines=args.lines,
              dedicated=args.dedicated, shift=shift)  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        report(out)
    if args.plot:
        plot(out, args.plot)


if __name__ == "__main__":
    main()

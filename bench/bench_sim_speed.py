"""Simulated calls per second: our simulator (production ACD in the loop) vs a plain SimPy model.

Both run the same single-queue M/M/c+M system (1,000 calls/h, 300 s handle time, 120 s
patience, 93 agents) for the same simulated hours in the same process, run by run in turn.
Ours also walks every caller through the line's real IVR flow before the queue (the flow's
time shifts the arrivals, it does not change the queue); SimPy's callers queue at once.
Rates are calls per CPU second of this process, so other work on the machine counts little
(the load average is printed beside them). Also reports how much of our time is spent inside
the router (``ACD.handle`` / ``on_timer`` / ``next_deadline``) and in the IVR walk, and the
speed on the shipped 7-language day scenario.

    python bench/bench_sim_speed.py [--hours 100] [--repeat 3]

With the compiled core (``CALLCENTER_COMPILE=1 pip install --no-build-isolation -e .``, or
``CALLCENTER_COMPILE=1 python setup.py build_ext --inplace``) the first line says which
modules run compiled.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import time

import simpy

from acd.compiled import compiled_modules
from simulator.engine import Simulation
from simulator.replications import run_replications
from simulator.scenario import load_scenario

CALLS_PER_HOUR, AHT, PATIENCE, AGENTS = 1000.0, 300.0, 120.0, 93


def simpy_mmc_m(hours: float, seed: int) -> int:
    """The same M/M/c+M queue in SimPy; returns the number of calls simulated."""
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    rng = random.Random(seed)
    lam, mu, theta = CALLS_PER_HOUR / 3600, 1 / AHT, 1 / PATIENCE
    end = hours * 3600
    outcome = {"answered": 0, "abandoned": 0}

    def call(env: simpy.Environment):
        with agents.request() as request:
            patience = env.timeout(rng.expovariate(theta))
            result = yield request | patience
            if request in result:
                outcome["answered"] += 1
                yield env.timeout(rng.expovariate(mu))
            else:
                outcome["abandoned"] += 1

    def source(env: simpy.Environment):
        while True:
            yield env.timeout(rng.expovariate(lam))
            if env.now >= end:
                return
            env.process(call(env))

    env.process(source(env))
    env.run()
    return outcome["answered"] + outcome["abandoned"]


CLOCK = time.process_time


def ours(name: str, hours: float | None, seed: int, time_router: bool = False) -> tuple:
    """(calls, seconds, {part: seconds} or None) for one run of a shipped scenario; with
    ``time_router`` the router's and the IVR walk's own seconds (plain Python only)."""
    loaded = load_scenario(name)
    if hours is not None:
        scenario = loaded.scenario.model_copy(update={"duration_hours": hours})
        loaded = dataclasses.replace(loaded, scenario=scenario)
    sim = Simulation(loaded, seed=seed)
    inside = {"router": 0.0, "ivr": 0.0}
    if time_router:
        for part, obj, attr in ((part, obj, attr) for part, obj, names in (
                ("router", sim.acd, ("handle", "on_timer", "next_deadline")),
                ("ivr", sim.ivr, ("enter",))) for attr in names):
            original = getattr(obj, attr)

            def timed(*args, _original=original, _part=part):
                started = CLOCK()
                try:
                    return _original(*args)
                finally:
                    inside[_part] += CLOCK() - started

            setattr(obj, attr, timed)
    started = CLOCK()
    result = sim.run()
    elapsed = CLOCK() - started
    return len(result.records), elapsed, inside if time_router else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    compiled = compiled_modules()
    print(f"core: {'compiled (mypyc): ' + ', '.join(compiled) if compiled else 'plain Python'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    best_ours = best_simpy = 0.0
    ratios = []
    for rep in range(args.repeat):
        calls, seconds, _ = ours("mmc-plus-m", args.hours, seed=rep)
        best_ours = max(best_ours, calls / seconds)
        started = CLOCK()
        simpy_calls = simpy_mmc_m(args.hours, seed=rep)
        simpy_rate = simpy_calls / (CLOCK() - started)
        best_simpy = max(best_simpy, simpy_rate)
        ratios.append(calls / seconds / simpy_rate)
        print(f"run {rep + 1}: ours {calls / seconds:,.0f} calls/s ({calls} calls), "
              f"simpy {simpy_rate:,.0f} calls/s ({simpy_calls} calls), ratio {ratios[-1]:.2f}")
    print(f"\nM/M/c+M, {AGENTS} agents, {CALLS_PER_HOUR:g} calls/h, {args.hours:g} h simulated "
          f"(best of {args.repeat}, calls per CPU second; load average now "
          f"{os.getloadavg()[0]:.1f}):")
    print(f"  ours (production ACD, IVR flow):   {best_ours:>10,.0f} calls/s")
    print(f"  plain SimPy model:                 {best_simpy:>10,.0f} calls/s")
    print(f"  ratio ours / SimPy, best / best:   {best_ours / best_simpy:>10.2f}")
    print(f"  ratio per run (paired), median:    {statistics.median(ratios):>10.2f}")
    print(f"  goal 4x SimPy reached:             {'yes' if best_ours >= 4 * best_simpy else 'no'}")

    if compiled:  # a compiled ACD's methods cannot be wrapped for timing
        print("\ntime split: not measured with the compiled core")
    else:
        calls, seconds, parts = ours("mmc-plus-m", args.hours, seed=99, time_router=True)
        router, ivr = parts["router"], parts["ivr"]
        print(f"\ntime split (instrumented run, {calls} calls, {seconds:.2f} s): router "
              f"{router / seconds:.0%}, IVR walk {ivr / seconds:.0%}, simulator loop and "
              f"sampling {1 - (router + ivr) / seconds:.0%}")

    loaded = load_scenario("mmc-plus-m")
    loaded = dataclasses.replace(
        loaded, scenario=loaded.scenario.model_copy(update={"duration_hours": args.hours / 2})
    )
    started = time.perf_counter()  # wall clock: the work is in two other processes
    reps = run_replications(loaded, replications=4, seed=7, jobs=2)
    wall = time.perf_counter() - started
    calls = sum(r.calls for r in reps)
    print(f"\n4 replications over 2 processes (--replications): {calls / wall:,.0f} calls/s "
          f"aggregate ({calls} calls in {wall:.2f} s, including process start-up)")

    day = [ours("jinan-day", None, seed=rep) for rep in range(args.repeat)]
    best = max(c / s for c, s, _ in day)
    print(f"\nshipped jinan-day scenario (7 languages, 3 lines, shifts, IVR/ring/wrap-up): "
          f"{day[0][0]} calls, {best:,.0f} calls per CPU second (best of {args.repeat}); "
          f"{best / best_simpy:.2f}x the SimPy M/M/c+M model above (a day does more per call: "
          f"ringing, wrap-up, escalations, menus, first walks of the flows)")


if __name__ == "__main__":
    main()

"""Agents' outbound calls: what one tick of the blending gate costs the live engine's loop.

``serve`` asks the gate every ``agent_calls.tick_seconds`` (2 s) on the engine's loop, the
loop that also carries every call's SIP and RTP. This builds the production ACD from the
shipped config (40 agents, its inbound queues and the outbound queue), a dialer holding
``--tasks`` due return visits in progressive mode, the agents logged in and ready, and times
``Blender.offer`` as the live runner calls it (each task needing its line's skills, checked
against the ACD's idle agents first):

* the first tick, which hands one task to every idle agent that fits,
* then a busy tick (every agent on a task: the gate refuses at once), p50/p99,
* a tick while an inbound call waits (inbound wins: nothing is offered), p50/p99,
* and, with every due task English but the newest and no English speaker signed in, the tick
  that passes over them to offer the Chinese one, then ticks with agents idle and nothing
  they fit (the English tasks stay due, in order, asked about once per tick), p50/p99.

    python bench/bench_agent_gate.py --tasks 3000 --ticks 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.commands import OfferCall  # noqa: E402
from acd.engine import ACD  # noqa: E402
from acd.events import AgentLoggedIn, CallArrived  # noqa: E402
from callcenter.config import load_config  # noqa: E402
from callcenter.config.outbound_section import OutboundSection  # noqa: E402
from outbound.blending import Blender, BlendGate  # noqa: E402
from outbound.dialer import Dialer  # noqa: E402
from outbound.model import Kind  # noqa: E402

NOW = 1_800_000_000.0


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e6)
    return out


def build(config, section, languages: list[str], signed_in) -> tuple[ACD, Dialer, Blender]:
    """The ACD with the agents ``signed_in`` picks ready, and a blender over a dialer holding one
    due return visit per entry of ``languages`` (oldest first)."""
    queue = section.agent_queue()
    assert queue is not None
    acd = ACD([*config.queue_specs(), queue], config.agent_specs(), rng=random.Random(1))
    for agent in config.agents:
        if signed_in(agent):
            acd.handle(AgentLoggedIn(agent.id, ready=True), NOW)
    dialer = Dialer(section.rules(config.center.timezone))
    for i, language in enumerate(languages):
        dialer.add_visit(f"case-{i}", f"138{i:08d}", "12345", NOW, not_before=NOW,
                         kind=Kind.RETURN_VISIT, language=language)
    level = config.service_level
    gate = BlendGate(section.agent_calls.policy(level.target, level.threshold_seconds))
    blender = Blender(acd, dialer, gate, queue.name, [a.agent_id for a in config.agent_specs()],
                      config.inbound_queues(),
                      requirements=lambda line, language: dict(
                          config.queue(config.route_for(line, language)).requirements))
    blender.observe(NOW - 60)
    return acd, dialer, blender


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--ticks", type=int, default=2000)
    args = parser.parse_args()
    config = load_config()
    section = OutboundSection(gateway="127.0.0.1:5060", calling_hours="00:00-23:59",
                              return_visits={"mode": "progressive"}, agent_calls={"warmup_seconds": 0})
    now = NOW
    acd, _, blender = build(config, section, ["zh" if i % 10 else "en" for i in range(args.tasks)],
                            lambda agent: True)
    start = time.perf_counter()
    first = blender.offer(now)
    first_us = (time.perf_counter() - start) * 1e6
    offered = sum(isinstance(c, OfferCall) for c in first)
    busy = timed(lambda: blender.offer(now + 1), args.ticks)
    acd.handle(CallArrived("inbound-1", "zh-general", 0, now + 2), now + 2)  # rings no one: all busy
    waiting = timed(lambda: blender.offer(now + 3), args.ticks)
    # every due task English but the newest, and no English speaker signed in
    _, unfit_dialer, unfit = build(config, section, ["en"] * args.tasks + ["zh"],
                                   lambda agent: "en" not in agent.skills)
    start = time.perf_counter()
    passed_over = sum(isinstance(c, OfferCall) for c in unfit.offer(now))
    passed_us = (time.perf_counter() - start) * 1e6
    idle_unfit = timed(lambda: unfit.offer(now + 1), args.ticks)
    assert sum(t.attempts for t in unfit_dialer.tasks.values()) == 0

    def q(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100)[p - 1]

    print(f"{len(config.agents)} agents, {args.tasks} due tasks, {args.ticks} ticks each")
    print(f"first tick: {offered} tasks offered in {first_us:.0f} us")
    print(f"busy tick (no agent idle):   p50 {q(busy, 50):.1f} us, p99 {q(busy, 99):.1f} us")
    print(f"inbound waiting (inbound wins): p50 {q(waiting, 50):.1f} us, p99 {q(waiting, 99):.1f} us")
    print(f"{args.tasks} English tasks ahead, no English speaker in: the Chinese one behind them offered "
          f"({passed_over}) in {passed_us:.0f} us; then a tick with agents idle and only English due: "
          f"p50 {q(idle_unfit, 50):.1f} us, p99 {q(idle_unfit, 99):.1f} us")


if __name__ == "__main__":
    main()

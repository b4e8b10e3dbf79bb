"""Routing benchmark: events per second and p99 decision latency of the ACD under load.

2,000 agents in 40 skill groups (a quarter of them with a second skill), 1,000 calls waiting,
every agent busy: each step an agent hangs up (and at once takes the best waiting call),
answers, a new call arrives, and now and then a waiting caller gives up. The same event
stream drives, side by side, a naive router that scans every agent and every waiting call per
decision (the shape of app_queue-style routers) as the baseline.

    python bench/bench_acd.py                 # 2,000 agents, 1,000 waiting, 100,000 events
    python bench/bench_acd.py --agents 8000   # decision cost does not grow with the roster
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.commands import OfferCall  # noqa: E402
from acd.engine import ACD  # noqa: E402
from acd.events import (  # noqa: E402
    AgentAnswered,
    AgentHungUp,
    AgentLoggedIn,
    CallArrived,
    CallerHungUp,
)
from acd.model import QueueSpec  # noqa: E402
from agents.model import AgentSpec  # noqa: E402


def build(groups: int, agents: int, seed: int) -> tuple[list[QueueSpec], list[AgentSpec]]:
    rng = random.Random(seed)
    queues = [QueueSpec(f"q{g}", {f"s{g}": 2}) for g in range(groups)]
    roster = []
    for i in range(agents):
        skills = {f"s{i % groups}": rng.randint(2, 5)}
        if i % 4 == 0:
            skills[f"s{rng.randrange(groups)}"] = rng.randint(1, 5)
        roster.append(AgentSpec(f"a{i}", skills=skills, wrap_up_seconds=0))
    return queues, roster


class NaiveRouter:
    """Baseline: the same rules with a scan of all agents / all waiting calls per decision."""

    def __init__(self, queues: list[QueueSpec], roster: list[AgentSpec]) -> None:
        self.req = {q.name: q.requirements for q in queues}
        self.skills = {a.agent_id: a.skills for a in roster}
        self.idle_since: dict[str, float] = {}
        self.busy: dict[str, str] = {}
        self.waiting: dict[str, tuple[float, int, str]] = {}
        self.seq = 0

    def eligible(self, agent: str, queue: str) -> bool:
        skills = self.skills[agent]
        return all(skills.get(s, 0) >= lvl for s, lvl in self.req[queue].items())

    def login(self, agent: str, now: float) -> str | None:
        return self.free(agent, now)

    def free(self, agent: str, now: float) -> str | None:
        best = None
        for call, (enq, seq, queue) in self.waiting.items():
            if self.eligible(agent, queue) and (best is None or (enq, seq) < best[0]):
                best = ((enq, seq), call)
        if best is None:
            self.idle_since[agent] = now
            return None
        del self.waiting[best[1]]
        self.busy[agent] = best[1]
        return best[1]

    def arrive(self, call: str, queue: str, now: float) -> str | None:
        self.seq += 1
        best = None
        for agent, since in self.idle_since.items():
            if self.eligible(agent, queue) and (best is None or since < best[0]):
                best = (since, agent)
        if best is None:
            self.waiting[call] = (now, self.seq, queue)
            return None
        del self.idle_since[best[1]]
        self.busy[best[1]] = call
        return best[1]

    def hang_up(self, agent: str, now: float) -> str | None:
        del self.busy[agent]
        return self.free(agent, now)

    def abandon(self, call: str) -> None:
        self.waiting.pop(call, None)


def run_acd(queues, roster, waiting: int, steps: int, seed: int) -> tuple[float, list[int], int]:
    acd = ACD(queues, roster, rng=random.Random(seed), emit_agent_states=False)
    rng = random.Random(seed)
    now = 0.0
    on_call: list[str] = []
    call_no = 0
    groups = len(queues)

    def answer(commands: list) -> None:
        for c in commands:
            if isinstance(c, OfferCall):
                acd.handle(AgentAnswered(c.agent_id, c.call_id), now)
                on_call.append(c.agent_id)

    for a in roster:
        acd.handle(AgentLoggedIn(a.agent_id, ready=True), now)
    for _ in range(len(roster) + waiting):  # fill every seat, then the queue
        call_no += 1
        answer(acd.handle(CallArrived(f"c{call_no}", f"q{rng.randrange(groups)}"), now))
    waiting_ids = [f"c{i}" for i in range(len(roster) + 1, call_no + 1)]
    gc.collect()
    gc.freeze()  # the long-lived roster and queue leave the collector's generations
    latencies: list[int] = []
    clock = time.perf_counter_ns

    def take(commands: list) -> int:
        """Agents answer their offers at once; returns the events handled."""
        n = 0
        for c in commands:
            if isinstance(c, OfferCall):
                t0 = clock()
                acd.handle(AgentAnswered(c.agent_id, c.call_id), now)
                latencies.append(clock() - t0)
                on_call.append(c.agent_id)
                n += 1
        return n

    events = 0
    start = clock()
    for _ in range(steps):
        now += 0.01
        # an agent hangs up and takes the best waiting call
        index = rng.randrange(len(on_call))
        agent = on_call[index]
        on_call[index] = on_call[-1]
        on_call.pop()
        t0 = clock()
        out = acd.handle(AgentHungUp(agent), now)
        latencies.append(clock() - t0)
        events += 1
        events += take(out)
        # a new caller arrives
        call_no += 1
        t0 = clock()
        out = acd.handle(CallArrived(f"c{call_no}", f"q{rng.randrange(groups)}"), now)
        latencies.append(clock() - t0)
        events += 1 + take(out)
        waiting_ids.append(f"c{call_no}")
        # now and then a waiting caller gives up
        if rng.random() < 0.1 and waiting_ids:
            victim = waiting_ids.pop(rng.randrange(len(waiting_ids)))
            if acd.call_state(victim) is not None and acd.call_state(victim).value == "waiting":
                t0 = clock()
                acd.handle(CallerHungUp(victim), now)
                latencies.append(clock() - t0)
                events += 1
                call_no += 1  # and another caller takes their place in the queue
                t0 = clock()
                out = acd.handle(CallArrived(f"c{call_no}", f"q{rng.randrange(groups)}"), now)
                latencies.append(clock() - t0)
                events += 1 + take(out)
                waiting_ids.append(f"c{call_no}")
    elapsed = (clock() - start) / 1e9
    return events / elapsed, latencies, acd.waiting_calls()


def run_naive(queues, roster, waiting: int, steps: int, seed: int) -> tuple[float, list[int]]:
    router = NaiveRouter(queues, roster)
    rng = random.Random(seed)
    now = 0.0
    on_call: list[str] = []
    call_no = 0
    groups = len(queues)
    for a in roster:
        router.login(a.agent_id, now)
    for _ in range(len(roster) + waiting):
        call_no += 1
        agent = router.arrive(f"c{call_no}", f"q{rng.randrange(groups)}", now)
        if agent:
            on_call.append(agent)
    waiting_ids = [f"c{i}" for i in range(len(roster) + 1, call_no + 1)]
    latencies: list[int] = []
    clock = time.perf_counter_ns
    events = 0
    start = clock()
    for _ in range(steps):
        now += 0.01
        index = rng.randrange(len(on_call))
        agent = on_call[index]
        on_call[index] = on_call[-1]
        on_call.pop()
        t0 = clock()
        took = router.hang_up(agent, now)
        latencies.append(clock() - t0)
        events += 2 if took else 1
        if took:
            on_call.append(agent)
        call_no += 1
        t0 = clock()
        agent = router.arrive(f"c{call_no}", f"q{rng.randrange(groups)}", now)
        latencies.append(clock() - t0)
        events += 2 if agent else 1
        if agent:
            on_call.append(agent)
        waiting_ids.append(f"c{call_no}")
        if rng.random() < 0.1 and waiting_ids:
            victim = waiting_ids.pop(rng.randrange(len(waiting_ids)))
            if victim in router.waiting:
                t0 = clock()
                router.abandon(victim)
                latencies.append(clock() - t0)
                call_no += 1
                t0 = clock()
                agent = router.arrive(f"c{call_no}", f"q{rng.randrange(groups)}", now)
                latencies.append(clock() - t0)
                events += 3 if agent else 2
                if agent:
                    on_call.append(agent)
                waiting_ids.append(f"c{call_no}")
    elapsed = (clock() - start) / 1e9
    return events / elapsed, latencies


def p99_us(latencies: list[int]) -> float:
    return statistics.quantiles(latencies, n=100)[98] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=40000)
    parser.add_argument("--baseline-steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    queues, roster = build(args.groups, args.agents, args.seed)
    rate, lat, still_waiting = run_acd(queues, roster, args.waiting, args.steps, args.seed)
    base_rate, base_lat = run_naive(queues, roster, args.waiting, args.baseline_steps, args.seed)
    print(f"{args.agents} agents, {args.groups} skill groups, ~{args.waiting} calls waiting "
          f"(end: {still_waiting})")
    print(f"{'router':<22}{'events/s':>12}{'p50 us':>10}{'p99 us':>10}{'max us':>10}")
    for name, r, lt in (("ACD (indexed)", rate, lat), ("naive scan baseline", base_rate, base_lat)):
        print(f"{name:<22}{r:>12,.0f}{statistics.median(lt) / 1000:>10.1f}"
              f"{p99_us(lt):>10.1f}{max(lt) / 1000:>10.1f}")
    print(f"ratio events/s ACD / baseline: {rate / base_rate:.1f}x; "
          f"p99 baseline / ACD: {p99_us(base_lat) / p99_us(lat):.1f}x")


if __name__ == "__main__":
    main()

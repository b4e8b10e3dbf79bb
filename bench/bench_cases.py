"""Cases (工单) benchmark: a generated month of a Jinan-sized hotline through the API and the store.

Requests arrive over the day (10,000 a day at Jinan's size); about 75 % are answered on the
spot (直办), the rest dispatched to departments that sign for them, sometimes return them or
ask for an extension, and reply after realistic handling times; the caller is visited back
(some unreachable, some dissatisfied: re-handled). Every step goes through the HTTP API
in-process (httpx over ASGI: routing, validation, sessions, the core, one SQLite commit with
fsync per step) on a virtual clock; the case timer fires the workflow's deadlines as the clock
passes them. Measured, side by side with a baseline that does the same operations as plain
SQL on a database of the same shape (an event-log insert plus a row upsert in one commit;
the caller lookup on the same index; the evaluation as SQL aggregates):

* intake latency (POST /api/cases) p50/p99,
* query latency: the screen pop by caller number and a case by id, p50/p99,
* the month's evaluation report (GET /api/case-figures/evaluation) time,

and prints the month's evaluation table.

    python bench/bench_cases.py --per-day 1000 --days 30   # a month at a tenth of the volume
    python bench/bench_cases.py                            # a month at Jinan's size (long)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import heapq
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from tqdm import tqdm  # noqa: E402

from callcenter.api.casework_routes import make_casework_app  # noqa: E402
from callcenter.casework.service import build_casework  # noqa: E402
from callcenter.casework.tables import evaluation_text  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0
PASSWORD = "bench password 12345"
DISTRICTS = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区",
             "钢城区", "平阴县", "商河县"]
STREETS = ["经十路", "泉城路", "解放路", "历山路", "二环东路", "工业南路", "北园大街", "花园路", "舜耕路",
           "英雄山路", "纬二路", "大明湖路", "山大路", "文化东路", "燕子山路", "旅游路"]
# (category, weight, share answered directly, departments that handle it)
CATEGORIES = [
    ("0101", 17, 0.97, ["human-resources"]), ("0102", 19, 0.95, ["human-resources"]),
    ("0103", 10, 0.95, ["housing-fund"]), ("0104", 8, 0.95, ["public-security"]),
    ("0105", 5, 0.92, ["education"]), ("0106", 6, 0.9, ["transport"]), ("0107", 5, 0.9, ["health"]),
    ("0199", 8, 0.9, ["civil-affairs"]),
    ("0201", 6, 0.35, ["water", "lixia", "shizhong"]), ("0202", 5, 0.35, ["gas-heating"]),
    ("0203", 2, 0.3, ["civil-affairs"]), ("0299", 2, 0.5, ["civil-affairs", "licheng"]),
    ("030101", 3, 0.1, ["urban-management", "tianqiao"]), ("030102", 2, 0.1, ["urban-management"]),
    ("030103", 3, 0.1, ["ecology", "huaiyin"]), ("0302", 4, 0.2, ["market-regulation"]),
    ("0303", 4, 0.2, ["housing-authority", "zhangqiu"]),
]
HOURLY = [1, 1, 1, 1, 1, 2, 4, 10, 22, 26, 25, 22, 16, 18, 22, 21, 19, 16, 12, 9, 7, 5, 3, 2]


def lognormal_hours(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(0, sigma) * median * HOUR


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Month:
    """The generated month: a heap of (time, seq, action, args) run in time order."""

    def __init__(self, start: float, days: int, per_day: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.start, self.days, self.per_day = start, days, per_day
        self.heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.seq = 0
        # Most callers call once; a few call again and again (what repeat supervision is for).
        self.callers = [f"13{self.rng.randrange(10**9):09d}" for _ in range(max(100, per_day * days * 2))]
        self.frequent = self.callers[:max(10, per_day * days // 500)]
        weights = [w for _, w, _, _ in CATEGORIES]
        for day in range(days):
            base = start + day * 86_400
            hours = self.rng.choices(range(24), HOURLY, k=per_day)
            for hour in hours:
                category = self.rng.choices(CATEGORIES, weights)[0]
                self.push(base + hour * HOUR + self.rng.random() * HOUR, "intake", (category,))

    def push(self, at: float, action: str, args: tuple[Any, ...]) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, action, args))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


class ApiRun:
    """Drives the month through the API."""

    def __init__(self, url: str, month: Month) -> None:
        self.month = month
        self.clock = Clock(month.start)
        fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        self.casework = build_casework(url, clock=self.clock, hasher=fast)
        self.service = self.casework.service
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=make_casework_app(self.casework)),
                                        base_url="http://bench")
        self.tokens: dict[str, str] = {}
        self.latency: dict[str, list[float]] = {"intake": [], "pop": [], "case": [], "action": []}
        self.timer_seconds = 0.0
        self.timer_fired = 0
        self.errors: dict[str, int] = {}
        self.created = 0
        self.rehandled: dict[str, int] = {}

    async def login(self, name: str, role: str, department: str | None = None) -> None:
        self.casework.accounts.add_user(name, role, PASSWORD, department)
        reply = await self.client.post("/api/session", json={"username": name, "password": PASSWORD})
        self.tokens[name] = reply.json()["token"]

    async def call(self, kind: str, user: str, method: str, path: str, body: Any = None,
                   params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        t = time.perf_counter()
        reply = await self.client.request(method, path, json=body, params=params,
                                          headers={"Authorization": f"Bearer {self.tokens[user]}"})
        self.latency[kind].append(time.perf_counter() - t)
        if reply.status_code >= 400:
            key = f"{method} {path.split('/')[-1]} {reply.status_code}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return None
        return reply.json()

    def fire_timers(self) -> None:
        t = time.perf_counter()
        while (due := self.service.next_deadline()) is not None and due <= self.clock.now:
            fired = self.service.fire_due(self.clock.now)
            self.timer_fired += fired
            if not fired:
                break
        self.timer_seconds += time.perf_counter() - t

    async def run(self, progress: Callable[[float], None]) -> None:
        rng, month = self.month.rng, self.month
        departments = sorted(self.service.directory.departments)
        for n in range(20):
            await self.login(f"agent{n}", "agent")
        await self.login("boss", "supervisor")
        for department in departments:
            await self.login(f"d-{department}", "department", department)
        end = month.start + month.days * 86_400
        while month.heap:
            at, _, action, args = heapq.heappop(month.heap)
            if at >= end:  # the month is over: evaluate it as it stands (some cases still open)
                break
            self.clock.now = max(self.clock.now, at)
            self.fire_timers()
            await getattr(self, "_" + action)(rng, *args)
            progress(self.clock.now)

    async def _intake(self, rng: random.Random, category: tuple[str, int, float, list[str]]) -> None:
        code, _, direct, handlers = category
        agent = f"agent{rng.randrange(20)}"
        caller = rng.choice(self.month.frequent if rng.random() < 0.05 else self.month.callers)
        pop = await self.call("pop", agent, "GET", f"/api/callers/{caller}/cases", params={"limit": 5})
        assert pop is not None
        district = rng.choice(DISTRICTS)
        urgency = rng.choices(["一般", "紧急", "特急"], [94, 5, 1])[0]
        body = {"category": code, "text": f"市民反映{code}问题", "caller_number": caller,
                "district": district, "urgency": urgency,
                "address": f"{district}{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
                "call_id": f"call-{self.month.seq}"}
        case = await self.call("intake", agent, "POST", "/api/cases", body)
        if case is None:
            return
        self.created += 1
        case_id = case["case_id"]
        now = self.clock.now
        if rng.random() < direct:
            self.month.push(now + rng.uniform(60, 300), "answer", (case_id, agent))
        else:
            self.month.push(now + rng.uniform(300, 4 * HOUR), "dispatch",
                            (case_id, agent, rng.choice(handlers)))

    async def _answer(self, rng: random.Random, case_id: str, agent: str) -> None:
        case = await self.call("action", agent, "POST", f"/api/cases/{case_id}/answer", {"answer": "已解答"})
        if case and case["status"] == "answered":  # sampled for a visit
            self.month.push(self.clock.now + rng.uniform(2, 30) * HOUR, "visit", (case_id,))

    async def _dispatch(self, rng: random.Random, case_id: str, agent: str, department: str) -> None:
        if await self.call("action", agent, "POST", f"/api/cases/{case_id}/dispatch", {"lead": department}):
            self.month.push(self.clock.now + lognormal_hours(rng, 3, 0.9), "sign", (case_id, department))
        await self.call("case", agent, "GET", f"/api/cases/{case_id}")

    async def _sign(self, rng: random.Random, case_id: str, department: str) -> None:
        user = f"d-{department}"
        if rng.random() < 0.04:  # 退单: not ours
            body = {"reason": "非本单位职责"}
            if await self.call("action", user, "POST", f"/api/cases/{case_id}/return", body):
                others = [d for d in self.service.directory.departments if d != department]
                self.month.push(self.clock.now + rng.uniform(0.5, 6) * HOUR, "redispatch",
                                (case_id, rng.choice(others)))
            return
        if not await self.call("action", user, "POST", f"/api/cases/{case_id}/sign", {}):
            return
        if rng.random() < 0.05:  # 延期申请
            self.month.push(self.clock.now + lognormal_hours(rng, 20, 0.5), "extend", (case_id, department))
        self.month.push(self.clock.now + lognormal_hours(rng, 40, 0.7), "reply", (case_id, department))

    async def _redispatch(self, rng: random.Random, case_id: str, department: str) -> None:
        if await self.call("action", "boss", "POST", f"/api/cases/{case_id}/dispatch", {"lead": department}):
            self.month.push(self.clock.now + lognormal_hours(rng, 3, 0.9), "sign", (case_id, department))

    async def _extend(self, rng: random.Random, case_id: str, department: str) -> None:
        body = {"days": rng.choice([2, 3, 5]), "reason": "需协调多部门"}
        if await self.call("action", f"d-{department}", "POST", f"/api/cases/{case_id}/extension", body):
            approved = rng.random() < 0.8
            self.month.push(self.clock.now + rng.uniform(1, 8) * HOUR, "decide", (case_id, approved))

    async def _decide(self, rng: random.Random, case_id: str, approved: bool) -> None:
        await self.call("action", "boss", "POST", f"/api/cases/{case_id}/extension/decision",
                        {"approved": approved})

    async def _reply(self, rng: random.Random, case_id: str, department: str) -> None:
        case = await self.call("action", f"d-{department}", "POST", f"/api/cases/{case_id}/reply",
                               {"text": "已办理并答复市民"})
        if case and case["status"] == "replied":
            self.month.push(self.clock.now + rng.uniform(2, 30) * HOUR, "visit", (case_id,))

    async def _visit(self, rng: random.Random, case_id: str) -> None:
        agent = f"agent{rng.randrange(20)}"
        if rng.random() < 0.1:
            body: dict[str, Any] = {"reached": False}
        else:
            rehandled = self.rehandled.get(case_id, 0)
            satisfied = rng.random() < (0.88 if not rehandled else 0.6)
            body = {"reached": True, "solved": satisfied or rng.random() < 0.3, "satisfied": satisfied}
        case = await self.call("action", agent, "POST", f"/api/cases/{case_id}/visit", body)
        if case is None or case["status"] == "closed":
            return
        if case["status"] == "handling":  # 重办: the department replies again
            self.rehandled[case_id] = self.rehandled.get(case_id, 0) + 1
            self.month.push(self.clock.now + lognormal_hours(rng, 30, 0.6), "reply",
                            (case_id, case["case"]["lead"]))
        else:  # not reached, or a direct answer re-opened: visit (or answer) again
            if case["status"] == "open":
                self.month.push(self.clock.now + rng.uniform(1, 4) * HOUR, "answer",
                                (case_id, case["intake_by"]))
            else:
                self.month.push(self.clock.now + 4 * HOUR + rng.uniform(0, 2) * HOUR, "visit", (case_id,))


# ---------------------------------------------------------------------- baseline: plain SQL


class Baseline:
    """The same operations as plain SQL: a case row and its event in one commit (fsync), the
    caller lookup on the same index, the evaluation as aggregates."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript("""
            CREATE TABLE case_events (id INTEGER PRIMARY KEY, case_id TEXT, seq INTEGER, at REAL,
                                      kind TEXT, actor TEXT, data TEXT, UNIQUE (case_id, seq));
            CREATE TABLE cases (case_id TEXT PRIMARY KEY, status TEXT, category TEXT, caller TEXT,
                                created_at REAL, handling TEXT, lead TEXT, closed INTEGER, state TEXT);
            CREATE INDEX cases_caller ON cases (caller, created_at);
        """)
        self.latency: dict[str, list[float]] = {"intake": [], "pop": [], "case": []}

    def load(self, source: sqlite3.Connection) -> None:
        """The API run's cases and events, copied (not timed), so queries see the same data."""
        rows = source.execute("SELECT case_id, status, category, caller, created_at, state FROM cases")
        batch = []
        for case_id, status, category, caller, created_at, state in rows:
            data = json.loads(state)
            batch.append((case_id, status, category, caller, created_at, data.get("handling"),
                          data.get("lead"), int(status == "closed"), state))
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
        self.conn.executemany(
            "INSERT INTO case_events (case_id, seq, at, kind, actor, data) VALUES (?, ?, ?, ?, ?, ?)",
            source.execute("SELECT case_id, seq, at, kind, actor, data FROM case_events"))
        self.conn.execute("COMMIT")

    def intake(self, n: int, rng: random.Random, callers: list[str]) -> None:
        for i in range(n):
            case_id, caller = f"B{i:08d}", rng.choice(callers)
            state = json.dumps({"case_id": case_id, "text": "市民反映问题", "caller_number": caller},
                               ensure_ascii=False)
            t = time.perf_counter()
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO case_events (case_id, seq, at, kind, actor, data) "
                              "VALUES (?, 1, ?, 'CaseOpened', 'agent', ?)", (case_id, time.time(), state))
            self.conn.execute("INSERT INTO cases VALUES (?, 'open', '0101', ?, ?, NULL, NULL, 0, ?)",
                              (case_id, caller, time.time(), state))
            self.conn.execute("COMMIT")
            self.latency["intake"].append(time.perf_counter() - t)

    def queries(self, n: int, rng: random.Random, callers: list[str], case_ids: list[str]) -> None:
        for _ in range(n):
            t = time.perf_counter()
            self.conn.execute("SELECT case_id, status, category, created_at FROM cases WHERE caller = ? "
                              "ORDER BY created_at DESC LIMIT 5", (rng.choice(callers),)).fetchall()
            self.latency["pop"].append(time.perf_counter() - t)
            t = time.perf_counter()
            self.conn.execute("SELECT state FROM cases WHERE case_id = ?", (rng.choice(case_ids),)).fetchall()
            self.latency["case"].append(time.perf_counter() - t)

    def evaluation(self, start: float, end: float) -> tuple[float, list[tuple[Any, ...]]]:
        t = time.perf_counter()
        self.conn.execute(
            "SELECT COUNT(*), SUM(handling = 'direct'), SUM(closed) FROM cases "
            "WHERE created_at >= ? AND created_at < ?", (start, end)).fetchall()
        rows = self.conn.execute(
            "SELECT json_extract(data, '$.lead') AS d, COUNT(*), "
            "(SELECT COUNT(*) FROM case_events r WHERE r.kind = 'Returned' "
            " AND json_extract(r.data, '$.department') = json_extract(e.data, '$.lead') "
            " AND r.at >= ? AND r.at < ?) "
            "FROM case_events e WHERE e.kind = 'Dispatched' AND e.at >= ? AND e.at < ? GROUP BY d",
            (start, end, start, end)).fetchall()
        return time.perf_counter() - t, rows


# ---------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-day", type=int, default=10_000, help="requests a day (Jinan: 10,000)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--start", default="2026-11-02", help="first day (local)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--db", default=None, help="SQLite file for the run (default: a temporary one)")
    parser.add_argument("--json", dest="json_out", default=None, help="also write the figures here")
    args = parser.parse_args()

    start = dt.datetime.combine(dt.date.fromisoformat(args.start), dt.time(), TZ).timestamp()
    folder = tempfile.mkdtemp(prefix="bench-cases-")
    db = args.db or os.path.join(folder, "cases.db")
    load_before = os.getloadavg()
    print(f"generating {args.days} days x {args.per_day} requests ...", file=sys.stderr)
    month = Month(start, args.days, args.per_day, args.seed)
    run = ApiRun(f"sqlite:///{db}", month)
    wall = time.perf_counter()
    with tqdm(total=args.days * 24, unit="h", desc="API run (simulated hours)", file=sys.stderr) as bar:
        def progress(now: float) -> None:
            hour = min(args.days * 24, int((now - start) // HOUR))
            if hour > bar.n:
                bar.update(hour - bar.n)
                bar.set_postfix(cases=run.created, timers=run.timer_fired)
        asyncio.run(run.run(progress))
    api_wall = time.perf_counter() - wall
    end = start + args.days * 86_400

    async def evaluate() -> tuple[float, dict[str, Any]]:
        t = time.perf_counter()
        reply = await run.client.get("/api/case-figures/evaluation",
                                     params={"start": args.start,
                                             "end": (dt.date.fromisoformat(args.start)
                                                     + dt.timedelta(days=args.days - 1)).isoformat()},
                                     headers={"Authorization": f"Bearer {run.tokens['boss']}"})
        return time.perf_counter() - t, reply.json()

    # best of three (a shared machine's load shows in single runs), then the baseline likewise
    eval_seconds = min(asyncio.run(evaluate())[0] for _ in range(3))
    evaluation = run.service.evaluation(start, end)

    print("baseline: the same operations as plain SQL ...", file=sys.stderr)
    base = Baseline(os.path.join(folder, "baseline.db"))
    base.load(sqlite3.connect(db))
    rng = random.Random(args.seed)
    case_ids = [r[0] for r in sqlite3.connect(db).execute("SELECT case_id FROM cases")]
    base.intake(min(len(run.latency["intake"]), 20_000), rng, month.callers)
    base.queries(min(len(run.latency["pop"]), 20_000), rng, month.callers, case_ids)
    base_eval = min(base.evaluation(start, end)[0] for _ in range(3))
    load_after = os.getloadavg()

    events = run.casework.store.count_events()
    print()
    print(f"cases benchmark: {args.days} days x {args.per_day:,} requests/day from {args.start} "
          f"({run.created:,} cases, {events:,} events, {sum(map(len, run.latency.values())):,} API "
          f"requests, {run.timer_fired:,} timer firings in {run.timer_seconds:.1f} s; "
          f"API run {api_wall:.0f} s)")
    print(f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after")
    print()
    print(f"{'operation':<34}{'API p50 ms':>12}{'API p99 ms':>12}{'SQL p50 ms':>12}{'SQL p99 ms':>12}")
    for label, key in (("intake (POST /api/cases)", "intake"), ("screen pop (GET callers/N/cases)", "pop"),
                       ("case by id (GET /api/cases/ID)", "case")):
        print(f"{label:<34}{pct(run.latency[key], .5):>12.2f}{pct(run.latency[key], .99):>12.2f}"
              f"{pct(base.latency[key], .5):>12.2f}{pct(base.latency[key], .99):>12.2f}")
    print(f"{'other actions (dispatch, sign...)':<34}{pct(run.latency['action'], .5):>12.2f}"
          f"{pct(run.latency['action'], .99):>12.2f}{'':>12}{'':>12}")
    print(f"{'evaluation report (best of 3)':<34}{eval_seconds * 1000:>12.0f}{'':>12}"
          f"{base_eval * 1000:>12.0f}{'':>12}  (SQL: hotline counts and per-department "
          "received/returned only)")
    if run.errors:  # e.g. an extension asked after the reply went out: the core refuses it
        print(f"requests refused by the workflow (the generator does not look at the state): {run.errors}")
    print()
    print(evaluation_text(evaluation))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "args": vars(args), "cases": run.created, "events": events, "api_seconds": api_wall,
            "latency_ms": {k: {"p50": pct(v, .5), "p99": pct(v, .99), "n": len(v)}
                           for k, v in run.latency.items()},
            "baseline_ms": {k: {"p50": pct(v, .5), "p99": pct(v, .99), "n": len(v)}
                            for k, v in base.latency.items()},
            "evaluation_ms": eval_seconds * 1000, "baseline_evaluation_ms": base_eval * 1000,
            "evaluation": evaluation.to_dict(), "load": [load_before, load_after],
        }, ensure_ascii=False, indent=1))
    run.casework.close()


if __name__ == "__main__":
    main()

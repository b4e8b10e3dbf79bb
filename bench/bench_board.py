"""Supervisors' board benchmark: what one refresh of the board costs with many open cases.

The board reads its case figures again (in a worker thread) whenever a case changes, gathered
over 0.2 s, then renders its live part once per open board. This fills a real SQLite case
store through the case service (every intake and dispatch one commit, as in production: half
the cases dispatched to a department, some signed for with an extension asked, some
supervised, some past their deadlines so the timer has raised cards), then measures:

* the case figures' read (``case_view``: counts by status, cards by department, supervision
  orders, extension requests), p50/p99,
* rendering the board's live part from them (the Jinja template, autoescaped), p50/p99.

    python bench/bench_board.py --cases 5000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher  # noqa: E402

from callcenter.api.cases import IntakeIn  # noqa: E402
from callcenter.casework.service import build_casework  # noqa: E402
from callcenter.desk.board import case_view  # noqa: E402
from callcenter.desk.texts import load_texts  # noqa: E402

MONDAY_9AM = 1_794_790_800.0  # 2026-11-16 09:00 in Asia/Shanghai
DEPARTMENTS = ("water", "transport", "housing-authority", "market-regulation")


def fill(casework, count: int, clock: list[float]) -> None:
    accounts = casework.accounts
    for name, role, department in (("agent1", "agent", None), ("boss", "supervisor", None),
                                   *((f"d-{d}", "department", d) for d in DEPARTMENTS)):
        accounts.add_user(name, role, "a long bench password", department)
    users = {u.username: u for u in accounts.users()}
    service = casework.service
    for i in range(count):
        clock[0] += 30
        intake = IntakeIn(category="0201", text=f"停水 {i}", caller_number=f"1380000{i % 5000:04d}",
                          district=f"区{i % 12}", address=f"路{i % 400}号")
        case = service.open(users["agent1"], intake.model_dump(mode="json")).case
        if i % 2:
            department = DEPARTMENTS[i % len(DEPARTMENTS)]
            service.act(users["agent1"], case.case_id, "Dispatched", {"lead": department})
            if i % 7 == 1:
                service.act(users[f"d-{department}"], case.case_id, "SignedFor", {"department": department})
                service.act(users[f"d-{department}"], case.case_id, "ExtensionRequested",
                            {"department": department, "days": 2, "reason": "协调"})
            if i % 11 == 1:
                service.act(users["boss"], case.case_id, "Supervised", {"reason": "manual", "note": ""})
    clock[0] += 3 * 86400
    service.fire_due(limit=count * 2)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    import jinja2

    from callcenter.desk.routes import _card

    clock = [MONDAY_9AM]
    with tempfile.TemporaryDirectory() as folder:
        casework = build_casework(f"sqlite:///{folder}/cases.db", clock=lambda: clock[0],
                                  hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        started = time.perf_counter()
        fill(casework, args.cases, clock)
        filled = time.perf_counter() - started
        env = jinja2.Environment(loader=jinja2.PackageLoader("callcenter.desk", "templates"), autoescape=True)
        template = env.get_template("board_live.html")
        texts = load_texts()["zh"]
        departments = casework.service.directory.departments

        def when(at: float | None) -> str:
            return "" if at is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(at))

        reads, renders = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            view = case_view(casework)
            t1 = time.perf_counter()
            html = template.render(view=view, t=texts, csrf="x" * 64, departments=departments,
                                   when=when, card_of=_card)
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            renders.append(t2 - t1)
        by_status = dict(view["by_status"])
        casework.close()
    load = os.getloadavg()[0]
    print(f"{args.cases} cases filled in {filled:.1f} s; open by status {by_status}; "
          f"extension requests {len(view['extensions'])}; live part {len(html) // 1024} KiB")
    for name, values in (("case figures read", reads), ("live part render", renders)):
        print(f"{name:>18}: p50 {statistics.median(values) * 1000:7.2f} ms   "
              f"p99 {percentile(values, 0.99) * 1000:7.2f} ms   ({args.runs} runs)")
    print(f"machine load (1 min) {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

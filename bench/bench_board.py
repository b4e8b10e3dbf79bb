"""Supervisors' board benchmark: what one refresh of the board costs with many open cases.

The board reads its case figures again (in a worker thread) whenever a case changes, gathered
over 0.2 s, then renders its live part once per open board. This fills a real SQLite case
store through the case service (every intake and dispatch one commit, as in production: half
the cases dispatched to a department, some signed for with an extension asked, some
supervised, some past their deadlines so the timer has raised cards), then measures:

* the case figures' read (``case_view``: counts by status, cards by department, supervision
  orders, extension requests), p50/p99, beside the same figures read the way the board read
  them before its counters (``scan_view``: aggregates over the open cases, the newest 1,000
  cases in handling parsed for a pending extension), in the same run; both must agree,
* rendering the board's live part from them (the Jinja template, autoescaped), p50/p99.

    python bench/bench_board.py --cases 500 5000 50000
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
from callcenter.casework.store import CaseQuery, CaseStore  # noqa: E402
from callcenter.desk.board import case_view  # noqa: E402
from callcenter.desk.texts import load_texts  # noqa: E402
from cases.case import Case  # noqa: E402

MONDAY_9AM = 1_794_790_800.0  # 2026-11-16 09:00 in Asia/Shanghai
SCAN_CAP = 1000  # cases in handling the scan read for pending extension requests
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


def scan_view(casework) -> dict:
    """The board's case figures read as before the counters (scans of the open cases)."""
    store: CaseStore = casework.store
    query = store.backend.query
    with store._lock:
        rows = query("SELECT status, COUNT(*), SUM(supervised) FROM cases WHERE closed_at IS NULL"
                     " GROUP BY status")
        cards_rows = query("SELECT d.department, c.card, COUNT(*) FROM cases c JOIN case_departments d"
                           " ON d.case_id = c.case_id WHERE c.card IS NOT NULL AND c.closed_at IS NULL"
                           " GROUP BY d.department, c.card")
    by_status = {status: int(count) for status, count, _ in rows}
    by_status["supervised"] = sum(int(supervised or 0) for _, _, supervised in rows)
    cards: dict[str, dict[str, int]] = {}
    for department, card, count in cards_rows:
        cards.setdefault(department, {"yellow": 0, "red": 0})[card] = int(count)
    supervised = [Case.from_dict(r.state_dict())
                  for r in store.find(CaseQuery(supervised=True, open_only=True, limit=20))]
    handling = store.find(CaseQuery(status="handling", open_only=True, limit=SCAN_CAP))
    states = [s for s in (r.state_dict() for r in handling) if s.get("extension_pending") is not None]
    extensions = sorted((Case.from_dict(s) for s in states), key=lambda c: c.opened_at)
    return {"by_status": by_status, "cards": cards, "supervised": supervised, "extensions": extensions[:20],
            "extension_count": len(extensions), "capped": len(handling) == SCAN_CAP}


def figures(view: dict) -> tuple:
    return (view["by_status"], view["cards"], [c.case_id for c in view["supervised"]],
            [c.case_id for c in view["extensions"]], view["extension_count"])


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def measure(count: int, runs: int) -> None:
    import jinja2

    from callcenter.desk.routes import _card

    clock = [MONDAY_9AM]
    with tempfile.TemporaryDirectory() as folder:
        casework = build_casework(f"sqlite:///{folder}/cases.db", clock=lambda: clock[0],
                                  hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        started = time.perf_counter()
        fill(casework, count, clock)
        filled = time.perf_counter() - started
        env = jinja2.Environment(loader=jinja2.PackageLoader("callcenter.desk", "templates"), autoescape=True)
        template = env.get_template("board_live.html")
        texts = load_texts()["zh"]
        departments = casework.service.directory.departments

        def when(at: float | None) -> str:
            return "" if at is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(at))

        scans, reads, renders = [], [], []
        for _ in range(runs):  # interleaved, so that the machine's load falls on both alike
            t0 = time.perf_counter()
            before = scan_view(casework)
            t1 = time.perf_counter()
            view = case_view(casework)
            t2 = time.perf_counter()
            html = template.render(view=view, t=texts, csrf="x" * 64, departments=departments,
                                   when=when, card_of=_card)
            t3 = time.perf_counter()
            scans.append(t1 - t0)
            reads.append(t2 - t1)
            renders.append(t3 - t2)
        old, new = figures(before), figures(view)
        capped = before["capped"]  # the scan parsed only the newest cases in handling
        if old[:3] != new[:3] or (not capped and old != new):
            raise SystemExit(f"the counters disagree with the scan:\n{old}\n{new}")
        by_status = dict(view["by_status"])
        casework.close()
    print(f"{count} cases filled in {filled:.1f} s; open by status {by_status}; "
          f"extension requests {view['extension_count']}; live part {len(html) // 1024} KiB; "
          + (f"figures identical but the scan's extension requests: it read the newest {SCAN_CAP} "
             f"cases in handling only, so showed {old[4]} requests, not {new[4]}" if capped
             else "figures identical both ways"))
    for name, values in (("scan (before)", scans), ("counters (after)", reads),
                         ("live part render", renders)):
        print(f"{name:>18}: p50 {statistics.median(values) * 1000:7.2f} ms   "
              f"p99 {percentile(values, 0.99) * 1000:7.2f} ms   ({runs} runs)")
    print(f"{'ratio':>18}: p50 {statistics.median(scans) / statistics.median(reads):7.1f}x   "
          f"p99 {percentile(scans, 0.99) / percentile(reads, 0.99):7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[5000],
                        help="open cases to fill (several: one database each)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    for count in args.cases:
        measure(count, args.runs)
    print(f"machine load (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()

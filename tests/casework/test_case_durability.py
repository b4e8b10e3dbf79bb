"""A process writing cases, killed with SIGKILL, loses none it had reported committed; the
projection agrees with a replay of the log for every case."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from callcenter.casework.accounts import User
from callcenter.casework.service import build_casework
from cases.case import Case
from cases.codec import event_from_dict

WRITER = """
import sys
from callcenter.casework.accounts import User
from callcenter.casework.service import build_casework

casework = build_casework(sys.argv[1])
agent, water = User("a1", "agent"), User("w1", "department", "water")
service = casework.service
i = 0
while True:
    case = service.open(agent, {"category": "0201", "text": f"停水 {i}", "caller_number": f"138{i:08d}",
                                "channel": "phone"}).case
    service.act(agent, case.case_id, "Dispatched", {"lead": "water"})
    service.act(water, case.case_id, "SignedFor", {"department": "water"})
    i += 1
    print(case.case_id, flush=True)  # committed: intake, dispatch and sign-for
"""


def test_killed_writer_keeps_every_committed_case(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    build_casework(url).close()  # schema first, so the child starts writing at once
    child = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2])
    reported: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while len(reported) < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "writer exited early"
            reported.append(line.strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert len(reported) >= 40 and child.returncode == -signal.SIGKILL
    casework = build_casework(url)
    try:
        store = casework.store
        assert store.records.integrity_check() == "ok"
        boss = User("boss", "supervisor")
        for case_id in reported:
            assert casework.service.case(boss, case_id).status.value == "handling"
        rows = store.all_in()
        assert len(rows) >= len(reported)
        for row in rows:  # whatever else made it is whole: projection == replay of the log
            replayed = Case.replay(event_from_dict(e.data) for e in store.history(row.case_id))
            assert replayed.to_dict() == row.state_dict()
            assert replayed.version == row.version == len(store.history(row.case_id))
    finally:
        casework.close()


def test_repeated_requests_are_still_seen_after_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    clock = [1_794_790_800.0]
    agent = User("a1", "agent")
    fields = {"channel": "phone", "category": "030101", "text": "道路施工噪音",
              "caller_number": "13800000001", "district": "历下区", "address": "经十路100号"}
    for _ in range(2):
        casework = build_casework(url, clock=lambda: clock[0])
        casework.service.open(agent, fields)
        clock[0] += 3600
        casework.close()  # a restart between the requests
    casework = build_casework(url, clock=lambda: clock[0])
    try:
        third = casework.service.open(agent, fields).case
        assert [reason.value for reason, _ in third.supervision] == ["repeated"]
    finally:
        casework.close()


def test_two_processes_taking_in_the_same_day_never_share_a_number(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    clock = lambda: 1_794_790_800.0  # noqa: E731
    agent = User("a1", "agent")
    fields = {"channel": "phone", "category": "0101", "text": "咨询"}
    first, second = build_casework(url, clock=clock), build_casework(url, clock=clock)
    try:
        ids = [service.open(agent, fields).case.case_id
               for service in (first.service, second.service, first.service)]
        assert ids == ["20261116-000001", "20261116-000002", "20261116-000003"]
    finally:
        first.close()
        second.close()


def test_a_cluster_of_requests_puts_one_alert_on_the_board(tmp_path):
    clock = [1_794_790_800.0]
    casework = build_casework(f"sqlite:///{tmp_path / 'cases.db'}", clock=lambda: clock[0],
                              cluster_threshold=3, cluster_window=3600)
    agent = User("a1", "agent")
    try:
        for n in range(4):
            casework.service.open(agent, {"channel": "phone", "category": "030101", "text": "施工噪音",
                                          "caller_number": f"1380000000{n}", "district": "历下区",
                                          "address": f"经十路{n}号"})
            clock[0] += 60
        alerts = [(a["kind"], a["key"], a["count"]) for a in casework.alerts]
        assert alerts == [("subject", "历下区|030101", 3)]  # once, not again at the fourth
    finally:
        casework.close()

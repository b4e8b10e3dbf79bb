"""The board's counters (``case_counts``) cannot drift from the cases: after any sequence of
workflow steps (refused ones included) and timers firing, every counter and both indexed lists
equal what a full scan of the cases finds; a database made before the counters gets them
counted when it is opened."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from callcenter.casework.service import CaseNotFound, CaseRefused, Casework, build_casework
from callcenter.casework.store import CaseQuery, CaseStore, ConcurrentChange
from callcenter.records.case_schema import BOARD_MIGRATION
from callcenter.records.schema import MIGRATIONS, migration_sql
from cases.case import Case
from cases.codec import EventFormatError
from cases.errors import CaseError
from tests.casework.api_client import FAST
from tests.casework.conftest import MONDAY_9AM

DEPARTMENTS = ("water", "transport", "housing-authority")
REFUSED = (CaseRefused, CaseError, CaseNotFound, EventFormatError, ConcurrentChange)
STEPS = ("open", "open", "answer", "dispatch", "dispatch", "sign", "sign", "return", "extension",
         "extension", "decide", "decide", "reply", "supervise", "remind", "visit", "close", "time", "time")

FITS = {"answer": ("open",), "dispatch": ("open", "returned"), "sign": ("dispatched",),
        "return": ("dispatched", "handling"), "extension": ("handling",), "decide": ("handling",),
        "reply": ("handling",), "remind": ("dispatched", "handling"), "visit": ("replied", "answered"),
        "supervise": ("open", "dispatched", "handling", "returned", "replied", "answered"),
        "close": ("returned", "replied", "answered")}


def scan(store: CaseStore) -> tuple[dict, dict, list[str], list[str], int]:
    """The board's figures from every case's own state, read one by one."""
    by_status: dict[str, int] = {"supervised": 0}
    cards: dict[str, dict[str, int]] = {}
    supervised, extensions = [], []
    for row in store.all_in():
        case = Case.from_dict(row.state_dict())
        if row.closed_at is not None:
            continue
        by_status[row.status] = by_status.get(row.status, 0) + 1
        if case.supervision:
            by_status["supervised"] += 1
            supervised.append(row)
        if row.card is not None:
            for department in store.departments(row.case_id):
                cards.setdefault(department, {"yellow": 0, "red": 0})[row.card] += 1
        if row.status == "handling" and case.extension_pending is not None:
            extensions.append(row)
    supervised.sort(key=lambda r: r.case_id)
    supervised.sort(key=lambda r: r.created_at, reverse=True)
    extensions.sort(key=lambda r: (r.created_at, r.case_id))
    return (by_status, cards, [r.case_id for r in supervised[:20]], [r.case_id for r in extensions[:20]],
            len(extensions))


def counted(store: CaseStore) -> tuple[dict, dict, list[str], list[str], int]:
    """The same figures as the board reads them: counters and indexed lists."""
    counts = store.counts()
    return (store.open_by_status(counts), store.cards_by_department(counts),
            [r.case_id for r in store.open_supervised(20)], [r.case_id for r in store.pending_extensions(20)],
            counts.get(("extension", ""), 0))


class World:
    """A case service over one database, its users and a clock the steps move."""

    def __init__(self, url: str) -> None:
        self.clock = [MONDAY_9AM]
        self.casework: Casework = build_casework(url, clock=lambda: self.clock[0], hasher=FAST)
        accounts = self.casework.accounts
        accounts.add_user("agent1", "agent", "a long test password")
        accounts.add_user("boss", "supervisor", "a long test password")
        for department in DEPARTMENTS:
            accounts.add_user(f"d-{department}", "department", "a long test password", department)
        self.users = {u.username: u for u in accounts.users()}
        self.cases: list[str] = []

    def step(self, kind: str, pick: int, department: str, other: str, days: int, flag: bool) -> None:
        service, users = self.casework.service, self.users
        if kind == "time":
            self.clock[0] += days ** 3 * 1800  # half an hour to two and a half days
            service.fire_due(limit=10_000)
            return
        if kind == "open" or not self.cases:
            intake = {"category": "0201", "text": "停水", "caller_number": f"1380000{pick % 7:04d}",
                      "channel": "phone", "urgency": "紧急" if flag and days == 1 else "一般"}
            self.cases.append(service.open(users["agent1"], intake).case.case_id)
            return
        store = self.casework.store
        fitting = [c for c in self.cases if store.get(c).status in FITS.get(kind, ())]
        choices = fitting if fitting and pick % 5 else self.cases  # mostly a case the step fits
        case_id = choices[pick % len(choices)]
        lead = service.case(users["boss"], case_id).lead or department
        by_department = users[f"d-{lead}"]
        actions = {
            "answer": (users["agent1"], "AnsweredDirectly", {"answer": "已答复"}),
            "dispatch": (users["boss"] if flag else users["agent1"], "Dispatched",
                         {"lead": department, "assisting": [other] if other != department else []}),
            "sign": (by_department, "SignedFor", {"department": lead}),
            "return": (by_department, "Returned", {"department": lead, "reason": "不属于本单位"}),
            "extension": (by_department, "ExtensionRequested", {"department": lead, "days": days,
                                                                "reason": "协调"}),
            "decide": (users["boss"], "ExtensionDecided", {"approved": flag, "days": days if flag else None}),
            "reply": (by_department, "Replied", {"department": lead, "text": "已处理"}),
            "supervise": (users["boss"], "Supervised", {"reason": "manual", "note": ""}),
            "remind": (users["boss"], "Reminded", {"department": lead}),
            "visit": (users["boss"], "VisitResult", {"reached": True, "solved": flag, "satisfied": flag}),
            "close": (users["boss"], "Closed", {"reason": "withdrawn" if flag else "duplicate"}),
        }
        user, event, fields = actions[kind]
        service.act(user, case_id, event, fields)


step = st.tuples(st.sampled_from(STEPS), st.integers(0, 50), st.sampled_from(DEPARTMENTS),
                 st.sampled_from(DEPARTMENTS), st.integers(1, 5), st.booleans())


@pytest.fixture
def world(db_url):
    world = World(db_url)
    yield world
    world.casework.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=5, max_size=60))
def test_the_counters_equal_a_full_scan_after_any_workflow(world, steps):
    """One database for all examples: the counters must hold over what came before too."""
    for kind, pick, department, other, days, flag in steps:
        try:
            world.step(kind, pick, department, other, days, flag)
            note(f"{kind} done")
        except REFUSED:  # refused: nothing may change, as the comparison shows
            note(f"{kind} refused")
        assert counted(world.casework.store) == scan(world.casework.store), (kind, pick, department)


def test_the_board_step_counts_the_cases_of_a_database_made_before_it(db_url):
    world = World(db_url)
    for i, kind in enumerate(("open", "open", "open", "dispatch", "sign", "extension", "supervise")):
        world.step(kind, 1 if i > 2 else i, "water", "transport", 2, True)
    world.step("time", 0, "water", "water", 12, True)  # three days on: cards
    store = world.casework.store
    expected = scan(store)
    assert expected[4] == 1 and expected[1], "the fill must give an extension request and cards"
    backend = store.backend
    with store._lock, backend.transaction():  # the cases as they stood before the board's step
        for statement in ("DROP INDEX cases_open_supervised", "DROP INDEX cases_extension_pending",
                          "DROP TABLE case_counts", "ALTER TABLE cases DROP COLUMN extension_pending"):
            backend.execute(statement)
        for statement in migration_sql(backend.dialect, MIGRATIONS.index(BOARD_MIGRATION) + 1):
            backend.execute(statement)
    assert counted(store) == expected
    world.casework.close()


def test_the_lists_follow_the_extension_and_supervision_orders(tmp_path):
    world = World(f"sqlite:///{tmp_path}/cases.db")
    for i in range(3):
        world.step("open", i, "water", "water", 1, False)
        world.clock[0] += 60
    for pick in (2, 0):
        world.step("dispatch", pick, "water", "water", 1, True)
        world.step("sign", pick, "water", "water", 1, True)
        world.step("extension", pick, "water", "water", 3, True)
        world.step("supervise", pick, "water", "water", 1, True)
    store = world.casework.store
    first, _, third = world.cases
    assert [r.case_id for r in store.pending_extensions(20)] == [first, third]  # oldest first
    assert {r.case_id for r in store.find(CaseQuery(extension=True))} == {first, third}  # the list
    assert [r.case_id for r in store.open_supervised(20)] == [third, first]  # newest first
    world.step("decide", 0, "water", "water", 2, True)
    assert [r.case_id for r in store.pending_extensions(20)] == [third]
    assert [r.case_id for r in store.find(CaseQuery(extension=True))] == [third]
    assert store.counts()[("extension", "")] == 1
    world.casework.close()

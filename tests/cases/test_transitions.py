"""The transition table and the role table: shape, reachability, and who may act."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from cases import events as ev
from cases.errors import Forbidden
from cases.model import Role, Status
from cases.transitions import ROLES, TABLE
from cases.workflow import CaseWorkflow, hash_sampler
from tests.cases.helpers import AGENT, HOUSING, ROADS, at, context
from tests.cases.test_workflow import opened


def test_every_status_can_reach_closed_and_closed_is_final() -> None:
    edges: dict[Status | None, set[Status]] = defaultdict(set)
    for (_, _, status), new in TABLE.items():
        edges[status].add(new)
    for start in [None, *Status]:
        seen, todo = set(), [start]
        while todo:
            for new in edges[todo.pop()]:
                if new not in seen:
                    seen.add(new)
                    todo.append(new)
        assert Status.CLOSED in seen, start
    # after closure only a remark, and the closure's SMS notice reporting its delivery
    assert {kind for (kind, _, status) in TABLE if status is Status.CLOSED} == {"Remarked", "Notified"}
    assert set(ROLES) == {kind for kind, _, _ in TABLE} == set(ev.EVENT_TYPES)


def test_only_the_system_records_cards_and_deadlines() -> None:
    assert ROLES["CardRaised"] == ROLES["DeadlineSet"] == ROLES["Notified"] == frozenset({Role.SYSTEM})
    assert Role.DEPARTMENT not in ROLES["Dispatched"] | ROLES["ExtensionDecided"] | ROLES["Closed"]


DEPARTMENT_STEPS = [
    lambda n: ev.SignedFor("c1", n, HOUSING, "housing"),
    lambda n: ev.Returned("c1", n, HOUSING, "housing", "x"),
    lambda n: ev.ExtensionRequested("c1", n, HOUSING, "housing", 2, "x"),
    lambda n: ev.Replied("c1", n, HOUSING, "housing", "x"),
    lambda n: ev.Remarked("c1", n, HOUSING, "x"),
]


@pytest.mark.parametrize("status_steps", [0, 1, 2, 3])
@pytest.mark.parametrize("step", DEPARTMENT_STEPS)
def test_another_department_is_refused_alike_in_every_status(status_steps: int, step) -> None:  # type: ignore[no-untyped-def]
    """What a department is told about a case not its own never depends on the case's state."""
    flow, _ = CaseWorkflow.open(opened(), context())
    path = [
        ev.Dispatched("c1", at(2024, 9, 27, 11), AGENT, "roads"),
        ev.SignedFor("c1", at(2024, 9, 27, 12), ROADS, "roads"),
        ev.Replied("c1", at(2024, 9, 27, 13), ROADS, "roads", "done"),
    ]
    for event in path[:status_steps]:
        flow.apply(event)
    before = flow.case.to_dict()
    with pytest.raises(Forbidden, match="^actor.department: case c1 is not a case of 'housing'$"):
        flow.apply(step(at(2024, 9, 27, 14)))
    assert flow.case.to_dict() == before


def test_direct_answers_are_sampled_deterministically_at_the_configured_rate() -> None:
    ids = [f"2024-11-{i:06d}" for i in range(20_000)]
    picked = [hash_sampler(i) < 0.1 for i in ids]
    assert picked == [hash_sampler(i) < 0.1 for i in ids]  # the same case, the same answer
    assert 0.09 < sum(picked) / len(ids) < 0.11
    rng = random.Random(7)
    ctx = context(visit_rate=0.5)
    ctx = type(ctx)(ctx.taxonomy, ctx.departments, ctx.calendar, ctx.rules, lambda _: rng.random())
    visited = 0
    for i in range(200):
        flow, _ = CaseWorkflow.open(opened(f"d{i}"), ctx)
        flow.apply(ev.AnsweredDirectly(f"d{i}", at(2024, 9, 27, 10, 5), AGENT, "答复"))
        visited += flow.case.status is Status.ANSWERED
    assert 80 < visited < 120  # an injected source of randomness is used as given

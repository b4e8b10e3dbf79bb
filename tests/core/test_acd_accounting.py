"""Per-queue accounting and the configurable service-level definition."""

import pytest

from acd.engine import ACD
from acd.events import AgentAnswered, AgentHungUp, AgentLoggedIn, CallArrived, CallerHungUp
from acd.model import QueueSpec, ServiceLevelPolicy
from agents.model import AgentSpec


def run(policy, arrived_before_queue=0.0):
    """Four calls: answered after 5 s and 20 s, one abandoned after 3 s, one left ringing."""
    acd = ACD([QueueSpec("zh", {"zh": 1}, service_level=policy)],
              [AgentSpec("a", skills={"zh": 3}, wrap_up_seconds=0)])
    t0 = 100.0
    for i in range(4):
        acd.handle(CallArrived(f"c{i}", "zh", arrived_at=t0 - arrived_before_queue), t0)
    acd.handle(CallerHungUp("c2"), t0 + 3)
    acd.handle(AgentLoggedIn("a", ready=True), t0 + 5)  # offered c0
    acd.handle(AgentAnswered("a", "c0"), t0 + 5)
    acd.handle(AgentHungUp("a"), t0 + 15)  # 10 s talk, then offered c1
    acd.handle(AgentAnswered("a", "c1"), t0 + 20)
    acd.handle(AgentHungUp("a"), t0 + 50)  # 30 s talk, then c3 rings (not yet counted)
    return acd.stats["zh"]


def test_counts_waits_and_talk():
    stats = run(ServiceLevelPolicy())
    assert (stats.offered, stats.answered, stats.abandoned) == (4, 2, 1)
    assert stats.asa == pytest.approx(12.5)
    assert stats.aht == pytest.approx(20.0)
    assert stats.connection_rate == pytest.approx(2 / 4)


@pytest.mark.parametrize(
    "policy, expected",
    [
        (ServiceLevelPolicy(threshold_seconds=15), 1 / 3),  # 1 within / (2 answered + 1 aband.)
        (ServiceLevelPolicy(threshold_seconds=20), 2 / 3),
        (ServiceLevelPolicy(abandons_in_denominator=False), 1 / 2),
        (ServiceLevelPolicy(short_abandon_seconds=5), 1 / 2),  # the 3 s abandon is excluded
    ],
)
def test_service_level_definitions(policy, expected):
    stats = run(policy)
    assert stats.service_level == pytest.approx(expected)
    assert "service level" in policy.describe()


def test_clock_start_at_arrival_counts_ivr_time():
    stats = run(ServiceLevelPolicy(clock_start="arrival"), arrived_before_queue=12.0)
    # waits from arrival are 17 s and 32 s: neither within 15 s
    assert stats.answered_within_threshold == 0
    assert stats.asa == pytest.approx(12.5)  # ASA still measures the queue wait
    assert "call arrival" in stats.policy.describe()

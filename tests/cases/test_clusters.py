"""Repeated requests and clusters, as requests arrive: the seed's repeated-roadworks case."""

from __future__ import annotations

import dataclasses

import pytest

from cases import commands as cmd
from cases import events as ev
from cases.clusters import DAY, ClusterDetector, RepeatDetector, SlidingCounter
from cases.hotline import Hotline
from cases.model import Channel, SupervisionReason
from tests.cases.helpers import AGENT, at, context

T = at(2024, 11, 4, 9)


def call(i: int, when: float, caller: str | None = None, address: str = "经十路 100号",
         category: str = "030101", district: str = "历下区") -> ev.CaseOpened:
    return ev.CaseOpened(f"c{i}", when, AGENT, Channel.PHONE, category, "道路施工",
                         caller_number=caller or f"1390{i:07d}", address=address, district=district)


def test_repeated_roadworks_are_supervised_from_the_nth_request_and_alerted_once() -> None:
    hotline = Hotline(context(repeat_count=3, repeat_days=7), cluster_threshold=50, cluster_window=DAY)
    supervised, alerts = [], []
    for i in range(190):  # the seed: 190 calls about the same roadworks over a day and a half
        address = "经十路100号" if i % 2 else "经十路 100 号"  # spelled two ways
        outcome = hotline.apply(call(i, T + i * 600, address=address))
        reasons = {e.reason for e in outcome.events if isinstance(e, ev.Supervised)}
        if SupervisionReason.REPEATED in reasons:
            supervised.append(i)
        alerts += [c for c in outcome.commands if isinstance(c, cmd.Alert)]
    assert supervised == list(range(2, 190))  # from the third request on
    repeat = next(e for e in hotline.cases["c2"].supervision)
    assert repeat[0] is SupervisionReason.REPEATED
    # One alert per key when the threshold is reached within the window, not one per request.
    assert [(a.kind, a.count) for a in alerts] == [("subject", 50), ("place", 50)]
    assert alerts[0].case_ids == tuple(f"c{i}" for i in range(50))


def test_the_same_caller_repeats_across_categories_only_within_the_window() -> None:
    detector = RepeatDetector(count=3, days=30)
    assert detector.observe(call(1, T, "138", address="", category="0101")) == ()
    assert detector.observe(call(2, T + 10 * DAY, "138", address="", category="0201")) == ()
    assert detector.observe(call(3, T + 20 * DAY, "138", address="", category="0501")) == ("c1", "c2")
    assert detector.observe(call(4, T + 45 * DAY, "138", address="", category="0501")) == ()  # c1, c2 gone


def test_a_cluster_alert_re_arms_once_the_count_falls_below_the_threshold() -> None:
    detector = ClusterDetector(threshold=3, window=3600)
    fired = [bool(detector.observe(call(i, T + i * 60, address=""))) for i in range(5)]
    assert fired == [False, False, True, False, False]
    assert detector.observe(call(9, T + 4 * 3600, address="")) == []  # the window emptied: re-armed
    fired = [bool(detector.observe(call(i, T + 4 * 3600 + i, address=""))) for i in range(10, 12)]
    assert fired == [False, True]


def test_memory_is_bounded_in_keys_and_per_key() -> None:
    counter = SlidingCounter(window=DAY, cap=3, max_keys=100)
    for i in range(10_000):
        counter.add(f"k{i % 500}", T + i, f"c{i}")
        counter.add("hot", T + i, f"c{i}")
    assert len(counter) == 100
    assert counter.count("hot", T + 10_000) == 3  # at most ``cap`` kept per key
    assert counter.count("k499", T + 10_000) == 1
    assert counter.count("k0", T + 10_000) == 0  # evicted, least recently seen
    with pytest.raises(ValueError):
        SlidingCounter(window=0, cap=1)


def test_a_refused_intake_is_not_remembered_by_the_detectors() -> None:
    hotline = Hotline(context(repeat_count=2, repeat_days=7))
    bad = dataclasses.replace(call(1, T, "138"), category="9999")
    with pytest.raises(ValueError, match="category"):
        hotline.apply(bad)
    outcome = hotline.apply(call(2, T + 60, "138"))
    assert not any(isinstance(e, ev.Supervised) for e in outcome.events)
    assert list(hotline.cases) == ["c2"]

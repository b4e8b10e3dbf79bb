"""Daily report figures against values computed by hand from ten chosen calls."""

from datetime import date

import pytest

from acd.commands import AgentStateChanged
from acd.model import ServiceLevelPolicy
from callcenter.records import RecordStore
from callcenter.reports import Targets, build_daily_report, day_bounds
from callcenter.reports.daily import parse_day
from tests.operations.factories import local_epoch, make_record

DAY = date(2026, 11, 20)
T = local_epoch("2026-11-20 10:00:00")

# id, line, language, queue, outcome, wait from queue entry, IVR time before it, talk
CALLS = [
    ("c1", "12345", "zh", "zh-general", "answered", 3, 10, 100),
    ("c2", "12345", "zh", "zh-general", "answered", 12, 5, 200),
    ("c3", "12345", "zh", "zh-general", "answered", 15, 4, 300),  # exactly at the threshold
    ("c4", "12345", "zh", "zh-general", "answered", 40, 2, 120),
    ("c5", "12315", "zh", "zh-consumer", "answered", 8, 8, 60),
    ("c6", "12315", "zh", "zh-consumer", "abandoned", 3, 6, 0),
    ("c7", "12315", "zh", "zh-consumer", "abandoned", 30, 6, 0),
    ("c8", "12345", "en", "en-general", "answered", 14, 9, 240),
    ("c9", "12345", "en", "en-general", "abandoned", 4, 3, 0),
    ("c10", "12345", "en", "en-general", "overflowed", 300, 5, 0),
]


@pytest.fixture
def store(tmp_path):
    store = RecordStore.open(f"sqlite:///{tmp_path / 'records.db'}")
    records = [
        make_record(cid, arrived_at=T + 60 * i, line=line, language=lang, queue=queue,
                    outcome=outcome, wait=wait, ivr=ivr, talk=talk,
                    agent_id="1001" if cid in ("c1", "c2") else "1002")
        for i, (cid, line, lang, queue, outcome, wait, ivr, talk) in enumerate(CALLS)
    ]
    # the same center's neighbouring days: not in the report
    records.append(make_record("before", arrived_at=local_epoch("2026-11-19 23:59:59"), wait=1,
                               talk=10))
    records.append(make_record("after", arrived_at=local_epoch("2026-11-21 00:00:00"), wait=1,
                               talk=10))
    store.add_calls(records)
    yield store
    store.close()


def report(store, **policy):
    return build_daily_report(store, DAY, ServiceLevelPolicy(**policy), now=T + 86400 * 2)


def test_overall_counts_rates_asa_and_aht(store):
    overall = report(store).overall
    assert (overall.offered, overall.answered, overall.abandoned, overall.overflowed) == (10, 6, 3, 1)
    assert overall.connection_rate == pytest.approx(6 / 10)
    assert overall.asa == pytest.approx((3 + 12 + 15 + 40 + 8 + 14) / 6)
    assert overall.aht == pytest.approx((100 + 200 + 300 + 120 + 60 + 240) / 6)


@pytest.mark.parametrize(
    ("policy", "within", "short", "denominator"),
    [
        # answered within 15 s from queue entry: c1 c2 c3 c5 c8; every call counts
        ({}, 5, 0, 10),
        # abandons out of the denominator: answered 6 + overflowed 1
        ({"abandons_in_denominator": False}, 5, 0, 7),
        # abandons under 5 s left out: c6 (3 s) and c9 (4 s)
        ({"short_abandon_seconds": 5}, 5, 2, 8),
        # from arrival: c1 13, c2 17, c3 19, c4 42, c5 16, c8 23 -> only c1 within 15 s
        ({"clock_start": "arrival"}, 1, 0, 10),
        # from arrival, abandons under 8 s left out: c9 (4 + 3 = 7 s); c6 is 3 + 6 = 9 s
        ({"clock_start": "arrival", "short_abandon_seconds": 8}, 1, 1, 9),
        # a 20 s threshold from queue entry adds nobody (c4 waited 40 s)
        ({"threshold_seconds": 20}, 5, 0, 10),
        # a 45 s threshold adds c4
        ({"threshold_seconds": 45}, 6, 0, 10),
    ],
)
def test_service_level_by_each_definition(store, policy, within, short, denominator):
    overall = report(store, **policy).overall
    assert overall.answered_within_threshold == within
    assert overall.short_abandons == short
    assert overall.sl_denominator == denominator
    assert overall.service_level == pytest.approx(within / denominator)


def test_breakdowns_by_line_language_and_queue(store):
    r = report(store)
    assert list(r.by_line) == ["12315", "12345"]
    assert (r.by_line["12345"].offered, r.by_line["12345"].answered) == (7, 5)
    assert r.by_line["12345"].service_level == pytest.approx(4 / 7)  # c1 c2 c3 c8 of 7
    assert r.by_line["12315"].service_level == pytest.approx(1 / 3)  # c5 of c5 c6 c7
    assert (r.by_language["zh"].offered, r.by_language["zh"].answered) == (7, 5)
    assert r.by_language["zh"].service_level == pytest.approx(4 / 7)  # c1 c2 c3 c5
    assert r.by_language["en"].asa == pytest.approx(14) and r.by_language["en"].aht == 240
    general = r.by_queue["zh-general"]
    assert (general.offered, general.connection_rate, general.service_level) == (4, 1.0, 0.75)
    assert general.asa == pytest.approx((3 + 12 + 15 + 40) / 4)
    assert general.aht == pytest.approx((100 + 200 + 300 + 120) / 4)
    assert r.targets.judge(general) == {"service_level": "missed", "connection_rate": "met"}
    assert r.targets.judge(r.by_queue["en-general"]) == {"service_level": "missed",
                                                         "connection_rate": "missed"}
    lenient = Targets(service_level=0.75, connection_rate=1.0)
    assert lenient.judge(general) == {"service_level": "met", "connection_rate": "met"}


def test_agents_answered_talk_and_time_in_each_state(store):
    start, end = day_bounds(DAY, "Asia/Shanghai")
    assert end - start == 86400
    store.add_agent_states([
        AgentStateChanged("1001", "available", "idle", "", start - 3600),  # the day before
        AgentStateChanged("1001", "available", "ringing", "", T + 100, "c1"),
        AgentStateChanged("1001", "available", "on_call", "", T + 105, "c1"),
        AgentStateChanged("1001", "available", "wrap_up", "", T + 205, "c1"),
        AgentStateChanged("1001", "available", "idle", "", T + 235),
        AgentStateChanged("1001", "not_ready", "idle", "lunch", T + 1000),
        AgentStateChanged("1001", "logged_out", "idle", "", T + 4600),
        AgentStateChanged("1003", "logged_out", "idle", "", start - 10),
    ])
    agents = {a.agent_id: a for a in report(store).agents}
    assert sorted(agents) == ["1001", "1002"]  # 1003 was logged out all day
    a = agents["1001"]
    assert (a.calls_answered, a.talk_seconds) == (2, 300)  # c1 and c2
    assert a.state_seconds == pytest.approx({
        "idle": (T + 100 - start) + (T + 1000 - (T + 235)),
        "ringing": 5, "on_call": 100, "wrap_up": 30, "not_ready": 3600,
    })
    assert (agents["1002"].calls_answered, agents["1002"].talk_seconds) == (4, 720)
    # a day not over yet counts up to now
    today = build_daily_report(store, DAY, ServiceLevelPolicy(), now=T + 150)
    assert {a.agent_id: a for a in today.agents}["1001"].state_seconds == pytest.approx(
        {"idle": T + 100 - start, "ringing": 5, "on_call": 45})


def test_satisfaction_and_an_empty_day(store):
    store.set_satisfaction("c1", 1)
    store.set_satisfaction("c2", 2)
    r = report(store)
    assert (r.surveyed, r.satisfaction_mean) == (2, 1.5)
    empty = build_daily_report(store, date(2026, 1, 1), ServiceLevelPolicy())
    assert empty.overall.offered == 0 and empty.overall.service_level is None
    assert empty.targets.judge(empty.overall) == {"service_level": "n/a",
                                                  "connection_rate": "n/a"}


@pytest.mark.parametrize("text", ["2026-13-01", "20261120", "yesterday", "2026-02-30", ""])
def test_bad_days_are_refused(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day(text)


def test_transfers_to_departments_are_counted_beside_calls_handled_directly(tmp_path):
    from callcenter.reports.render import render_text

    with RecordStore.open(f"sqlite:///{tmp_path / 'records.db'}") as store:
        store.add_calls([
            make_record("t1", arrived_at=T, wait=2, talk=30, transferred_to="housing-authority"),
            make_record("t2", arrived_at=T + 60, wait=2, talk=30,
                        transferred_to="housing-authority"),
            make_record("t3", arrived_at=T + 120, wait=2, talk=30,
                        transferred_to="market-regulation"),
            make_record("t4", arrived_at=T + 180, wait=2, talk=30),
            make_record("t5", arrived_at=T + 240, wait=9, outcome="abandoned"),
        ])
        assert store.call("t1").transferred_to == "housing-authority"
        r = report(store)
    assert r.transfers == {"housing-authority": 2, "market-regulation": 1}
    assert r.as_dict()["transfers"]["handled_directly"] == 1
    text = render_text(r)
    assert "Transferred to departments: 3 of 4 answered (75.0%); handled directly 1" in text

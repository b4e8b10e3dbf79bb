"""Prometheus metrics scraped after driving a real ACD on the shipped config."""

import asyncio
import logging
from datetime import date

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from acd.commands import OfferCall
from acd.engine import ACD
from acd.events import AgentAnswered, AgentHungUp, AgentLoggedIn, CallArrived, CallerHungUp
from callcenter.config import load_config
from callcenter.metrics import WAIT_BUCKETS, CallMetrics, acd_provider, new_registry, render_metrics
from callcenter.records import RecordStore, RecordWriter, log_call_summaries
from callcenter.reports import build_daily_report
from tests.operations.factories import local_epoch

T0 = local_epoch("2026-11-20 10:00:00")  # the engine's clock is epoch seconds
SCRAPE_AT = 30.0

# call id, line, language, arrival, then ("answered", answer time, agent, hang-up time) or
# ("abandoned", hang-up time), or None: still waiting at the scrape
CALLS = [
    ("c1", "12345", "zh", 1.0, ("answered", 5.0, "1002", 20.0)),
    ("c2", "12315", "zh", 2.0, ("answered", 13.0, "1021", 25.0)),
    ("c3", "12345", "en", 3.0, ("answered", 10.0, "1030", 28.0)),
    ("c4", "12345", "ru", 4.0, ("abandoned", 24.0)),  # foreign callers: 12345 has the menu
    ("c5", "12345", "ja", 5.0, ("abandoned", 8.0)),
    ("c6", "12345", "de", 10.0, None),
]
LOGINS = [(0.0, "1002"), (1.5, "1021"), (2.5, "1030")]  # each takes the next call alone


class Engine:
    """The shipped config's ACD on a hand clock, with the operations sinks attached."""

    def __init__(self, sinks=()):
        self.config = load_config()
        self.acd = ACD(self.config.queue_specs(), self.config.agent_specs())
        self.now = 0.0
        self.metrics = CallMetrics()
        self.sinks = [self.metrics.sink, *sinks]
        self.registry = new_registry(acd_provider(self.acd, lambda: T0 + self.now, self.metrics))
        self.offers = []

    def at(self, when, event=None):
        self.now = when
        commands = self.acd.on_timer(T0 + when)
        if event is not None:
            commands += self.acd.handle(event, T0 + when)
        self.offers += [(c.call_id, c.agent_id) for c in commands if isinstance(c, OfferCall)]
        for sink in self.sinks:
            sink(commands)

    def run_scenario(self):
        timeline = [(when, AgentLoggedIn(agent, ready=True)) for when, agent in LOGINS]
        for call_id, line, lang, arrives, end in CALLS:
            queue = self.config.route_for(line, lang)
            timeline.append((arrives, CallArrived(call_id, queue, arrived_at=T0 + arrives - 6,
                                                  line=line, language=lang)))
            if end and end[0] == "answered":
                timeline.append((end[1], AgentAnswered(end[2], call_id)))
                timeline.append((end[3], AgentHungUp(end[2]) if call_id != "c3"
                                 else CallerHungUp(call_id)))
            elif end:
                timeline.append((end[1], CallerHungUp(call_id)))
        for when, event in sorted(timeline, key=lambda item: item[0]):
            self.at(when, event)
        self.at(SCRAPE_AT)

    def scrape(self):
        body, content_type = render_metrics(self.registry)
        assert content_type.startswith("text/plain")
        samples = {}
        for family in text_string_to_metric_families(body.decode()):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return samples


def labels(**kw):
    return tuple(sorted(kw.items()))


@pytest.fixture
def engine():
    engine = Engine()
    engine.run_scenario()
    return engine


def test_offers_went_to_the_intended_agents(engine):
    assert engine.offers == [(cid, end[2]) for cid, *_, end in CALLS if end and end[0] == "answered"]


def test_call_counters_match_the_calls_placed(engine):
    samples = engine.scrape()
    config = engine.config
    for call_id, line, lang, _arrives, end in CALLS:
        key = labels(line=line, language=lang, queue=config.route_for(line, lang))
        finished = 1 if end else 0
        assert samples.get(("callcenter_calls_offered_total", key), 0) == finished, call_id
        for outcome in ("answered", "abandoned"):
            want = 1 if end and end[0] == outcome else 0
            assert samples.get((f"callcenter_calls_{outcome}_total", key), 0) == want, call_id
    total = sum(v for (name, _), v in samples.items() if name == "callcenter_calls_offered_total")
    assert total == sum(1 for c in CALLS if c[4])


def test_wait_histogram_counts_each_wait_in_its_buckets(engine):
    samples = engine.scrape()
    config = engine.config
    by_series = {}
    for _, line, lang, arrives, end in CALLS:
        if end:
            series = (config.route_for(line, lang), end[0])
            by_series.setdefault(series, []).append(end[1] - arrives)
    for (queue, outcome), waits in by_series.items():
        for bound in [*WAIT_BUCKETS, float("inf")]:
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            got = samples[("callcenter_wait_seconds_bucket", labels(queue=queue, outcome=outcome, le=le))]
            assert got == sum(1 for w in waits if w <= bound), (queue, le)
        key = labels(queue=queue, outcome=outcome)
        assert samples[("callcenter_wait_seconds_count", key)] == len(waits)
        assert samples[("callcenter_wait_seconds_sum", key)] == pytest.approx(sum(waits))


def test_queue_and_agent_gauges_read_the_core_at_scrape_time(engine):
    samples = engine.scrape()
    waiting = {c[0]: engine.config.route_for(c[1], c[2]) for c in CALLS if c[4] is None}
    assert waiting == {"c6": "de-general"}
    assert samples[("callcenter_calls_waiting", labels(queue="de-general"))] == 1
    assert samples[("callcenter_calls_waiting", labels(queue="zh-general"))] == 0
    assert samples[("callcenter_longest_wait_seconds", labels(queue="de-general"))] == \
        pytest.approx(SCRAPE_AT - 10.0)
    # the three agents hung up less than 30 s ago: all in wrap-up
    assert samples[("callcenter_agent_seats", labels(state="wrap_up"))] == len(LOGINS)
    assert samples[("callcenter_agent_seats", labels(state="logged_out"))] == \
        len(engine.config.agents) - len(LOGINS)
    assert samples[("callcenter_agents", labels(queue="en-general", state="wrap_up"))] == 1
    assert samples[("callcenter_agents", labels(queue="zh-general", state="wrap_up"))] == 3
    # service level since start: c1 (4 s) and c2 (11 s) within 15 s; abandons count
    assert samples[("callcenter_service_level_ratio", labels(queue="zh-general"))] == 1.0
    assert samples[("callcenter_service_level_ratio", labels(queue="zh-consumer"))] == 1.0
    assert samples[("callcenter_service_level_ratio", labels(queue="ru-general"))] == 0.0
    assert ("callcenter_service_level_ratio", labels(queue="de-general")) not in samples
    assert samples[("callcenter_connection_rate_ratio", labels(queue="en-general"))] == 1.0
    assert samples[("callcenter_connection_rate_ratio", labels(queue="ja-general"))] == 0.0
    # later scrapes see the core as it is then: wrap-ups (30 s) end at 50, 55 and 58
    engine.at(56.0)
    later = engine.scrape()
    assert later[("callcenter_longest_wait_seconds", labels(queue="de-general"))] == \
        pytest.approx(56.0 - 10.0)
    assert later[("callcenter_agent_seats", labels(state="idle"))] == 2
    assert later[("callcenter_agent_seats", labels(state="wrap_up"))] == 1
    # after 30 s the German queue also takes English speakers: 1030 rings once free at 58
    engine.at(59.0)
    assert engine.offers[-1] == ("c6", "1030")
    latest = engine.scrape()
    assert latest[("callcenter_calls_waiting", labels(queue="de-general"))] == 0
    assert latest[("callcenter_agent_seats", labels(state="ringing"))] == 1


def test_no_call_id_or_number_label_and_nothing_on_the_global_registry(engine):
    samples = engine.scrape()
    names = {name for name, _ in samples}
    assert all(name.startswith("callcenter_") for name in names)
    assert {k for _, lbls in samples for k, _ in lbls} <= {"line", "language", "queue", "state",
                                                           "outcome", "le"}
    assert all(not n.startswith("callcenter_") for n in REGISTRY._names_to_collectors)
    other = Engine()  # a second engine counts on its own
    assert not any(name.endswith("_total") for name, _ in other.scrape())


def test_records_report_and_summary_lines_agree_with_the_metrics(tmp_path, caplog):
    store = RecordStore.open(f"sqlite:///{tmp_path / 'records.db'}")
    writer = RecordWriter(store)
    engine = Engine(sinks=[writer.sink, log_call_summaries])
    with caplog.at_level(logging.INFO, logger="callcenter.calls"):
        engine.run_scenario()
    writer.flush(timeout=20)
    samples = engine.scrape()
    config = engine.config
    with RecordStore.open(f"sqlite:///{tmp_path / 'records.db'}") as reader:
        daily = build_daily_report(reader, date(2026, 11, 20), config.service_level.policy(),
                                   now=T0 + SCRAPE_AT)
    for queue, figures in daily.by_queue.items():
        offered = sum(v for (name, lbls), v in samples.items()
                      if name == "callcenter_calls_offered_total" and ("queue", queue) in lbls)
        assert figures.offered == offered, queue
    assert sum(f.offered for f in daily.by_queue.values()) == sum(1 for c in CALLS if c[4])
    assert daily.overall.answered == sum(1 for c in CALLS if c[4] and c[4][0] == "answered")
    summaries = [r.getMessage() for r in caplog.records if r.name == "callcenter.calls"]
    assert len(summaries) == sum(1 for c in CALLS if c[4])
    assert "call_id=c1 line=12345 language=zh queue=zh-general wait=4.000 talk=15.000 " \
           "outcome=answered agent=1002" in summaries
    writer.close()


def test_metrics_app_serves_the_engines_registry(engine):
    from callcenter.metrics import make_metrics_app

    app = make_metrics_app(engine.registry)
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/metrics", "query_string": b"",
             "headers": []}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    offered = [f for f in text_string_to_metric_families(body) if f.name == "callcenter_calls_offered"]
    assert sum(s.value for s in offered[0].samples if s.name.endswith("_total")) == \
        sum(1 for c in CALLS if c[4])

"""Calls placed through the core show up in /metrics, today's figures and the daily report."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from acd.events import AgentAnswered, AgentHungUp, CallArrived, CallerHungUp


def scrape(live) -> dict[tuple[str, tuple], float]:
    reply = live.get("/metrics")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(reply.body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def labels(**kw: str) -> tuple:
    return tuple(sorted(kw.items()))


def place_calls(live) -> None:
    """Two answered calls on 12345 in Mandarin, one abandoned on 12315, one still waiting."""
    live.post("/api/agents/1001/login", body={"ready": True})
    for call_id in ("a1", "a2"):
        live.submit(CallArrived(call_id, "zh-general", language="zh", line="12345"))
        live.submit(AgentAnswered("1001", call_id))
        live.submit(AgentHungUp("1001"))
        live.post("/api/agents/1001/wrap-up-done")
    live.post("/api/agents/1001/not-ready", body={"reason": "break"})
    live.submit(CallArrived("b1", "zh-consumer", language="zh", line="12315"))
    live.submit(CallerHungUp("b1"))
    live.submit(CallArrived("w1", "en-general", language="en", line="12345"))


def test_metrics_counters_match_the_calls(live):
    place_calls(live)
    m = scrape(live)
    general = labels(line="12345", language="zh", queue="zh-general")
    consumer = labels(line="12315", language="zh", queue="zh-consumer")
    assert m[("callcenter_calls_answered_total", general)] == 2
    assert m[("callcenter_calls_offered_total", general)] == 2
    assert m[("callcenter_calls_abandoned_total", consumer)] == 1
    assert m[("callcenter_calls_offered_total", consumer)] == 1
    assert ("callcenter_calls_abandoned_total", general) not in m
    assert m[("callcenter_wait_seconds_count", labels(queue="zh-general", outcome="answered"))] == 2
    assert m[("callcenter_calls_waiting", labels(queue="en-general"))] == 1
    assert m[("callcenter_calls_waiting", labels(queue="zh-general"))] == 0
    assert m[("callcenter_agent_seats", labels(state="not_ready"))] == 1
    assert m[("callcenter_connection_rate_ratio", labels(queue="zh-consumer"))] == 0


def test_todays_figures_and_the_daily_report(live):
    place_calls(live)
    figures = live.get("/api/figures/today").json()
    assert figures["targets"]["threshold_seconds"] == 15 and figures["targets"]["service_level"] == 0.95
    assert figures["since"] <= figures["now"] and "max_wait_seconds" not in figures["overall"]
    overall = figures["overall"]
    assert (overall["offered"], overall["answered"], overall["abandoned"]) == (4, 2, 1)
    assert figures["queues"]["zh-general"]["service_level"] == 1.0
    assert figures["queues"]["zh-consumer"]["connection_rate"] == 0.0
    assert live.engine.writer.flush(10)  # the records are written on their own thread
    report = live.get("/api/reports/daily/today").json()
    assert report["overall"]["offered"] == 3  # the waiting call is not recorded yet
    assert report["by_queue"]["zh-general"]["answered"] == 2
    assert report["by_line"]["12315"]["abandoned"] == 1
    assert report["by_queue"]["zh-consumer"]["targets"]["connection_rate"] == "missed"
    agent = next(a for a in report["agents"] if a["agent_id"] == "1001")
    assert agent["calls_answered"] == 2 and agent["state_seconds"]
    bad = live.get("/api/reports/daily/2026-13-01")
    assert bad.status == 400 and "expected a date as YYYY-MM-DD" in bad.json()["detail"]
    assert live.get("/api/reports/daily/2020-01-01").json()["overall"]["offered"] == 0

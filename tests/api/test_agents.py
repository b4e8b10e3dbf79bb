"""Agent and supervisor actions over HTTP, reflected in the snapshots; refusals change nothing."""

from __future__ import annotations

import http.client
import time

from acd.events import AgentAnswered, CallArrived


def queue(live, name: str) -> dict:
    return next(q for q in live.get("/api/queues").json() if q["name"] == name)


def test_login_ready_not_ready_round_trip(live):
    before = queue(live, "zh-general")["agents"]
    agent = live.post("/api/agents/1002/login").json()
    assert (agent["state"], agent["presence"], agent["reason"]) == ("not_ready", "not_ready", "logged-in")
    agent = live.post("/api/agents/1002/ready").json()
    assert (agent["state"], agent["presence"], agent["activity"]) == ("idle", "available", "idle")
    assert agent["since"] > 0
    after = queue(live, "zh-general")["agents"]
    assert after["idle"] == before["idle"] + 1 and after["logged_out"] == before["logged_out"] - 1
    agent = live.post("/api/agents/1002/not-ready", body={"reason": "lunch"}).json()
    assert (agent["state"], agent["reason"]) == ("not_ready", "lunch")
    listed = {a["agent_id"]: a for a in live.get("/api/agents").json()}
    assert listed["1002"]["reason"] == "lunch" and listed["1003"]["state"] == "logged_out"
    board = live.get("/wallboard/snapshot").json()
    assert next(a for a in board["agents"] if a["agent_id"] == "1002")["state"] == "not_ready"
    assert live.post("/api/agents/1002/logout").json()["state"] == "logged_out"
    assert live.post("/api/agents/1003/login", body={"ready": True}).json()["state"] == "idle"


def test_illegal_transitions_are_409_and_change_nothing(live):
    reply = live.post("/api/agents/1001/ready")
    assert reply.status == 409
    assert reply.json()["detail"] == "agent 1001: 'ready' not allowed while logged_out"
    assert live.get("/api/agents/1001").json()["state"] == "logged_out"

    live.post("/api/agents/1001/login", body={"ready": True})
    reply = live.post("/api/agents/1001/login")
    assert reply.status == 409 and "'login' not allowed while available" in reply.json()["detail"]
    reply = live.post("/api/agents/1001/wrap-up-done")
    assert reply.status == 409 and reply.json()["detail"] == "agent 1001: not in wrap-up"

    live.submit(CallArrived("c-talk", "zh-general", language="zh", line="12345"))
    live.submit(AgentAnswered("1001", "c-talk"))
    for path in ("/api/agents/1001/logout", "/api/supervisor/agents/1001/force-logout"):
        reply = live.post(path)
        assert reply.status == 409 and "'logout' not allowed while on_call" in reply.json()["detail"]
    agent = live.get("/api/agents/1001").json()
    assert (agent["state"], agent["call_id"], agent["line"], agent["language"]) == \
        ("on_call", "c-talk", "12345", "zh")
    calls = live.get("/api/calls").json()
    assert calls["talking"] == [{"call_id": "c-talk", "agent_id": "1001", "line": "12345",
                                 "language": "zh"}]


def test_unknown_agent_is_404_and_a_bad_reason_422(live):
    for method, path in (("GET", "/api/agents/nobody"), ("POST", "/api/agents/nobody/login"),
                         ("POST", "/api/agents/nobody/not-ready"),
                         ("POST", "/api/supervisor/agents/nobody/force-logout")):
        reply = live.request(method, path)
        assert reply.status == 404 and reply.json() == {"detail": "unknown agent 'nobody'"}, path
    live.post("/api/agents/1004/login")
    reply = live.post("/api/agents/1004/not-ready", body={"reason": "<script>"})
    assert reply.status == 422
    assert live.get("/api/agents/1004").json()["reason"] == "logged-in"


def test_supervisor_forces_not_ready_and_logout(live):
    live.post("/api/agents/1005/login", body={"ready": True})
    live.submit(CallArrived("c-ring", "zh-general", language="zh", line="12345"))
    ringing = live.get("/api/calls").json()["ringing"]
    assert [(c["call_id"], c["agent_id"]) for c in ringing] == [("c-ring", "1005")]
    agent = live.post("/api/supervisor/agents/1005/force-logout").json()
    assert agent["state"] == "logged_out" and agent["call_id"] is None
    calls = live.get("/api/calls").json()
    assert calls["ringing"] == [] and calls["waiting"]["zh-general"] == 1  # the call kept its place

    live.post("/api/agents/1006/login", body={"ready": True})  # takes the waiting call
    live.submit(AgentAnswered("1006", "c-ring"))
    agent = live.post("/api/supervisor/agents/1006/force-not-ready").json()
    assert (agent["presence"], agent["activity"], agent["reason"]) == ("not_ready", "on_call", "supervisor")
    agent = live.post("/api/supervisor/agents/1006/force-not-ready", body={"reason": "coaching"}).json()
    assert agent["reason"] == "coaching" and agent["call_id"] == "c-ring"  # the call is not cut


def test_openapi_documents_the_routes_and_the_bearer_scheme(live):
    spec = live.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in (("/api/agents", "get"), ("/api/agents/{agent_id}/login", "post"),
                         ("/api/agents/{agent_id}/not-ready", "post"), ("/api/queues", "get"),
                         ("/api/calls", "get"), ("/api/figures/today", "get"),
                         ("/api/reports/daily/{day}", "get"), ("/metrics", "get"),
                         ("/api/supervisor/agents/{agent_id}/force-not-ready", "post"),
                         ("/wallboard/events", "get")):
        assert method in paths[path], path
    assert set(paths["/api/agents/{agent_id}/ready"]["post"]["responses"]) >= {"200", "404", "409"}
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"HTTPBearer": []} in paths["/api/queues"]["get"]["security"]
    docs = live.get("/docs")
    assert docs.status == 200 and b"<code>/api/agents/{agent_id}/wrap-up-done</code>" in docs.body


def test_keep_alive_responses_do_not_stall(live):
    """Nagle plus delayed ACKs would add ~40 ms to each response on a reused connection."""
    conn = http.client.HTTPConnection("127.0.0.1", live.api.port, timeout=5)
    headers = {"Authorization": f"Bearer {live.token}"}
    started = time.perf_counter()
    for _ in range(20):
        conn.request("GET", "/api/queues", headers=headers)
        assert conn.getresponse().read()
    conn.close()
    assert time.perf_counter() - started < 0.5

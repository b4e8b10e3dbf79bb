"""The case API end to end: a request from intake to closure, refusals that change nothing."""

from __future__ import annotations

import pytest

HOUR = 3600.0


def intake(api, user="agent1", **extra):
    body = {"category": "0201", "text": "小区停水两天了", "caller_number": "13800000001",
            "district": "历下区", "address": "文化东路1号", **extra}
    return api.ok(user, "/api/cases", body)


def test_a_request_from_intake_to_closure(api):
    opened = intake(api, call_id="call-1")
    case_id = opened["case_id"]
    assert opened["status"] == "open" and opened["intake_by"] == "agent1"
    api.clock.now += 600
    dispatched = api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"})
    assert dispatched["status"] == "dispatched" and dispatched["departments"] == {"water": "lead"}
    assert "NotifyDepartment" in {c["type"] for c in dispatched["commands"]}
    api.clock.now += HOUR
    assert api.ok("water1", f"/api/cases/{case_id}/sign")["status"] == "handling"
    api.clock.now += 20 * HOUR
    replied = api.ok("water1", f"/api/cases/{case_id}/reply", {"text": "已恢复供水"})
    assert replied["status"] == "replied"
    api.clock.now += 2 * HOUR
    closed = api.ok("agent2", f"/api/cases/{case_id}/visit",
                    {"reached": True, "solved": True, "satisfied": True})
    assert closed["status"] == "closed" and closed["closed_at"] == api.clock.now
    history = api.get("boss", f"/api/cases/{case_id}/history").json()
    kinds = [e["type"] for e in history]
    assert kinds[0] == "CaseOpened" and kinds[-1] == "Closed"
    assert {"Dispatched", "SignedFor", "Replied", "VisitResult", "DeadlineSet"} <= set(kinds)
    assert [e["actor"]["user"] for e in history if e["type"] == "SignedFor"] == ["water1"]
    # the call and the case, both ways
    assert api.get("agent1", "/api/calls/call-1/cases").json()["cases"][0]["case_id"] == case_id
    assert api.get("agent1", f"/api/cases/{case_id}").json()["call_id"] == "call-1"


def test_screen_pop_lists_the_callers_earlier_cases_newest_first(api):
    first = intake(api)["case_id"]
    api.clock.now += 60
    second = intake(api, text="又停水了")["case_id"]
    intake(api, caller_number="13900000002")
    rows = api.get("agent2", "/api/callers/13800000001/cases").json()
    assert [r["case_id"] for r in rows] == [second, first]


def test_direct_answer_links_the_article_and_closes(api):
    api.casework.kb.save("kb-water", "停水查询", "停水信息请查询水务集团公告", "停水", author="boss")
    case_id = intake(api, category="0101", text="停水信息在哪里看")["case_id"]
    hits = api.get("agent1", "/api/kb/search", q="停水").json()
    assert [h["article_id"] for h in hits] == ["kb-water"]
    answered = api.ok("agent1", f"/api/cases/{case_id}/answer",
                      {"answer": "请查看水务集团公告", "article_id": "kb-water"})
    assert answered["articles"] == [{"article_id": "kb-water", "version": 1, "title": "停水查询"}]
    assert answered["status"] in ("closed", "answered")  # closed unless sampled for a visit
    assert api.get("agent1", "/api/kb/articles/kb-water").json()["cases"] == [case_id]


def test_refusals_name_the_field_and_change_nothing(api):
    def refused(user, path, body, status, field):
        before = api.casework.store.count_events()
        reply = api.post(user, path, body)
        assert reply.status_code == status, (path, reply.text)
        assert field in reply.json()["detail"] if isinstance(reply.json()["detail"], str) else \
            field in {str(loc) for err in reply.json()["detail"] for loc in err["loc"]}, reply.text
        assert api.casework.store.count_events() == before

    refused("agent1", "/api/cases", {"category": "9999", "text": "x"}, 422, "category")
    case_id = intake(api)["case_id"]
    refused("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "nowhere"}, 422, "lead")
    refused("agent2", f"/api/cases/{case_id}/dispatch", {"lead": "water"}, 403, "case_id")
    api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"})
    refused("boss", f"/api/cases/{case_id}/reply", {"text": "x", "department": "water"}, 409,
            "status")  # not signed for yet
    api.ok("water1", f"/api/cases/{case_id}/sign")
    refused("boss", f"/api/cases/{case_id}/reply", {"text": "x", "department": "transport"}, 422,
            "department")
    refused("agent1", f"/api/cases/{case_id}/extension/decision", {"approved": True}, 403, "role")
    refused("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water", "extra": 1}, 422, "extra")
    api.ok("water1", f"/api/cases/{case_id}/reply", {"text": "done"})
    api.ok("agent1", f"/api/cases/{case_id}/visit", {"reached": True, "solved": True, "satisfied": True})
    refused("boss", f"/api/cases/{case_id}/extension", {"days": 2, "reason": "late", "department": "water"},
            409, "status")
    refused("agent1", "/api/cases", {"category": "0201", "text": "x" * 10_001}, 422, "text")


def test_oversized_bodies_are_refused_before_they_are_read(api):
    reply = api.request("agent1", "POST", "/api/cases", content=b"{" + b" " * 200_000 + b"}",
                        headers={"Content-Type": "application/json"})
    assert reply.status_code == 413


def test_extension_moves_the_deadline_only_on_approval(api):
    case_id = intake(api, category="0301")["case_id"]  # complaint: 5 working days
    api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"})
    api.ok("water1", f"/api/cases/{case_id}/sign")
    due = api.get("boss", f"/api/cases/{case_id}").json()["case"]["deadlines"]["reply"]
    api.ok("water1", f"/api/cases/{case_id}/extension", {"days": 3, "reason": "需要协调"})
    assert api.get("boss", f"/api/cases/{case_id}").json()["case"]["deadlines"]["reply"] == due
    api.ok("boss", f"/api/cases/{case_id}/extension/decision", {"approved": False})
    assert api.get("boss", f"/api/cases/{case_id}").json()["case"]["deadlines"]["reply"] == due
    api.ok("water1", f"/api/cases/{case_id}/extension", {"days": 3, "reason": "还需要协调"})
    api.ok("boss", f"/api/cases/{case_id}/extension/decision", {"approved": True})
    assert api.get("boss", f"/api/cases/{case_id}").json()["case"]["deadlines"]["reply"] > due


def test_a_return_goes_back_to_the_hotline_and_the_department_loses_sight(api):
    case_id = intake(api)["case_id"]
    api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "transport"})
    api.ok("bus1", f"/api/cases/{case_id}/return", {"reason": "不属于交通部门"})
    assert api.get("bus1", f"/api/cases/{case_id}").status_code == 404
    assert api.post("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"}).status_code == 403
    assert api.ok("boss", f"/api/cases/{case_id}/dispatch", {"lead": "water"})["status"] == "dispatched"
    assert api.get("water1", f"/api/cases/{case_id}").status_code == 200


def test_login_is_throttled_and_case_routes_refuse_the_wrong_token(api):
    for _ in range(5):
        bad = api.request(None, "POST", "/api/session", json={"username": "agent1", "password": "nope"})
        assert bad.status_code == 401
    throttled = api.request(None, "POST", "/api/session",
                            json={"username": "agent1", "password": "a long test password"})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert api.request(None, "GET", "/api/cases").status_code == 401
    reply = api.request(None, "GET", "/api/cases", headers={"Authorization": "Bearer not-a-token"})
    assert reply.status_code == 401


def test_evaluation_and_report_of_a_day(api):
    pytest.importorskip("cases.evaluation")
    for n in range(3):
        case_id = intake(api, caller_number=f"1380000010{n}")["case_id"]
        api.ok("agent1", f"/api/cases/{case_id}/dispatch", {"lead": "water"})
        api.ok("water1", f"/api/cases/{case_id}/sign")
        if n == 2:
            api.ok("water1", f"/api/cases/{case_id}/return", {"reason": "不归我们管"})
            continue
        api.ok("water1", f"/api/cases/{case_id}/reply", {"text": "已处理"})
        api.ok("agent1", f"/api/cases/{case_id}/visit",
               {"reached": True, "solved": n == 0, "satisfied": n == 0})
    figures = api.get("boss", "/api/case-figures/evaluation", start="2026-11-16").json()
    water = {d["department"]: d for d in figures["departments"]}["water"]
    assert (water["received"], water["returned"], water["due"]) == (3, 1, 2)
    assert water["rates"]["满意率"] == 0.5 and water["rehandled"] == 1
    assert figures["hotline"]["opened"] == 3
    assert api.get("agent1", "/api/case-figures/evaluation", start="2026-11-16").status_code == 403
    report = api.get("agent1", "/api/case-figures/report", start="2026-11-16", end="2026-11-16").json()
    assert report["total"] == 3 and report["counts"]["district"] == {"历下区": 3}
    spots = api.get("agent1", "/api/case-figures/special", start="2026-11-16", minimum=3).json()
    assert [(s["kind"], s["key"], s["count"]) for s in spots] == [
        ("place", "历下区|文化东路1号", 3), ("subject", "历下区|0201", 3)]
    backwards = api.get("boss", "/api/case-figures/report", start="2026-11-17", end="2026-11-16")
    assert backwards.status_code == 422

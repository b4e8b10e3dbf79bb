"""A department user sees and acts on only their own department's cases: another department's
case is 404 on every route that names a case (walked from the OpenAPI document, so a new route
is covered the day it is added), and never appears in a list."""

from __future__ import annotations

from tests.casework.test_cases_api import intake

BODIES = {  # a body each route would accept for a case of the user's own department
    "dispatch": {"lead": "water"}, "answer": {"answer": "a"}, "reply": {"text": "t"},
    "return": {"reason": "r"}, "extension": {"days": 1, "reason": "r"},
    "decision": {"approved": True}, "visit": {"reached": False}, "remark": {"text": "t"},
    "close": {"reason": "withdrawn"},
}


def case_routes(api) -> list[tuple[str, str]]:
    paths = api.request("boss", "GET", "/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, operations in paths.items() if "{case_id}" in path
            for method in operations]


def test_another_departments_case_is_404_on_every_route(api):
    theirs = intake(api, call_id="call-9", caller_number="13700000009")["case_id"]
    api.ok("agent1", f"/api/cases/{theirs}/dispatch", {"lead": "transport"})
    api.ok("bus1", f"/api/cases/{theirs}/sign")
    routes = case_routes(api)
    assert len(routes) >= 14 and ("GET", "/api/cases/{case_id}/history") in routes
    before = (api.casework.store.count_events(), api.get("boss", f"/api/cases/{theirs}").json())
    for method, path in routes:
        body = BODIES.get(path.rsplit("/", 1)[-1], {})
        concrete = path.replace("{case_id}", theirs)
        reply = api.request("water1", method, concrete, **({"json": body} if method == "POST" else {}))
        assert reply.status_code == 404, (method, path, reply.status_code, reply.text)
        assert reply.json() == {"detail": f"no case {theirs!r}"}  # the same as a missing case
        missing = api.request("water1", method, path.replace("{case_id}", "20991231-000001"),
                              **({"json": body} if method == "POST" else {}))
        assert missing.status_code == 404 and missing.json() == {"detail": "no case '20991231-000001'"}
    assert (api.casework.store.count_events(), api.get("boss", f"/api/cases/{theirs}").json()) == before
    # the owner still sees it
    assert api.get("bus1", f"/api/cases/{theirs}").status_code == 200


def test_lists_and_lookups_never_show_another_departments_case(api):
    theirs = intake(api, call_id="call-9", caller_number="13700000009")["case_id"]
    api.ok("agent1", f"/api/cases/{theirs}/dispatch", {"lead": "transport"})
    mine = intake(api, call_id="call-9", caller_number="13700000009")["case_id"]
    api.ok("agent1", f"/api/cases/{mine}/dispatch", {"lead": "water"})
    for path, params in (("/api/cases", {}), ("/api/cases", {"department": "transport"}),
                         ("/api/callers/13700000009/cases", {})):
        ids = {row["case_id"] for row in api.get("water1", path, **params).json()}
        assert theirs not in ids and (mine in ids or params), (path, ids)
    assert [c["case_id"] for c in api.get("water1", "/api/calls/call-9/cases").json()["cases"]] == [mine]
    assert api.get("water1", "/api/calls/call-9/cases").json()["record"] is None
    assert api.get("water1", "/api/case-alerts").status_code == 403

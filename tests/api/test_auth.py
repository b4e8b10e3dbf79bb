"""Every route needs the token; browsers sign in for a read-only cookie; no default token."""

from __future__ import annotations

import asyncio
import http.client
import os
import stat
from urllib.parse import urlencode, urlsplit

import pytest

from callcenter.api import ApiConfigError, resolve_token, start_api
from callcenter.api.auth import COOKIE_NAME
from callcenter.api.casework_routes import USER_TAGS

EXTRA_ROUTES = [("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/wallboard/static/wallboard.js")]


def all_routes(live, *, user_routes: bool = False) -> list[tuple[str, str]]:
    """Every operation the OpenAPI document lists, path parameters filled in, plus the
    routes kept out of it; with ``user_routes`` only those that take a user's session."""
    paths = live.get("/openapi.json").json()["paths"]
    routes = []
    for path, operations in paths.items():
        concrete = (path.replace("{agent_id}", "1001").replace("{day}", "today")
                    .replace("{name}", "wallboard.css").replace("{case_id}", "20261116-000001")
                    .replace("{article_id}", "kb-1").replace("{number}", "13800000001")
                    .replace("{call_id}", "c1"))
        routes += [(method.upper(), concrete) for method, op in operations.items()
                   if user_routes == bool(USER_TAGS & set(op.get("tags", ())))]
    return routes if user_routes else routes + EXTRA_ROUTES


def status_only(live, method: str, path: str, headers: dict[str, str]) -> int:
    """The status line only (the event stream never ends)."""
    parts = urlsplit(live.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_every_route_refuses_a_missing_or_wrong_token(live):
    routes = all_routes(live)
    assert ("GET", "/metrics") in routes and ("GET", "/wallboard") in routes
    assert ("GET", "/wallboard/events") in routes and len(routes) >= 20
    last = "y" if live.token[-1] != "y" else "z"
    wrong = {"Authorization": f"Bearer {live.token[:-1]}{last}"}  # one character off
    basic = {"Authorization": f"Basic {live.token}"}
    for method, path in routes:
        for headers in ({}, wrong, basic, {"Authorization": "Bearer "}):
            assert status_only(live, method, path, headers) == 401, (method, path, headers)
    for method, path in routes:
        if method == "GET":
            good = {"Authorization": f"Bearer {live.token}"}
            assert status_only(live, method, path, good) == 200, path
    # A refused request changed nothing.
    assert live.get("/api/agents/1001").json()["state"] == "logged_out"


def test_the_engine_token_opens_no_case_route(live):
    routes = all_routes(live, user_routes=True)
    assert ("POST", "/api/cases") in routes and ("GET", "/api/kb/search") in routes
    good = {"Authorization": f"Bearer {live.token}"}
    for method, path in routes:
        if path != "/api/session" or method != "POST":
            assert status_only(live, method, path, good) == 401, (method, path)


def test_refusal_says_why_and_a_browser_gets_the_sign_in_form(live):
    reply = live.get("/metrics", token=None)
    assert reply.status == 401 and reply.json() == {"detail": "missing or wrong API token"}
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    page = live.get("/wallboard", token=None, headers={"Accept": "text/html"})
    assert page.status == 401 and b'<form method=post action="/login">' in page.body
    assert b'name=next value="/wallboard"' in page.body


def test_sign_in_sets_a_read_only_session_cookie(live):
    form = {"next": "/wallboard"}
    bad = live.post("/login", token=None, data=urlencode({**form, "token": "nope"}).encode())
    assert bad.status == 401 and "set-cookie" not in bad.headers
    ok = live.post("/login", token=None, data=urlencode({**form, "token": live.token}).encode())
    assert ok.status == 303 and ok.headers["Location"] == "/wallboard"
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert live.token not in cookie
    session = {"Cookie": cookie.split(";")[0]}
    assert cookie.split(";")[0].startswith(f"{COOKIE_NAME}=")
    assert live.get("/wallboard", token=None, headers=session).status == 200
    assert live.get("/api/agents", token=None, headers=session).status == 200
    # Actions need the header: a cookie alone cannot make a browser log an agent in.
    assert live.post("/api/agents/1001/login", token=None, headers=session).status == 401
    assert live.get("/api/agents/1001").json()["state"] == "logged_out"
    forged = {"Cookie": f"{COOKIE_NAME}={live.token}"}
    assert live.get("/wallboard", token=None, headers=forged).status == 401
    # An open redirect is not possible through the form.
    away = live.post("/login", token=None,
                     data=urlencode({"next": "//evil.example/", "token": live.token}).encode())
    assert away.headers["Location"] == "/wallboard"
    assert live.post("/login", token=None, data=b"token=" + b"x" * 10_000).status == 413


def test_resolve_token_generates_a_private_file_once(tmp_path, caplog):
    path = tmp_path / "state" / "api-token"
    with caplog.at_level("WARNING"):
        token = resolve_token(None, env={}, file=path)
    assert len(token) >= 32 and str(path) in caplog.text and token not in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_token(None, env={}, file=path) == token
    assert resolve_token(None, env={"CALLCENTER_API_TOKEN": "e" * 20}, file=path) == "e" * 20
    assert resolve_token("x" * 16, env={"CALLCENTER_API_TOKEN": "e" * 20}, file=path) == "x" * 16
    with pytest.raises(ValueError, match="at least 16"):
        resolve_token("secret", env={}, file=path)


def test_no_token_means_loopback_only(live, tmp_path, monkeypatch):
    monkeypatch.delenv("CALLCENTER_API_TOKEN", raising=False)
    for host in ("0.0.0.0", "192.0.2.10", "::", "example.org"):
        with pytest.raises(ApiConfigError, match=f"refusing to serve the API on {host} without a token"):
            asyncio.run(start_api(live.engine, host=host, port=0, token=None))
    with pytest.raises(ApiConfigError, match="at least 16"):
        asyncio.run(start_api(live.engine, host="0.0.0.0", port=0, token="short"))
    token_file = tmp_path / "api-token"
    local = live.run(start_api(live.engine, host="127.0.0.1", port=0, token=None, token_file=token_file))
    try:
        token = token_file.read_text().strip()
        assert os.stat(token_file).st_mode & 0o077 == 0
        conn = http.client.HTTPConnection("127.0.0.1", local.port, timeout=5)
        conn.request("GET", "/api/queues", headers={"Authorization": f"Bearer {token}"})
        assert conn.getresponse().status == 200
        conn.close()
        assert status_only(live, "GET", "/api/queues", {"Authorization": f"Bearer {token}"}) == 401
    finally:
        live.run(local.close())


def test_a_busy_port_is_a_clear_error(live):
    with pytest.raises(ApiConfigError, match=f"cannot listen on 127.0.0.1:{live.api.port}"):
        live.run(start_api(live.engine, host="127.0.0.1", port=live.api.port, token=live.token))


def test_token_from_the_environment(live, monkeypatch, tmp_path):
    monkeypatch.setenv("CALLCENTER_API_TOKEN", "env-token-0123456789")
    server = live.run(start_api(live.engine, host="127.0.0.1", port=0, token=None,
                                token_file=tmp_path / "unused"))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/metrics", headers={"Authorization": "Bearer env-token-0123456789"})
        assert conn.getresponse().status == 200
        conn.close()
        assert not (tmp_path / "unused").exists()
    finally:
        live.run(server.close())

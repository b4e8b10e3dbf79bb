"""Every desk route but the sign-in form, the static files and the language switch needs a
user's session: pages redirect to the sign-in form, the JSON helpers answer 401 (walked from
the desk's routes, so a new page is covered the day it is added)."""

from __future__ import annotations

import httpx

from callcenter.desk import desk_router

PUBLIC = {"/desk/login", "/desk/static/{name}", "/desk/lang/{lang}"}


def test_every_desk_route_needs_a_session(desk):
    routes = [(method, route.path) for route in desk_router(desk.casework).routes
              if route.path not in PUBLIC for method in route.methods]
    assert len(routes) >= 9 and ("GET", "/desk/inbox") in routes
    with httpx.Client(base_url=desk.url, cookies={"hotline_session": "not-a-session"}) as client:
        for method, path in routes:
            concrete = path.replace("{case_id}", "20261116-000001").replace("{action}", "sign") \
                .replace("{agent_id}", "1001")
            reply = client.request(method, concrete, params={"q": "停水", "category": "0201",
                                                             "urgency": "一般"})
            if path in ("/desk/kb", "/desk/deadline", "/desk/board/events"):
                assert reply.status_code == 401, path
            else:
                assert reply.status_code == 303, (method, path, reply.status_code)
                where = reply.headers["location"]
                assert where.startswith("/desk/login") or (path == "/desk/logout" and where == "/desk"), path


def test_no_catalogue_key_is_hidden_by_a_dict_method():
    """Jinja2 looks attributes up first: ``t.pop`` would be the dict's method, not the text."""
    from callcenter.desk.texts import load_texts

    assert not [key for key in load_texts()["zh"] if hasattr(dict, key)]


def test_the_sign_in_form_refuses_a_post_without_its_token(desk):
    with httpx.Client(base_url=desk.url) as client:
        reply = client.post("/desk/login", data={"username": "water1", "password": "a long test password"})
        assert reply.status_code == 403 and "hotline_session" not in reply.cookies

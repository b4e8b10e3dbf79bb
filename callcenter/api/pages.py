"""Browser pages: the login form that sets the session cookie, and an API reference rendered
from the OpenAPI document on the server (no CDN: the engine may run on a closed network)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from callcenter.api.auth import COOKIE_NAME, TokenAuth

SESSION_SECONDS = 7 * 24 * 3600
MAX_FORM_BYTES = 4096
_STYLE = ("body{font:18px system-ui,sans-serif;background:#0b0f14;color:#e8eef5;margin:3em}"
          "input,button{font:inherit;padding:.4em}a{color:#7cc4ff}td,th{padding:.2em .8em;"
          "text-align:left;vertical-align:top}code{color:#ffd479}")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}"
                        f"</title><style>{_STYLE}</style><body><h1>{escape(title)}</h1>{body}",
                        status_code=status, headers={"Cache-Control": "no-store"})


def _safe_next(target: str | None) -> str:
    """Only a local path: never redirect a login to another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/wallboard"
    return target


def login_form(target: str, message: str = "", status: int = 200) -> HTMLResponse:
    note = f"<p role=alert style='color:#ff6b6b'>{escape(message)}</p>" if message else ""
    return _page("Call center sign-in", f"""{note}
<form method=post action="/login">
<input type=hidden name=next value="{escape(_safe_next(target))}">
<label>API token <input id=token name=token type=password autocomplete=current-password
autofocus required></label> <button id=sign-in type=submit>Sign in</button></form>""", status)


def pages_router(auth: TokenAuth) -> APIRouter:
    """Public routes (no token needed to reach them)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    async def login_page(target: str = Query("/wallboard", alias="next")) -> HTMLResponse:
        return login_form(target)

    @router.post("/login")
    async def login(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return login_form("/wallboard", "Form too large.", 413)
        form = parse_qs(body.decode("utf-8", "replace"))
        target = _safe_next(form.get("next", [""])[0])
        if not auth.token_ok(form.get("token", [""])[0]):
            return login_form(target, "Wrong token.", 401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE_NAME, auth.session, max_age=SESSION_SECONDS, httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    @router.post("/logout")
    async def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE_NAME)
        return response

    return router


def docs_page(app: FastAPI) -> HTMLResponse:
    """A plain HTML reference of every operation in the OpenAPI document."""
    spec: dict[str, Any] = app.openapi()
    rows = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            params = ", ".join(escape(p["name"]) for p in op.get("parameters", []))
            body = "JSON body" if "requestBody" in op else ""
            codes = ", ".join(sorted(op.get("responses", {})))
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code>"
                        f"</td><td>{escape(op.get('summary', ''))}</td><td>{params}</td>"
                        f"<td>{body}</td><td>{codes}</td></tr>")
    return _page(f"{spec['info']['title']} {spec['info']['version']}", (
        "<p>Send <code>Authorization: Bearer &lt;token&gt;</code>. The machine-readable "
        "document is <a href='/openapi.json'>/openapi.json</a>.</p><table><tr><th>Method</th>"
        "<th>Path</th><th>What</th><th>Parameters</th><th>Body</th><th>Responses</th></tr>"
        + "".join(rows) + "</table>"))


def sign_in_page(request: Request) -> Response:
    """The sign-in form a refused browser gets (status 401)."""
    response = login_form(request.url.path, "Sign in to continue.", 401)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def add_login_redirect(app: FastAPI) -> None:
    """A browser that is refused gets the sign-in form (still with status 401)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 401 and "text/html" in request.headers.get("accept", ""):
            return sign_in_page(request)
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, handler)

"""The desk's pages under ``/desk``: sign-in, the inbox and a case's page (with the department's
actions), and the agent's intake form. Every action goes through the case service the API
uses; a case the user may not see is the same 404 page as a case that does not exist."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from callcenter.api.cases import AnswerIn, DepartmentIn, DispatchIn, ExtensionIn, IntakeIn, ReplyIn, ReturnIn
from callcenter.casework.accounts import TooManyAttempts, User
from callcenter.casework.knowledge import Article
from callcenter.casework.service import CaseNotFound, CaseRefused, Casework
from callcenter.casework.store import CaseQuery, ConcurrentChange
from callcenter.desk.session import COOKIE, LANG_COOKIE, FormRefused, Sessions
from callcenter.desk.streams import StreamLimits
from callcenter.desk.texts import LANGUAGES, load_texts
from cases.case import Case
from cases.codec import EventFormatError
from cases.errors import CaseError
from cases.model import Status, Urgency
from cases.workflow import dispatch_deadlines

if TYPE_CHECKING:
    from callcenter.runtime.app import Engine

_STATIC = {"desk.css": "text/css", "desk.js": "text/javascript"}
_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'"}
# The department's actions: the form's name, the core's event and the API's body model.
ACTIONS: dict[str, tuple[str, type[BaseModel]]] = {
    "sign": ("SignedFor", DepartmentIn), "reply": ("Replied", ReplyIn),
    "return": ("Returned", ReturnIn), "extension": ("ExtensionRequested", ExtensionIn)}
_INTAKE = {"category", "channel", "urgency", "text", "language", "caller_name"}
INBOX_CASES = 500  # a department's inbox: its open cases with the nearest deadlines, at most this many
REFUSALS = (CaseRefused, CaseError, EventFormatError, ConcurrentChange, ValidationError)


def _local(target: str | None, default: str = "/desk") -> str:
    if not target or not target.startswith("/desk") or target.startswith(("//", "/\\")):
        return default
    return target


def _card(case: Case) -> str:
    """The case's worst card now: ``red``, ``yellow`` or ``""``."""
    cards = {str(card) for (_, _, card) in case.cards}
    return "red" if "red" in cards else ("yellow" if cards else "")


def refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(exc.args[0]) if exc.args else type(exc).__name__


def desk_router(casework: Casework, engine: Engine | None = None) -> APIRouter:
    """The desk's pages; with ``engine``, the agent's seat controls and screen pop too."""
    router = APIRouter(prefix="/desk", include_in_schema=False)
    service = casework.service
    sessions = Sessions(casework.accounts)
    texts = load_texts()
    env = jinja2.Environment(loader=jinja2.PackageLoader("callcenter.desk", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    static = {name: resources.files("callcenter.desk").joinpath(name).read_bytes() for name in _STATIC}
    taxonomy = service.directory.taxonomy
    departments = service.directory.departments

    def when(at: float | None) -> str:
        return "" if at is None else dt.datetime.fromtimestamp(at, service.tz).strftime("%Y-%m-%d %H:%M")

    def details(event: dict[str, Any]) -> str:
        """An event's own fields, times in the center's zone (the intake's shown above)."""
        skip = {"type", "at", "actor", "case_id"} | (_INTAKE if event["type"] == "CaseOpened" else set())
        shown = []
        for key, value in event.items():
            if key in skip or value in (None, "", [], {}, False):
                continue
            if isinstance(value, float) and value > 1e9:
                value = when(value)
            shown.append(f"{key}: {value}")
        return "; ".join(shown)

    def fragment(name: str, lang: str, **context: Any) -> str:
        """A template rendered in ``lang`` (a page, or the part of one a stream pushes)."""
        lang = lang if lang in LANGUAGES else "zh"
        return env.get_template(name).render(
            t=texts[lang], lang=lang, when=when, category_path=taxonomy.path, departments=departments,
            card_of=_card, details=details, **context)

    def render(request: Request, name: str, user: User | None, status: int = 200,
               **context: Any) -> HTMLResponse:
        token = sessions.token(request)
        page = fragment(name, request.cookies.get(LANG_COOKIE, "zh"), user=user,
                        path=request.url.path if request.method == "GET" else "/desk",
                        csrf=sessions.csrf(token) if user and token else sessions.login_csrf(request),
                        **context)
        return HTMLResponse(page, status_code=status, headers=_HEADERS)

    def to_login(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/desk/login?next={request.url.path}", status_code=303)

    def not_found(request: Request, user: User) -> HTMLResponse:
        return render(request, "not_found.html", user, 404)

    @router.get("/static/{name}")
    def desk_static(name: str) -> Response:
        if name not in static:
            return Response(status_code=404)
        return Response(static[name], media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})

    @router.get("/lang/{lang}")
    def language(lang: str, target: str = Query("/desk", alias="next")) -> Response:
        response = RedirectResponse(_local(target), status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
        return response

    @router.get("")
    def home(request: Request) -> Response:
        user = sessions.user(request)
        if user is None:
            return to_login(request)
        return RedirectResponse("/desk/intake" if user.role == "agent" else "/desk/inbox", status_code=303)

    @router.get("/login")
    def login_page(request: Request, target: str = Query("/desk", alias="next")) -> Response:
        return render(request, "login.html", None, target=_local(target), message="")

    @router.post("/login")
    async def login(request: Request) -> Response:
        try:
            form = await sessions.form(request, login=True)
        except FormRefused:
            return render(request, "login.html", None, 403, target="/desk", message="bad_form")
        target = _local(form.get("next"))
        client = request.client.host if request.client else ""
        try:
            token, _ = casework.accounts.login(form.get("username", "")[:64],
                                               form.get("password", "")[:256], client)
        except TooManyAttempts:
            return render(request, "login.html", None, 429, target=target, message="throttled")
        except PermissionError:
            return render(request, "login.html", None, 401, target=target, message="wrong_login")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, max_age=int(casework.accounts.session_seconds), path="/",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        try:
            await sessions.form(request)
        except FormRefused:
            return RedirectResponse("/desk", status_code=303)
        token = sessions.token(request)
        if token:
            casework.accounts.logout(token)
            for callback in sessions.on_logout:
                callback(token)
        response = RedirectResponse("/desk/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/inbox")
    def inbox(request: Request, returned: str = Query("", max_length=20)) -> Response:
        user = sessions.user(request)
        if user is None:
            return to_login(request)
        rows = service.find(user, CaseQuery(open_only=True, by_deadline=True, limit=INBOX_CASES))
        cases = [Case.from_dict(r.state_dict()) for r in rows]
        notices = casework.store.notices(user.department) if user.department else []
        return render(request, "inbox.html", user, cases=cases, returned=returned, listing=False,
                      message="", filters={}, notices=notices,
                      reminded={n.case_id for n in notices if n.kind == "Reminded"})

    @router.get("/cases")
    def case_list(request: Request, status: str = Query("", max_length=20),
                  department: str = Query("", max_length=64), card: str = Query("", max_length=8),
                  supervised: bool = False, extension: bool = False,
                  alert: str = Query("", max_length=600)) -> Response:
        """The cases a board figure counts (open ones; a department user's own only), or the
        cases of a cluster alert (``kind:key``)."""
        user = sessions.user(request)
        if user is None:
            return to_login(request)
        statuses = {s.value for s in Status}
        for name, value, known in (("status", status, statuses), ("department", department, departments),
                                   ("card", card, {"yellow", "red"})):
            if value and value not in known:
                return render(request, "inbox.html", user, 422, cases=[], returned="", listing=True,
                              message=f"{name}: unknown {name} {value!r}", filters={}, notices=[],
                              reminded=set())
        if alert:
            found = next((a for a in casework.alerts if f"{a['kind']}:{a['key']}" == alert), None)
            if found is None:
                return render(request, "inbox.html", user, 404, cases=[], returned="", listing=True,
                              message="alert: no such alert now", filters={}, notices=[], reminded=set())
            cases = []
            for case_id in found["case_ids"]:
                try:
                    cases.append(service.case(user, case_id))
                except CaseNotFound:  # not one this user may see
                    continue
            return render(request, "inbox.html", user, cases=cases, returned="", listing=True, message="",
                          filters={"alert": found["key"]}, notices=[], reminded=set())
        query = CaseQuery(status=status or None, department=department or None, card=card or None,
                          supervised=True if supervised else None, extension=True if extension else None,
                          open_only=status != "closed", limit=500)
        cases = [Case.from_dict(r.state_dict()) for r in service.find(user, query)]
        return render(request, "inbox.html", user, cases=cases, returned="", listing=True, message="",
                      filters={"status": status, "department": department, "card": card,
                               "supervised": supervised, "extension": extension},
                      notices=[], reminded=set())

    def case_page(request: Request, user: User, case_id: str, status: int = 200,
                  message: str = "", done: str = "") -> HTMLResponse:
        try:
            case = service.case(user, case_id)
        except CaseNotFound:
            return not_found(request, user)
        mine = next((a for a in reversed(case.assignments)
                     if a.active and a.department == (user.department or case.lead)), None)
        return render(request, "case.html", user, status, case=case, mine=mine,
                      history=service.history(user, case_id), message=message, done=done,
                      articles=casework.kb.linked(case_id))

    @router.get("/cases/{case_id}")
    def case_view(request: Request, case_id: str, done: str = "") -> Response:
        user = sessions.user(request)
        if user is None:
            return to_login(request)
        shown = done if done in (*ACTIONS, "answer", "dispatch") else ""
        return case_page(request, user, case_id, done=shown)

    @router.post("/cases/{case_id}/{action}")
    async def case_action(request: Request, case_id: str, action: str) -> Response:
        user = sessions.user(request)
        if user is None:
            return to_login(request)
        try:
            form = await sessions.form(request)
        except FormRefused as exc:
            return case_page(request, user, case_id, 403, message=str(exc))
        if action not in ACTIONS:
            return not_found(request, user)
        kind, model = ACTIONS[action]
        try:
            case = service.case(user, case_id)
            fields = {k: v for k, v in form.items() if k in model.model_fields and v != ""}
            fields = model.model_validate(fields).model_dump(exclude_none=True)
            fields["department"] = user.department or case.lead or ""
            service.act(user, case_id, kind, fields)
        except CaseNotFound:
            return not_found(request, user)
        except REFUSALS as exc:
            return case_page(request, user, case_id, 409, message=refusal(exc))
        if action == "return":  # the case has left the department: back to its inbox
            return RedirectResponse(f"/desk/inbox?returned={case_id}", status_code=303)
        return RedirectResponse(f"/desk/cases/{case_id}?done={action}", status_code=303)

    @router.get("/intake")
    def intake_page(request: Request, saved: str = "", caller: str = Query("", max_length=32),
                    call: str = Query("", max_length=128)) -> Response:
        """The intake form; from the screen pop, for the call ringing (its number and call id)."""
        user = sessions.user(request)
        if user is None:
            return to_login(request)
        return render(request, "intake.html", user, categories=list(taxonomy.categories.values()),
                      urgencies=list(Urgency), message="", saved=saved[:20], caller=caller, call_id=call)

    @router.post("/intake")
    async def intake(request: Request) -> Response:
        user = sessions.user(request)
        if user is None:
            return to_login(request)

        def refused(message: str, status: int = 422) -> HTMLResponse:
            return render(request, "intake.html", user, status, categories=list(taxonomy.categories.values()),
                          urgencies=list(Urgency), message=message, saved="",
                          caller=form.get("caller_number", "")[:32], call_id=form.get("call_id", "")[:128])

        form: dict[str, str] = {}

        try:
            form = await sessions.form(request)
        except FormRefused as exc:
            return refused(str(exc), 403)
        if not user.hotline:
            return refused("role: needs a hotline agent or supervisor", 403)
        form["category"] = form.get("category", "").split(" ", 1)[0]
        action = form.get("action")
        try:
            opened = IntakeIn.model_validate({k: v for k, v in form.items()
                                              if k in IntakeIn.model_fields and v != ""})
            if action == "answer":
                step: BaseModel = AnswerIn.model_validate(
                    {"answer": form.get("answer", ""), "article_id": form.get("article_id") or None})
            elif action == "dispatch":
                step = DispatchIn.model_validate({"lead": form.get("lead", "")})
                if step.lead not in departments:
                    raise CaseRefused(f"lead: unknown department {step.lead!r}")
            else:
                raise CaseRefused("action: answer or dispatch")
            article = step.article_id if isinstance(step, AnswerIn) else None
            if article and casework.kb.article(article) is None:
                raise CaseRefused(f"article_id: no article {step.article_id!r}")
            case_id = service.open(user, opened.model_dump(mode="json")).case.case_id
            if isinstance(step, AnswerIn):
                casework.answer(user, case_id, step.answer, step.article_id)
            else:
                service.act(user, case_id, "Dispatched", step.model_dump())
        except REFUSALS as exc:
            return refused(refusal(exc))
        return RedirectResponse(f"/desk/cases/{case_id}?done={action}", status_code=303)

    @router.get("/kb")
    def kb_search(request: Request, q: str = Query("", max_length=200)) -> Response:
        if sessions.user(request) is None:
            return JSONResponse({"detail": "sign in"}, status_code=401)
        hits: dict[str, tuple[int, Article]] = {}  # any term may match: the most terms first
        for term in q.split()[:8]:
            for article in casework.kb.search(term, 8):
                count, _ = hits.get(article.article_id, (0, article))
                hits[article.article_id] = (count + 1, article)
        found = sorted(hits.values(), key=lambda hit: -hit[0])[:8]
        return JSONResponse([{"article_id": a.article_id, "title": a.title, "body": a.body[:400]}
                             for _, a in found], headers={"Cache-Control": "no-store"})

    @router.get("/deadline")
    def deadline(request: Request, category: str = Query(max_length=64),
                 urgency: str = Query(max_length=8)) -> Response:
        if sessions.user(request) is None:
            return JSONResponse({"detail": "sign in"}, status_code=401)
        code = category.split(" ", 1)[0]
        if code not in taxonomy or urgency not in Urgency.__members__.values():
            return JSONResponse({"detail": "category or urgency: unknown"}, status_code=422)
        try:
            sign_due, reply_due, days = dispatch_deadlines(service.context, code, Urgency(urgency),
                                                           service.clock())
        except CaseError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return JSONResponse({"sign_due": when(sign_due), "reply_due": when(reply_due), "days": days})

    from callcenter.desk.board import add_board_routes

    limits = StreamLimits()  # the board's and the seat's pages count together
    add_board_routes(router, casework, engine, sessions, render, fragment, limits)
    if engine is not None:
        from callcenter.desk.seat import add_seat_routes

        env.globals["transfer_targets"] = [(d.number, d.name) for d in engine.config.departments]
        add_seat_routes(router, engine, sessions, render, limits)
    return router

"""``make_app``: the FastAPI application over one engine; every route but the sign-in form
needs the token (``/metrics``, ``/openapi.json``, the docs and the wallboard included)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from callcenter.api.agents import agents_router
from callcenter.api.auth import TokenAuth, bearer_scheme, cookie_scheme
from callcenter.api.casework_routes import add_casework_routes
from callcenter.api.errors import add_case_error_handlers, add_error_handlers
from callcenter.api.guard import RequestGuard
from callcenter.api.limits import BodyLimit
from callcenter.api.pages import add_login_redirect, docs_page, pages_router, sign_in_page
from callcenter.api.status import metrics_router, status_router
from callcenter.runtime.app import Engine
from callcenter.wallboard import WallboardHub, build_view, wallboard_router
from callcenter.wallboard.lines import LineTally
from callcenter.wallboard.today import TodayCounters, stats_from_calls

API_VERSION = "1"


def todays_counts(engine: Engine) -> tuple[TodayCounters, LineTally]:
    """Today's counters per queue and per line, started from the records of the day's calls
    before the engine started (a restart does not reset the board)."""
    config = engine.config
    policy = config.service_level.policy()
    started = engine.started_at or engine.driver.clock()
    today = TodayCounters(config.center.timezone, started)
    tally = LineTally(policy, config.center.timezone, started)
    engine.driver.add_sink(tally.sink)
    earlier = [c for c in engine.store.calls(today.day.isoformat()) if c.arrived_at < started]
    today.carry(stats_from_calls((c for c in earlier if c.ended_at is not None
                                  and c.ended_at < started), policy))
    tally.carry(earlier, started)
    return today, tally


def make_app(engine: Engine, *, token: str, wallboard_interval: float = 0.25,
             heartbeat: float = 10.0) -> FastAPI:
    """The API and wallboard of ``engine``, guarded by ``token``. ``app.state.hub`` is the
    wallboard's event producer (``await app.state.hub.close()`` ends its streams);
    ``app.state.today`` the day's counters (``start_api`` rolls them over at midnight)."""
    auth = TokenAuth(token)
    app = FastAPI(title="Call center engine API", version=API_VERSION, docs_url=None,
                  redoc_url=None, openapi_url=None,
                  description="Agents, queues, calls, figures and metrics of a 12345 hotline "
                              "engine. Authenticate with `Authorization: Bearer <token>`.")
    add_error_handlers(app)
    add_login_redirect(app)

    today, tally = todays_counts(engine)
    app.state.today = today
    line_names = [(line.number, line.name) for line in engine.config.lines]

    def view() -> dict[str, Any]:
        now = engine.driver.clock()
        return build_view(engine.config, engine.acd.snapshot(now), today.today(engine.acd.stats, now),
                          now, since=today.since, lines=tally.view(line_names, now))

    hub = WallboardHub(view, interval=wallboard_interval, heartbeat=heartbeat,
                       clock=engine.driver.clock)
    app.state.hub = hub

    guarded = APIRouter(dependencies=[Depends(bearer_scheme), Depends(cookie_scheme), Depends(auth)])
    guarded.include_router(agents_router(engine))
    guarded.include_router(status_router(engine, today))
    guarded.include_router(metrics_router(engine))
    guarded.include_router(wallboard_router(hub))

    @guarded.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @guarded.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return docs_page(app)

    app.include_router(guarded)
    app.include_router(pages_router(auth))
    if engine.casework is not None:  # user sessions, not the engine token
        add_case_error_handlers(app)
        add_casework_routes(app, engine.casework, engine)
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestGuard, auth=auth, guarded=guarded.routes, refuse_page=sign_in_page)

    return app

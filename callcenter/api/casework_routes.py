"""The case side of the API: user sessions, cases (工单), the knowledge base, evaluation and
reports. Every route takes a user's session token; the engine's own token opens none of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from callcenter.api.knowledge import knowledge_router
from callcenter.api.users import require_role, session_router, user_auth
from callcenter.casework.service import Casework

if TYPE_CHECKING:
    from callcenter.runtime.app import Engine

USER_TAGS = frozenset({"users", "cases", "knowledge"})  # routes that take a user's token


def add_casework_routes(app: FastAPI, casework: Casework, engine: Engine | None = None) -> None:
    from callcenter.api.cases import cases_router
    from callcenter.desk import desk_router

    current_user = user_auth(casework.accounts)
    supervisor = require_role(current_user, "supervisor")
    app.include_router(session_router(casework.accounts, current_user))
    app.include_router(cases_router(casework, current_user))
    app.include_router(knowledge_router(casework.kb, current_user, supervisor))
    app.include_router(desk_router(casework, engine))


def make_casework_app(casework: Casework) -> FastAPI:
    """The case API alone (tools, benchmarks); ``callcenter serve`` mounts the same routes in
    the engine's app."""
    from callcenter.api.errors import add_case_error_handlers
    from callcenter.api.limits import BodyLimit

    app = FastAPI(title="12345 cases API", version="1")
    add_case_error_handlers(app)
    add_casework_routes(app, casework)
    app.add_middleware(BodyLimit)
    return app

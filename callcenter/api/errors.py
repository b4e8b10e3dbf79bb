"""ACD refusals as HTTP errors: unknown agent, queue or call -> 404; a transition the seat
does not allow, or any other ACD refusal -> 409. The message is the core's own."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from acd.engine import ACDError, UnknownAgent, UnknownCall, UnknownQueue
from agents.seat import IllegalTransition


def _message(exc: Exception) -> str:
    return str(exc.args[0]) if exc.args else type(exc).__name__  # KeyError's str() adds quotes


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": _message(exc)}, status_code=404)


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": _message(exc)}, status_code=409)


def _error(status: int, prefix: str = "") -> object:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": prefix + _message(exc)}, status_code=status)
    return handler


def add_case_error_handlers(app: FastAPI) -> None:
    """Case refusals: not found (or not visible) 404; a bad field 422; not allowed for this
    user 403; not allowed in the case's status (the field is ``status``) or a concurrent
    change 409. Each message names the field; nothing was changed."""
    from callcenter.casework.service import CaseNotFound, CaseRefused
    from callcenter.casework.store import ConcurrentChange
    from cases.codec import EventFormatError
    from cases.errors import CaseError, Forbidden
    from cases.errors import IllegalTransition as CaseTransition

    app.add_exception_handler(CaseNotFound, _error(404))
    app.add_exception_handler(CaseRefused, _error(422))
    app.add_exception_handler(EventFormatError, _error(422))
    app.add_exception_handler(Forbidden, _error(403))
    app.add_exception_handler(CaseTransition, _error(409, "status: "))
    app.add_exception_handler(ConcurrentChange, _error(409))
    app.add_exception_handler(CaseError, _error(422))


def add_error_handlers(app: FastAPI) -> None:
    for cls in (UnknownAgent, UnknownQueue, UnknownCall):
        app.add_exception_handler(cls, _not_found)
    app.add_exception_handler(IllegalTransition, _conflict)
    app.add_exception_handler(ACDError, _conflict)

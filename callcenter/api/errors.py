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


def add_error_handlers(app: FastAPI) -> None:
    for cls in (UnknownAgent, UnknownQueue, UnknownCall):
        app.add_exception_handler(cls, _not_found)
    app.add_exception_handler(IllegalTransition, _conflict)
    app.add_exception_handler(ACDError, _conflict)

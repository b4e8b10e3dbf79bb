"""The wallboard routes: the page, its static files (shipped in this package, no CDN) and the
live ``/wallboard/events`` stream."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from callcenter.wallboard.hub import WallboardHub

_STATIC = {"wallboard.js": "text/javascript", "wallboard.css": "text/css"}


def _read(name: str) -> bytes:
    return resources.files("callcenter.wallboard").joinpath(name).read_bytes()


def wallboard_router(hub: WallboardHub) -> APIRouter:
    """Routes under ``/wallboard``; the caller adds the auth dependency."""
    router = APIRouter(prefix="/wallboard", tags=["wallboard"])
    page = _read("index.html")
    files = {name: _read(name) for name in _STATIC}

    @router.get("", response_class=HTMLResponse, summary="The live wallboard page")
    async def wallboard_page() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @router.get("/static/{name}", summary="Wallboard script and style sheet")
    async def wallboard_static(name: str) -> Response:
        if name not in files:
            raise HTTPException(404, f"no wallboard file {name!r}")
        return Response(files[name], media_type=_STATIC[name],
                        headers={"Cache-Control": "no-cache"})

    @router.get("/events", summary="Server-sent events: a JSON snapshot on change, heartbeats",
                response_class=StreamingResponse,
                responses={200: {"content": {"text/event-stream": {}}}})
    async def wallboard_events() -> StreamingResponse:
        return StreamingResponse(hub.events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.get("/snapshot", summary="The wallboard's current JSON (what the stream pushes)")
    async def wallboard_snapshot() -> Response:
        hub.sample()
        return Response(hub.message, media_type="application/json")

    return router

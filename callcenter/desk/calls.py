"""The seat page's call controls: the agent's blind transfer of the caller to a department's
number, the three-way call (三方通话) with the department, and leaving it. The engine's
embedded telephony carries them out with the checks of a seat's REFER (only the config's
department numbers); a refused one changes nothing and says why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from callcenter.telephony.transfer import TransferRefused

CALL_ACTIONS = {"transfer": "transfer", "three-way": "three_way", "leave": "leave"}


def add_call_routes(router: APIRouter, engine: Any, seat_of: Callable[[Request], str | None],
                    post: Callable[[Request], Awaitable[Any]], page: Callable[..., Response]) -> None:
    """``post`` reads a signed-in agent's form (or the response refusing it); ``page``
    renders the seat page with a status and a message."""

    @router.post("/seat/call/{action}")
    async def call_action(request: Request, action: str) -> Response:
        posted = await post(request)
        if isinstance(posted, Response):
            return posted
        user, form = posted
        seat = seat_of(request)
        if seat is None or action not in CALL_ACTIONS:
            return page(request, user, 422, "seat: pick a seat first" if seat is None else "action: unknown")
        actions = engine.call_actions
        if actions is None:
            return page(request, user, 503, "calls: this engine has no embedded telephony")
        do = getattr(actions, CALL_ACTIONS[action])
        try:
            do(seat) if action == "leave" else do(seat, form.get("number", "")[:32])
        except TransferRefused as exc:
            return page(request, user, 503 if exc.status == 503 else 409, f"{action}: {exc}")
        return RedirectResponse("/desk/seat", status_code=303)

"""Hotline users over HTTP: log in for a bearer token, who am I, log out.

Case and knowledge-base routes take a user's session token (``Authorization: Bearer ...``),
never the engine's single API token: each action is someone's, and a department user is held
to their department.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from callcenter.casework.accounts import Accounts, TooManyAttempts, User


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Session(BaseModel):
    token: str
    username: str
    role: str
    department: str | None


class Me(BaseModel):
    username: str
    role: str
    department: str | None


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def user_auth(accounts: Accounts) -> Callable[[Request], User]:
    """FastAPI dependency: the logged-in user, or 401."""

    def current_user(request: Request) -> User:
        token = _bearer(request)
        user = accounts.user_for_token(token) if token else None
        if user is None:
            raise HTTPException(401, "log in at POST /api/session for a user token",
                                {"WWW-Authenticate": "Bearer"})
        return user

    return current_user


def require_role(current_user: Callable[[Request], User], *roles: str) -> Callable[..., User]:
    """A dependency that lets only ``roles`` through (403 for other logged-in users)."""

    def check(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(403, f"needs the role {' or '.join(roles)}")
        return user

    return check


def session_router(accounts: Accounts, current_user: Callable[[Request], User]) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["users"])

    @router.post("/session", response_model=Session, responses={401: {}, 429: {}})
    def login(body: LoginBody, request: Request) -> Session | JSONResponse:
        """Log in; the token goes in ``Authorization: Bearer`` on case and knowledge routes.
        Failed logins are throttled per user name and per client address (429)."""
        client = request.client.host if request.client else ""
        try:
            token, user = accounts.login(body.username, body.password, client)
        except TooManyAttempts as exc:
            return JSONResponse({"detail": str(exc)}, status_code=429,
                                headers={"Retry-After": str(int(exc.retry_after) + 1)})
        except PermissionError as exc:
            raise HTTPException(401, str(exc)) from None
        return Session(token=token, username=user.username, role=user.role, department=user.department)

    @router.get("/session", response_model=Me)
    def me(user: User = Depends(current_user)) -> Me:
        return Me(username=user.username, role=user.role, department=user.department)

    @router.delete("/session", status_code=204)
    def logout(request: Request, user: User = Depends(current_user)) -> None:
        accounts.logout(_bearer(request) or "")

    return router

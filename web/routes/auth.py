"""Staff sign-in for the consoles and API clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field, field_validator

from common import accounts
from common.db import unit_of_work
from common.errors import Unauthorized
from web.auth import SESSION_SECONDS, LoginThrottle, clear_session_cookie, issue_token, set_session_cookie, throttle
from web.deps import ComponentsDep
from web.errors import error_response
from web.permissions import StaffUser
from web.schemas import Strict
from web.security import client_address, request_scheme

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Login(Strict):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)

    @field_validator("email", "password")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:  # PostgreSQL cannot store or compare it: a 422 here, not a 500 there
            raise ValueError("must not contain NUL characters")
        return value


class Me(BaseModel):
    id: int
    email: str
    role: str = Field(description="agent, support_lead, marketer or admin")
    grants: list[str] = Field(default_factory=list, description="Extra rights, e.g. read_transcripts")


class LoginResult(BaseModel):
    token: str = Field(description="For API clients: send as `Authorization: Bearer <token>`; browsers get the same in a cookie")
    token_type: str = "bearer"
    expires_at: datetime
    user: Me


def _me(user: accounts.UserInfo) -> Me:
    return Me(id=user.id, email=user.email, role=user.role, grants=list(user.grants))


@router.post("/login", response_model=LoginResult)
def login(body: Login, request: Request, response: Response, components: ComponentsDep,
          limiter: Annotated[LoginThrottle, Depends(throttle)]):  # type: ignore[no-untyped-def]
    """Sign in with e-mail and password: sets an HttpOnly session cookie and returns a bearer token.

    A wrong e-mail and a wrong password get the same answer in the same time; five failures for one
    e-mail from one address, or twenty from one address, within 15 minutes block that address for a
    while (429); the account's owner can still sign in from elsewhere.
    """
    settings = components.settings
    email, address = accounts.normalise_email(body.email), client_address(request, settings.trusted_proxies)
    attempt, wait = limiter.begin(email, address)
    if wait:
        res = error_response(429, "too_many_attempts", f"too many failed sign-ins; try again in {wait} s")
        res.headers["Retry-After"] = str(wait)
        return res
    with unit_of_work(components.sessions) as session:
        user = accounts.authenticate(session, body.email, body.password)
    if user is None:
        raise Unauthorized("wrong e-mail or password")  # the reserved attempt stays counted
    limiter.succeed(email, address, attempt)
    token = issue_token(components.keys.staff, user)
    set_session_cookie(response, token, secure=request_scheme(request, settings.trusted_proxies) == "https")
    return LoginResult(token=token, expires_at=datetime.now(UTC) + timedelta(seconds=SESSION_SECONDS), user=_me(user))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(user: StaffUser, request: Request, components: ComponentsDep) -> Response:
    """Sign out everywhere: every cookie and token issued to this user so far stops working."""
    with unit_of_work(components.sessions) as session:
        accounts.revoke_sessions(session, user.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, secure=request_scheme(request, components.settings.trusted_proxies) == "https")
    return response


@router.get("/me", response_model=Me)
def me(user: StaffUser) -> Me:
    """Who is signed in, and with which role (the consoles show or hide controls by it)."""
    return _me(user)

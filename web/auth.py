"""Staff sign-in: signed session cookies and bearer tokens, roles checked on every call.

A token is `common.signing` with purpose "staff" carrying the user id and the user's session
version; logout bumps the version, so every token issued before it stops working at once.
The consoles use the HttpOnly, SameSite=Strict cookie; scripts send `Authorization: Bearer`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Cookie, Depends, Header, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from common import accounts, signing
from common.accounts import UserInfo
from common.db import unit_of_work, utcnow
from common.errors import Forbidden, NotFound, Unauthorized
from web.deps import ComponentsDep

STAFF = "staff"
COOKIE = "keepcart_staff"
SESSION_SECONDS = 12 * 3600


def issue_token(secret: str, user: UserInfo, ttl: int = SESSION_SECONDS) -> str:
    return signing.sign(secret, STAFF, {"uid": user.id, "ver": user.session_version}, ttl)


def set_session_cookie(response: Response, token: str, secure: bool, ttl: int = SESSION_SECONDS) -> None:
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=secure, path="/")


def clear_session_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=secure, path="/")


def current_user(components: ComponentsDep, authorization: Annotated[str | None, Header()] = None,
                 keepcart_staff: Annotated[str | None, Cookie()] = None) -> UserInfo:
    """The signed-in staff user (bearer token first, then the session cookie); 401 otherwise."""
    token = None
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    token = token or keepcart_staff
    if not token:
        raise Unauthorized("sign in first: POST /api/v1/auth/login")
    claims = signing.verify(components.secret, STAFF, token)
    try:
        uid, ver = int(claims["uid"]), int(claims["ver"])
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("invalid staff token") from None
    with components.sessions() as session:
        try:
            user = accounts.get_user(session, uid)
        except NotFound:  # a deleted user is simply not signed in
            raise Unauthorized("invalid staff token") from None
    if not user.active or user.session_version != ver:
        raise Unauthorized("this session has ended; sign in again")
    return user


CurrentUser = Annotated[UserInfo, Depends(current_user)]


def require_role(*roles: str) -> Callable[[UserInfo], UserInfo]:
    """A dependency that lets only these roles through (403 for others, 401 when not signed in)."""

    def check(user: CurrentUser) -> UserInfo:
        if user.role not in roles:
            raise Forbidden(f"needs the {' or '.join(roles)} role; you are {user.role}")
        return user

    return check


StaffUser = Annotated[UserInfo, Depends(require_role("staff", "marketer", "admin"))]
MarketerUser = Annotated[UserInfo, Depends(require_role("marketer", "admin"))]
AdminUser = Annotated[UserInfo, Depends(require_role("admin"))]


class LoginThrottle:
    """Failed logins per e-mail (at most `per_email`) and per client address (`per_address`) in `window` s.

    Counted in the database, so `keepcart serve --workers N` cannot be tried N times as often.
    """

    def __init__(self, sessions: sessionmaker[Session], per_email: int = 5, per_address: int = 20,
                 window: float = 900.0, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions, self.per_email, self.per_address, self.clock = sessions, per_email, per_address, clock
        self.window = timedelta(seconds=window)

    def _keys(self, email: str, address: str) -> list[tuple[str, int]]:
        return [(f"email:{email}", self.per_email), (f"addr:{address}", self.per_address)]

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until this e-mail may be tried again from this address (0: go ahead)."""
        now = self.clock()
        with self.sessions() as session:
            waits = [(times[-limit] + self.window - now).total_seconds() for key, limit in self._keys(email, address)
                     if len(times := accounts.login_failures(session, key, now - self.window)) >= limit]
        return int(max(waits)) + 1 if waits else 0

    def fail(self, email: str, address: str) -> None:
        now = self.clock()
        with unit_of_work(self.sessions) as session:
            accounts.record_login_failure(session, [key for key, _ in self._keys(email, address)], now, now - self.window)

    def succeed(self, email: str) -> None:
        with unit_of_work(self.sessions) as session:
            accounts.clear_login_failures(session, f"email:{email}")


def throttle(request: Request) -> LoginThrottle:
    state = request.app.state
    if getattr(state, "login_throttle", None) is None:
        state.login_throttle = LoginThrottle(state.components.sessions)
    return state.login_throttle

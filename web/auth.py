"""Staff sign-in: signed session cookies and bearer tokens, and the login throttle.

A staff token is a JWT signed with the server-only staff key (never the shop's key), carrying the
user id and the user's session version; logout bumps the version, so every token issued before it
stops working at once. The consoles use the HttpOnly, SameSite=Strict cookie (and `web/security.py`
checks the Origin of every state change made with it); scripts send `Authorization: Bearer`.
Which role may call which route is declared in `web/permissions.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy.orm import Session, sessionmaker

from common import accounts
from common.accounts import UserInfo
from common.db import unit_of_work, utcnow
from common.errors import NotFound, Unauthorized
from common.signing import KeyRing
from web.components import Components

COOKIE = "keepcart_staff"
SESSION_SECONDS = 12 * 3600


def issue_token(ring: KeyRing, user: UserInfo, ttl: int = SESSION_SECONDS) -> str:
    return ring.sign({"uid": user.id, "ver": user.session_version}, ttl)


def set_session_cookie(response: Response, token: str, secure: bool, ttl: int = SESSION_SECONDS) -> None:
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=secure, path="/")


def clear_session_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=secure, path="/")


def request_token(request: Request) -> str | None:
    """The bearer token, else the session cookie."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def staff_from_request(request: Request, components: Components) -> UserInfo:
    """The signed-in staff user (bearer token first, then the session cookie); 401 otherwise."""
    token = request_token(request)
    if not token:
        raise Unauthorized("sign in first: POST /api/v1/auth/login")
    claims = components.keys.staff.verify(token)
    uid, ver = claims.get("uid"), claims.get("ver")
    if type(uid) is not int or type(ver) is not int or not 0 < uid < 2**31:
        raise Unauthorized("invalid staff token")
    with components.sessions() as session:
        try:
            user = accounts.get_user(session, uid)
        except NotFound:  # a deleted user is simply not signed in
            raise Unauthorized("invalid staff token") from None
    if not user.active or user.session_version != ver:
        raise Unauthorized("this session has ended; sign in again")
    return user


def _fit(key: str) -> str:
    """A throttle key within the column's 300 characters (a long e-mail and address are hashed, not cut)."""
    return key if len(key) <= 300 else key[:5] + "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class LoginThrottle:
    """Sign-in attempts per (address, e-mail) pair (at most `per_pair`) and per address (`per_address`) in `window` s.

    The pair, not the e-mail, is locked: someone hammering an account from elsewhere cannot lock its
    owner out. Each attempt is counted (committed) before its password is checked and a success
    clears it, so parallel attempts check at most the limit. Counted in the database, so
    `keepcart serve --workers N` shares one count.
    """

    def __init__(self, sessions: sessionmaker[Session], per_pair: int = 5, per_address: int = 20,
                 window: float = 900.0, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions, self.per_pair, self.per_address, self.clock = sessions, per_pair, per_address, clock
        self.window = timedelta(seconds=window)

    def _keys(self, email: str, address: str) -> list[tuple[str, int]]:
        return [(_fit(f"pair:{address}|{email}"), self.per_pair), (_fit(f"addr:{address}"), self.per_address)]

    def begin(self, email: str, address: str) -> tuple[list[int], int]:
        """Reserve an attempt: (its ids, 0) to go ahead, or ([], seconds to wait) when over a limit."""
        now = self.clock()
        keys = self._keys(email, address)
        with unit_of_work(self.sessions) as session:
            ids = accounts.reserve_login_attempt(session, [k for k, _ in keys], now, now - self.window)
        with self.sessions() as session:
            over = [(key, limit) for key, limit in keys
                    if len(accounts.login_failures(session, key, now - self.window)) > limit]
            waits = [(times[-limit] + self.window - now).total_seconds() for key, limit in over
                     if len(times := accounts.login_failures(session, key, now - self.window, exclude=ids)) >= limit]
        if not over:
            return ids, 0
        with unit_of_work(self.sessions) as session:  # a refused attempt checked nothing: it does not count
            accounts.forget_login_attempts(session, ids)
        return [], int(max(waits, default=0)) + 1

    def succeed(self, email: str, address: str, ids: list[int]) -> None:
        """A right password: this attempt and the pair's earlier failures are forgotten."""
        with unit_of_work(self.sessions) as session:
            accounts.forget_login_attempts(session, ids)
            accounts.clear_login_failures(session, self._keys(email, address)[0][0])


def throttle(request: Request) -> LoginThrottle:
    state = request.app.state
    if getattr(state, "login_throttle", None) is None:
        state.login_throttle = LoginThrottle(state.components.sessions)
    return state.login_throttle

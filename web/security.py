"""Browser-facing defences: CSRF on cookie-authenticated state changes, security headers, client addresses.

- CSRF: a POST/PUT/PATCH/DELETE to a staff route that is authenticated by the session cookie (no
  bearer token) must come from the server's own origin or a configured CORS origin (its `Origin`,
  else its `Referer`); anything else, body-less posts like `.../release` and `/auth/logout`
  included, gets 403. Bearer tokens are immune (a browser never attaches them on its own).
- Headers on every response: a CSP (pages that need more set their own), nosniff, no framing,
  a referrer policy, and HSTS when the request came over https.
- Forwarded headers (`X-Forwarded-For`, `X-Forwarded-Proto`) count only from `KEEPCART_TRUSTED_PROXIES`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.settings import Settings
from web.auth import COOKIE

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"strict-origin-when-cross-origin"), (b"cross-origin-opener-policy", b"same-origin")]


@lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(trusted))


def client_address(conn: HTTPConnection, trusted_proxies: list[str]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the nearest untrusted hop of X-Forwarded-For."""
    peer = conn.client.host if conn.client else "?"
    trusted = tuple(trusted_proxies)
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in conn.headers.get("x-forwarded-for", "").split(",")[-20:] if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return peer


def request_scheme(conn: HTTPConnection, trusted_proxies: list[str]) -> str:
    """http or https as the browser sees it (a trusted proxy's X-Forwarded-Proto wins)."""
    peer = conn.client.host if conn.client else "?"
    forwarded = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if forwarded in ("http", "https") and trusted_proxies and _trusted(peer, tuple(trusted_proxies)):
        return forwarded
    return conn.url.scheme


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def csrf_failure(conn: HTTPConnection, settings: Settings) -> str | None:
    """Why this cookie-authenticated request must be refused, or None (`web/permissions.py` asks on staff routes)."""
    if conn.scope["method"] not in UNSAFE or COOKIE not in conn.cookies:
        return None
    if conn.headers.get("authorization", "").lower().startswith("bearer "):
        return None  # authenticated by a header no browser adds on its own
    claimed = conn.headers.get("origin") or conn.headers.get("referer")
    if not claimed:
        return "a signed-in browser request without Origin or Referer: refused (cross-site request forgery defence)"
    own = f"{request_scheme(conn, settings.trusted_proxies)}://{conn.headers.get('host', '')}".lower()
    origin = _origin_of(claimed)
    if origin is None or (origin != own and origin not in {o.rstrip("/").lower() for o in settings.cors_origins}):
        return f"request from origin {origin or claimed[:100]!r} refused: not this server's (cross-site request forgery defence)"
    return None


class SecurityMiddleware:
    """Security headers on every response (pure ASGI: bodies stream through untouched)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        scheme = request_scheme(conn, self.settings.trusted_proxies)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", API_CSP.encode()))
                if scheme == "https":
                    headers.append((b"strict-transport-security", HSTS.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """Register the access matrix with its CSRF check (every API route included after this) and the headers."""
    from fastapi import Depends

    from web.permissions import enforce

    app.router.dependencies.append(Depends(enforce))
    app.add_middleware(SecurityMiddleware, settings=settings)

"""HMAC-signed tokens: shopper identity issued by the shop's site, and conversation access.

Format: ``<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, purpose + "." + claims))>``.
The purpose is part of the MAC so a conversation token can never pass as a shopper token.
A shop's site mints shopper tokens with the same secret (see README, "Signing in shoppers").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from common.errors import Unauthorized

SHOPPER = "shopper"
CONVERSATION = "conversation"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def sign(secret: str, purpose: str, claims: dict[str, Any], ttl_seconds: int, now: float | None = None) -> str:
    """A token carrying `claims` plus an expiry `exp` (Unix seconds)."""
    payload = {**claims, "exp": int((now if now is not None else time.time()) + ttl_seconds)}
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def verify(secret: str, purpose: str, token: str, now: float | None = None) -> dict[str, Any]:
    """The claims of a valid, unexpired token; Unauthorized otherwise (never says which part failed)."""
    try:
        body, mac = token.strip().split(".", 1)
        if not hmac.compare_digest(mac, _mac(secret, purpose, body)):
            raise ValueError("bad signature")
        claims = json.loads(_unb64(body))
        if not isinstance(claims, dict):
            raise ValueError("claims must be an object")
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized(f"invalid {purpose} token") from None
    if float(claims.get("exp", 0)) < (now if now is not None else time.time()):
        raise Unauthorized(f"expired {purpose} token")
    return claims


def shopper_token(secret: str, customer_id: str, ttl_seconds: int = 3600) -> str:
    """What a shop's site issues for a signed-in customer (a reference implementation)."""
    return sign(secret, SHOPPER, {"sub": customer_id}, ttl_seconds)

"""Tokens and signatures, each purpose with its own key ring.

- Shopper tokens are standard JWTs (HS256) that the shop's own site mints with its shop key and any
  stock JWT library: `sub` (customer id), `aud` (default "keepcart") and `exp` are required, and
  `exp` may lie at most `max_ttl` seconds ahead, so a leaked token is worth little for long.
- Conversation and staff tokens are JWTs signed with server-only keys the shop never sees; the
  header's `kid` names the key, so a rotated key keeps verifying the tokens it signed.
- Webhook bodies are HMAC-SHA256 signed with the webhook key.
A key made for one purpose never verifies another purpose's token: the rings hold different keys
and every token carries its purpose as its audience.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt

from common.errors import Unauthorized

SHOPPER = "shopper"
CONVERSATION = "conversation"
STAFF = "staff"
WEBHOOK = "webhook"
ALGORITHM = "HS256"
SHOPPER_AUDIENCE = "keepcart"
LEEWAY_SECONDS = 30  # clocks of the shop's site and Keepcart may differ a little


def kid_of(secret: str) -> str:
    """A key's public id: a short hash, so a token names its key without revealing it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The keys of one purpose: the first signs, all of them verify (old ones until rotated out)."""

    purpose: str
    secrets: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError(f"the {self.purpose} key ring is empty")

    @property
    def current(self) -> str:
        return self.secrets[0]

    def _candidates(self, token: str) -> list[str]:
        """The key the token's `kid` names, or every key when it names none (stock shop libraries)."""
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None:
            return list(self.secrets)
        return [s for s in self.secrets if isinstance(kid, str) and hmac.compare_digest(kid_of(s), kid)]

    def sign(self, claims: dict[str, Any], ttl_seconds: int, audience: str | None = None, now: float | None = None) -> str:
        """A JWT with `claims`, `iat`, `exp` and the audience (default: this ring's purpose)."""
        issued = int(now if now is not None else time.time())
        payload = {**claims, "aud": audience or self.purpose, "iat": issued, "exp": issued + ttl_seconds}
        return jwt.encode(payload, self.current, algorithm=ALGORITHM, headers={"kid": kid_of(self.current)})

    def verify(self, token: str, audience: str | None = None, max_ttl: int | None = None) -> dict[str, Any]:
        """The claims of a valid, unexpired token for this purpose; Unauthorized otherwise.

        Never says which part failed, and never raises anything else, whatever the bytes.
        """
        what = f"invalid {self.purpose} token"
        try:
            for secret in self._candidates(token):
                try:
                    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=audience or self.purpose,
                                        leeway=LEEWAY_SECONDS, options={"require": ["exp"]})
                except jwt.InvalidSignatureError:
                    continue
                break
            else:
                raise Unauthorized(what)
        except jwt.ExpiredSignatureError:
            raise Unauthorized(f"expired {self.purpose} token") from None
        # PyJWT itself raises OverflowError on `exp: Infinity` and TypeError on odd headers
        except (jwt.PyJWTError, ValueError, TypeError, UnicodeError, OverflowError, RecursionError):
            raise Unauthorized(what) from None
        if max_ttl is not None and claims["exp"] > time.time() + max_ttl + LEEWAY_SECONDS:
            raise Unauthorized(f"{self.purpose} token lives too long: exp may lie at most {max_ttl} s ahead")
        return claims

    def mac(self, body: bytes) -> str:
        """Hex HMAC-SHA256 of `body` with the current key (what a webhook caller sends)."""
        return hmac.new(self.current.encode(), body, hashlib.sha256).hexdigest()

    def check_mac(self, body: bytes, signature: str) -> bool:
        """True when any key of the ring made this signature (old keys keep working while callers switch)."""
        if not signature.isascii():
            return False
        return any(hmac.compare_digest(hmac.new(s.encode(), body, hashlib.sha256).hexdigest(), signature.lower())
                   for s in self.secrets)


def shopper_token(secret: str, customer_id: str, ttl_seconds: int = 3600, audience: str = SHOPPER_AUDIENCE) -> str:
    """What a shop's site issues for a signed-in customer: the same JWT any stock library makes."""
    now = int(time.time())
    return jwt.encode({"sub": customer_id, "aud": audience, "iat": now, "exp": now + ttl_seconds}, secret,
                      algorithm=ALGORITHM)

"""Rate limits on opening conversations and on sending messages, per client address, shopper and conversation.

The counters (`common.rate_limits`) live in Redis when `KEEPCART_RATE_LIMIT__REDIS_URL` is set and in
the database otherwise, so every worker and every instance on the same store counts together. A
request over a limit gets 429 with `Retry-After` and a JSON body (see `web/errors.py`).
"""

from __future__ import annotations

from fastapi import Request

from common.rate_limits import Limit, RateLimiter, RedisCounter, SqlCounter
from common.settings import RateLimitSettings
from web.components import Components


def limiter(request: Request) -> RateLimiter:
    """The app's one limiter, built on first use from the settings."""
    state = request.app.state
    if getattr(state, "rate_limiter", None) is None:
        components: Components = state.components
        cfg = components.settings.rate_limit
        counter = RedisCounter(cfg.redis_url) if cfg.redis_url else SqlCounter(components.engine)
        state.rate_limiter = RateLimiter(counter, cfg.window_seconds)
    limiter_: RateLimiter = state.rate_limiter
    return limiter_


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_open(request: Request, customer_id: str | None) -> None:
    """Before a conversation is opened: per address and per signed-in shopper."""
    cfg: RateLimitSettings = request.app.state.components.settings.rate_limit
    limiter(request).check([Limit("conversations opened from this address", _address(request), cfg.opens_per_address),
                            Limit("conversations opened by this shopper", customer_id or "", cfg.opens_per_shopper)])


def check_message(request: Request, conversation_id: str, customer_id: str | None) -> None:
    """Before a message is answered: per address, per signed-in shopper and per conversation."""
    cfg: RateLimitSettings = request.app.state.components.settings.rate_limit
    limiter(request).check([Limit("messages from this address", _address(request), cfg.messages_per_address),
                            Limit("messages from this shopper", customer_id or "", cfg.messages_per_shopper),
                            Limit("messages in this conversation", conversation_id, cfg.messages_per_conversation)])

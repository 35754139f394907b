"""Renewing a conversation token: short-lived tokens, renewed while the same shopper is signed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from common.errors import Forbidden, NotFound, Unauthorized
from web.deps import ComponentsDep, authorised_conversation, conversation_token, shopper_of
from web.schemas import Strict

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


class Renewal(Strict):
    shopper_token: str | None = Field(None, max_length=4096,
                                      description="The shop's token for the signed-in shopper; required for a signed-in conversation")


class RenewedToken(BaseModel):
    token: str = Field(description="A fresh conversation token; send it from now on")
    expires_at: datetime


@router.post("/{conversation_id}/token", response_model=RenewedToken)
def renew_token(conversation_id: str, body: Renewal, components: ComponentsDep,
                authorization: Annotated[str | None, Header()] = None) -> RenewedToken:
    """A new conversation token. A signed-in shopper's conversation is renewed with a shopper token for the
    same customer (even after the old conversation token expired); an anonymous one with its still-valid token."""
    if body.shopper_token:
        customer_id = shopper_of(components, body.shopper_token)
        if "\x00" in conversation_id or len(conversation_id) > 100:  # no id looks like this; PostgreSQL rejects NUL
            raise NotFound(f"conversation {conversation_id[:100]!r} not found")
        info = components.store.get(conversation_id)
        if info.customer_id != customer_id:
            raise Forbidden("this conversation belongs to another shopper")
    else:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthorized("send the shopper token, or the current conversation token as `Authorization: Bearer <token>`")
        info = authorised_conversation(conversation_id, components, authorization[7:].strip())
        if info.customer_id is not None:
            raise Unauthorized("a signed-in shopper's conversation is renewed with the shopper token")
    minutes = components.settings.keys.conversation_token_minutes
    return RenewedToken(token=conversation_token(components, info), expires_at=datetime.now(UTC) + timedelta(minutes=minutes))

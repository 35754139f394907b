"""Dependencies, as `Annotated` aliases so route signatures read like sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from bot.transcript import ConversationInfo
from common.errors import Forbidden, InvalidInput, Unauthorized
from web.components import Components


def get_components(request: Request) -> Components:
    return request.app.state.components


ComponentsDep = Annotated[Components, Depends(get_components)]


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send the conversation token as `Authorization: Bearer <token>`")
    return authorization[7:].strip()


def shopper_of(components: Components, shopper_token: str) -> str:
    """The known customer a shopper token from the shop's site names (401 bad token, 422 unknown customer)."""
    ks = components.settings.keys
    claims = components.keys.shopper.verify(shopper_token, audience=ks.shopper_audience,
                                            max_ttl=int(ks.shopper_token_max_hours * 3600))
    customer_id = claims.get("sub")
    if not isinstance(customer_id, str) or not customer_id or components.shop.find_customer(customer_id) is None:
        raise InvalidInput("the shopper token names no known customer")
    return customer_id


def conversation_token(components: Components, info: ConversationInfo) -> str:
    """A short-lived token for exactly this conversation and the shopper who opened it (renew: POST .../token)."""
    claims: dict[str, str] = {"cid": info.id}
    if info.customer_id is not None:
        claims["sub"] = info.customer_id
    return components.keys.conversation.sign(claims, components.settings.keys.conversation_token_minutes * 60)


def authorised_conversation(conversation_id: str, components: ComponentsDep, token: Annotated[str, Depends(bearer)]) -> ConversationInfo:
    """The conversation named in the path, if the token was issued for exactly it and its shopper."""
    claims = components.keys.conversation.verify(token)
    if claims.get("cid") != conversation_id:
        raise Forbidden("this token belongs to another conversation")
    info = components.store.get(conversation_id)
    if claims.get("sub") != info.customer_id:
        raise Forbidden("this token belongs to another shopper")
    return info


ConversationDep = Annotated[ConversationInfo, Depends(authorised_conversation)]

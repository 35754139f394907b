"""Dependencies, as `Annotated` aliases so route signatures read like sentences."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from bot.transcript import ConversationInfo
from common import signing
from common.errors import Forbidden, Unauthorized
from web.components import Components


def get_components(request: Request) -> Components:
    return request.app.state.components


ComponentsDep = Annotated[Components, Depends(get_components)]


def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send the conversation token as `Authorization: Bearer <token>`")
    return authorization[7:].strip()


def authorised_conversation(conversation_id: str, components: ComponentsDep, token: Annotated[str, Depends(bearer)]) -> ConversationInfo:
    """The conversation named in the path, if the token was issued for exactly it."""
    claims = signing.verify(components.secret, signing.CONVERSATION, token)
    if claims.get("cid") != conversation_id:
        raise Forbidden("this token belongs to another conversation")
    return components.store.get(conversation_id)


ConversationDep = Annotated[ConversationInfo, Depends(authorised_conversation)]

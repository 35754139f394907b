"""Request and response bodies of the public API (they shape /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _storable(value: str) -> str:
    """PostgreSQL cannot store NUL, and no database a lone surrogate: refuse them with a 422, not a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode (it holds a lone surrogate)") from None
    return value


# Every free-text field of a request body: any Unicode a person can type, nothing a database cannot store.
StorableStr = Annotated[str, AfterValidator(_storable)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewConversation(Strict):
    shopper_token: StorableStr | None = Field(None, max_length=4096, description="Token signed by the shop's site for a signed-in customer; omit for anonymous chat")


class ConversationCreated(BaseModel):
    id: str
    token: str = Field(description="Send as `Authorization: Bearer <token>` on every call about this conversation")
    customer_id: str | None
    created_at: datetime


class NewMessage(Strict):
    text: StorableStr = Field(description="What the shopper typed; normalised (NFC, no control characters) and card "
                                          "numbers and IBANs masked before it is stored")
    client_message_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                                   description="Unique per message, chosen by the client; a retry with the same id returns the same reply")


class Message(BaseModel):
    seq: int
    role: str = Field(description="shopper, bot or agent")
    text: str
    created_at: datetime
    buttons: list[dict[str, str]] = []
    cards: list[dict[str, Any]] = []
    sources: list[dict[str, str]] = []
    client_message_id: str | None = None


class TurnReply(BaseModel):
    message: Message = Field(description="The shopper's message as stored")
    replies: list[Message]
    replayed: bool = Field(description="True when this client_message_id had already been answered")
    status: str = Field("open", description="The conversation's status after the turn: handed_off while a person is in charge")


class History(BaseModel):
    conversation_id: str
    status: str
    messages: list[Message]


class Health(BaseModel):
    status: str
    database: str
    nlu_model: str
    knowledge_index: str | None
    version: str


class ErrorBody(BaseModel):
    """Every error response: a short code and what to fix (a list of field errors for 422)."""

    error: str = Field(description="A short code: invalid_input, unauthorized, too_many_requests, ...")
    detail: str | list[str] = Field(description="What went wrong, in words")

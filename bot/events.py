"""Transcript events: the append-only log a conversation's state is rebuilt from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CONVERSATION_STARTED = "conversation_started"
USER_UTTERED = "user_uttered"
INTENT_PARSED = "intent_parsed"
ACTION_EXECUTED = "action_executed"
FORM_SET = "form_set"
KNOWLEDGE_RETRIEVED = "knowledge_retrieved"
KNOWLEDGE_MISSED = "knowledge_missed"  # a policy question the help centre could not answer: a content gap
LABEL_CORRECTED = "label_corrected"  # staff set the right intent of a shopper message (next training run)
BOT_UTTERED = "bot_uttered"
HANDED_OFF = "handed_off"
OFFER_PRESENTED = "offer_presented"

EVENT_TYPES = frozenset(
    {CONVERSATION_STARTED, USER_UTTERED, INTENT_PARSED, ACTION_EXECUTED, FORM_SET, KNOWLEDGE_RETRIEVED, KNOWLEDGE_MISSED,
     BOT_UTTERED, HANDED_OFF, OFFER_PRESENTED, LABEL_CORRECTED}
)


@dataclass(frozen=True)
class Event:
    """One fact about a conversation. `seq` and `created_at` are set by the transcript store."""

    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None
    created_at: datetime | None = None
    client_message_id: str | None = None

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")


@dataclass(frozen=True)
class BotMessage:
    """What the widget shows for one bot reply: text plus optional buttons, cards and sources."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)

    def to_payload(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons, "cards": self.cards, "sources": self.sources}

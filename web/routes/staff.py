"""The support console's API: conversations with what the bot understood, take-over, labels.

Shopper text is returned as data (JSON); the console renders it with `textContent` only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from bot import events as ev
from bot.events import Event
from bot.transcript import ConversationInfo
from common.shopper_text import printable
from web.deps import ComponentsDep
from web.permissions import StaffUser
from web.routes.audit import record
from web.schemas import Strict

router = APIRouter(prefix="/api/v1/staff/conversations", tags=["staff"])


class ConversationOut(BaseModel):
    id: str
    customer_id: str | None
    status: str = Field(description="open, or handed_off while a person is in charge")
    created_at: datetime
    last_event_at: datetime


class EventOut(BaseModel):
    seq: int
    type: str = Field(description="user_uttered, intent_parsed, bot_uttered, handed_off, label_corrected, ...")
    created_at: datetime | None
    payload: dict[str, Any]


class TranscriptOut(BaseModel):
    conversation: ConversationOut
    events: list[EventOut]
    intents: list[str] = Field(description="The labels a shopper message can be corrected to")


class AgentMessage(Strict):
    text: str = Field(min_length=1, max_length=4000)


class Label(Strict):
    intent: str = Field(min_length=1, max_length=80)


def _event(e: Event) -> EventOut:
    return EventOut(seq=e.seq or 0, type=e.type, created_at=e.created_at, payload=printable(e.payload))


def _conversation(info: ConversationInfo) -> ConversationOut:
    return ConversationOut(id=info.id, customer_id=info.customer_id, status=info.status,
                           created_at=info.created_at, last_event_at=info.last_event_at)


@router.get("", response_model=list[ConversationOut])
def list_conversations(user: StaffUser, components: ComponentsDep,
                       status_: Annotated[str | None, Query(alias="status", description="handed_off or open")] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[ConversationOut]:
    """Most recently active first; `?status=handed_off` lists the ones waiting for a person."""
    return [_conversation(c) for c in components.staff.conversations(status_, limit)]


@router.get("/{conversation_id}", response_model=TranscriptOut)
def transcript(conversation_id: str, user: StaffUser, components: ComponentsDep) -> TranscriptOut:
    """Every event of the conversation: messages, the NLU's reading of each, actions, sources, offers."""
    info, events = components.staff.transcript(conversation_id)
    record(components, user, "transcript.read", conversation_id)
    return TranscriptOut(conversation=_conversation(info), intents=sorted(components.staff.intents),
                         events=[_event(e) for e in events])


@router.post("/{conversation_id}/messages", status_code=status.HTTP_201_CREATED, response_model=list[EventOut])
def reply(conversation_id: str, body: AgentMessage, user: StaffUser, components: ComponentsDep) -> list[EventOut]:
    """Answer the shopper as a person; the first reply takes the conversation over from the bot."""
    events = components.staff.reply(conversation_id, body.text, user.email)
    if any(e.type == ev.HANDED_OFF for e in events):
        record(components, user, "conversation.take_over", conversation_id)
    record(components, user, "conversation.reply", conversation_id, {"chars": len(body.text)})
    return [_event(e) for e in events]


@router.post("/{conversation_id}/release", response_model=list[EventOut])
def release(conversation_id: str, user: StaffUser, components: ComponentsDep) -> list[EventOut]:
    """Hand the conversation back to the bot."""
    events = components.staff.release(conversation_id, user.email)
    record(components, user, "conversation.hand_back", conversation_id)
    return [_event(e) for e in events]


@router.put("/{conversation_id}/messages/{seq}/label", response_model=EventOut)
def correct_label(conversation_id: str, seq: int, body: Label, user: StaffUser, components: ComponentsDep) -> EventOut:
    """Set the right intent of a shopper message; `keepcart nlu corrections` exports them for training."""
    event = components.staff.correct_label(conversation_id, seq, body.intent, user.email)
    record(components, user, "label.correct", conversation_id, {"seq": seq, "intent": body.intent})
    return _event(event)

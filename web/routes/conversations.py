"""The shopper-facing chat API used by the widget."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from bot import events as ev
from bot.events import Event
from common.shopper_text import clean, printable
from web.deps import ComponentsDep, ConversationDep, conversation_token, shopper_of
from web.ratelimit import check_message, check_open
from web.schemas import ConversationCreated, History, Message, NewConversation, NewMessage, TurnReply

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
ROLES = {ev.USER_UTTERED: "shopper", ev.BOT_UTTERED: "bot"}


def to_message(event: Event) -> Message:
    p = printable(event.payload)  # texts stored before validation existed must not break the history
    return Message(seq=event.seq or 0, role=p.get("role") or ROLES[event.type], text=p.get("text", ""),
                   created_at=event.created_at, buttons=p.get("buttons", []), cards=p.get("cards", []),
                   sources=p.get("sources", []), client_message_id=event.client_message_id)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationCreated)
def create_conversation(body: NewConversation, request: Request, components: ComponentsDep) -> ConversationCreated:
    """Start a conversation, anonymous or as the customer named by a shopper token from the shop's site."""
    customer_id = shopper_of(components, body.shopper_token) if body.shopper_token else None
    check_open(request, customer_id)
    info = components.store.create(customer_id)
    token = conversation_token(components, info)
    return ConversationCreated(id=info.id, token=token, customer_id=customer_id, created_at=info.created_at)


@router.post("/{conversation_id}/messages", response_model=TurnReply)
def send_message(body: NewMessage, request: Request, conversation: ConversationDep, components: ComponentsDep) -> TurnReply:
    """Store the shopper's message, then answer it. Retrying with the same client_message_id is safe."""
    check_message(request, conversation.id, conversation.customer_id)
    text = clean(body.text, components.settings.max_message_chars)
    result = components.chat.send(conversation.id, text, body.client_message_id)
    return TurnReply(message=to_message(result.user_event), replies=[to_message(e) for e in result.replies], replayed=result.replayed,
                     status=result.status or conversation.status)


@router.get("/{conversation_id}/messages", response_model=History)
def history(conversation: ConversationDep, components: ComponentsDep) -> History:
    """Every message of the conversation, oldest first."""
    events = components.store.events(conversation.id)
    messages = [to_message(e) for e in events if e.type in ROLES]
    return History(conversation_id=conversation.id, status=conversation.status, messages=messages)

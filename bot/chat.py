"""One chat turn end to end, minus HTTP: persist the message, rebuild state, answer, persist.

The shopper's message is committed before the dialogue runs, so it is never lost even if
answering fails. The answer is then one unit of work (`common.db.turn_transaction`): the shop
changes, the offer exposure and coupon and the bot's events commit together or not at all. The
turn first claims the conversation (a row lock), so a retry sent while the first answer is still
running waits for it and returns the same replies, and nothing is ever answered twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import events as ev
from bot.dialogue import DialogueManager
from bot.events import Event
from bot.state import ConversationState
from bot.transcript import TranscriptStore
from common.db import turn_transaction
from common.errors import Conflict


@dataclass(frozen=True)
class TurnResult:
    user_event: Event
    replies: list[Event]
    replayed: bool = False
    status: str | None = None  # the conversation's status after an answered turn; None for a replay


class ChatService:
    def __init__(self, store: TranscriptStore, dialogue: DialogueManager) -> None:
        self.store, self.dialogue = store, dialogue

    def send(self, conversation_id: str, text: str, client_message_id: str) -> TurnResult:
        existing = self.store.find_message(conversation_id, client_message_id)
        if existing is None:
            try:
                (existing_new,) = self.store.append(conversation_id, [Event(ev.USER_UTTERED, {"text": text}, client_message_id=client_message_id)])
            except Conflict:  # the same message arrived twice at once: answer the one stored
                existing = self.store.find_message(conversation_id, client_message_id)
                assert existing is not None
            else:
                return self._answer(conversation_id, existing_new)
        if existing.payload.get("text") != text:
            raise Conflict("client_message_id was already used for a different message")
        return self._answer(conversation_id, existing)

    def _replies_to(self, conversation_id: str, user_event: Event) -> list[Event] | None:
        """The bot replies of an answered message, or None when it has not been answered yet."""
        later = self.store.events(conversation_id, after_seq=user_event.seq or 0)
        turn = [e for e in later if e.payload.get("in_reply_to") == user_event.seq]
        if not turn:
            return None
        return [e for e in turn if e.type == ev.BOT_UTTERED]

    def _answer(self, conversation_id: str, user_event: Event) -> TurnResult:
        """Answer `user_event` once: under the conversation's claim, replay an answer given meanwhile."""
        text = str(user_event.payload["text"])
        parse = self.dialogue.understand(text)  # outside the transaction: the model needs no lock
        with turn_transaction(self.store.sessions):
            self.store.claim(conversation_id)
            replies = self._replies_to(conversation_id, user_event)
            if replies is not None:
                return TurnResult(user_event, replies, replayed=True)
            history = self.store.events(conversation_id)
            # Everything answered so far, in claim order: a message sent while another turn ran sees that turn's end.
            state = ConversationState.from_events(conversation_id, [e for e in history if e.seq != user_event.seq])
            state.turn_key = f"{conversation_id}/{user_event.seq}"  # the shop's idempotency key for this turn's changes
            turn = self.dialogue.handle(state, text, parse)
            tagged = [Event(e.type, {**e.payload, "in_reply_to": user_event.seq}) for e in turn.events]
            handoffs = [e for e in tagged if e.type == ev.HANDED_OFF]
            status = None if not handoffs else "handed_off" if handoffs[-1].payload.get("active", True) else "open"
            stored = self.store.append(conversation_id, tagged, status=status)
        after = status or ("handed_off" if state.handed_off else "open")
        return TurnResult(user_event, [e for e in stored if e.type == ev.BOT_UTTERED], status=after)

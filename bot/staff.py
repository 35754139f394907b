"""What support staff do with a conversation: read it, take it over, reply, hand it back, fix labels.

Everything is an event in the conversation's log, like the bot's own turns: an agent's reply is a
`bot_uttered` event with role "agent" (the widget shows it like any reply), taking over and handing
back are `handed_off` events (the bot stays quiet while one is active), and a corrected intent is a
`label_corrected` event that `keepcart nlu corrections` exports for the next training run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot import events as ev
from bot.events import Event
from bot.transcript import ConversationInfo, TranscriptStore
from common.errors import InvalidInput, NotFound

HANDED_OFF, OPEN = "handed_off", "open"


@dataclass(frozen=True)
class Correction:
    """One shopper message with the intent staff say it has."""

    conversation_id: str
    seq: int
    text: str
    intent: str
    by: str
    at: datetime | None


class StaffDesk:
    """Staff actions on conversations; `intents` are the labels the NLU can learn."""

    def __init__(self, store: TranscriptStore, intents: Iterable[str]) -> None:
        self.store = store
        self.intents = frozenset(intents)

    def conversations(self, status: str | None = None, limit: int = 50) -> list[ConversationInfo]:
        if status not in (None, HANDED_OFF, OPEN):
            raise InvalidInput(f"status: one of {HANDED_OFF}, {OPEN} (or none for all)")
        return self.store.list_conversations(status, limit)

    def transcript(self, conversation_id: str) -> tuple[ConversationInfo, list[Event]]:
        return self.store.get(conversation_id), self.store.events(conversation_id)

    def reply(self, conversation_id: str, text: str, agent: str) -> list[Event]:
        """Say something to the shopper as a person; the first reply takes the conversation over."""
        text = text.strip()
        if not text:
            raise InvalidInput("text: must not be empty")
        events = []
        if self.store.get(conversation_id).status != HANDED_OFF:
            events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "taken over", "by": agent}))
        events.append(Event(ev.BOT_UTTERED, {"role": "agent", "agent": agent, "text": text,
                                             "buttons": [], "cards": [], "sources": []}))
        return self.store.append(conversation_id, events, status=HANDED_OFF)

    def release(self, conversation_id: str, agent: str) -> list[Event]:
        """Hand the conversation back to the bot."""
        if self.store.get(conversation_id).status != HANDED_OFF:
            raise InvalidInput("the conversation is not with a person")
        return self.store.append(conversation_id, [Event(ev.HANDED_OFF, {"active": False, "by": agent})], status=OPEN)

    def correct_label(self, conversation_id: str, seq: int, intent: str, agent: str) -> Event:
        """Record the right intent of the shopper message `seq`."""
        if intent not in self.intents:
            raise InvalidInput(f"intent: unknown intent {intent!r}")
        message = next((e for e in self.store.events(conversation_id) if e.seq == seq), None)
        if message is None or message.type != ev.USER_UTTERED:
            raise NotFound(f"no shopper message {seq} in conversation {conversation_id}")
        label = Event(ev.LABEL_CORRECTED, {"seq": seq, "text": message.payload.get("text", ""), "intent": intent, "by": agent})
        return self.store.append(conversation_id, [label])[0]

    def corrections(self, since: datetime) -> list[Correction]:
        """The latest label of every corrected message since `since`, oldest first."""
        latest: dict[tuple[str, int], Correction] = {}
        for conversation_id, e in self.store.events_of_type(ev.LABEL_CORRECTED, since):
            p = e.payload
            latest[(conversation_id, int(p["seq"]))] = Correction(conversation_id, int(p["seq"]), str(p.get("text", "")),
                                                                  str(p["intent"]), str(p.get("by", "")), e.created_at)
        return list(latest.values())

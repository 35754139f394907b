"""Conversation state, rebuilt from the event log on every turn (never stored separately)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot import events as ev


@dataclass
class ConversationState:
    conversation_id: str
    customer_id: str | None = None
    form: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    fallbacks: int = 0
    handed_off: bool = False
    handed_off_at: datetime | None = None
    agent_joined: bool = False  # a colleague has written since the hand-off
    waiting_acknowledged: bool = False
    wait_options_shown: bool = False
    turns: int = 0
    last_intent: str | None = None
    last_order_id: str | None = None
    last_seq: int = 0
    person_asked: bool = False  # the last answer asked "shall I get a person?"
    return_offered: str | None = None  # the message of the return button the last answer asked about (or, in
    # events written before it, the order id)
    turn_key: str | None = None  # set by the chat service: the answered message, stable across retries
    asked: str | None = None  # the text of the last message understood
    answered_question: str | None = None  # the last turn's message, when the help centre answered it

    @classmethod
    def from_events(cls, conversation_id: str, events: Iterable[ev.Event]) -> ConversationState:
        """Fold the log: the same events always give the same state."""
        state = cls(conversation_id)
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: ev.Event) -> None:
        p = event.payload
        if event.seq is not None:
            self.last_seq = max(self.last_seq, event.seq)
        if event.type == ev.CONVERSATION_STARTED:
            self.customer_id = p.get("customer_id")
        elif event.type == ev.USER_UTTERED:
            self.turns += 1
        elif event.type == ev.INTENT_PARSED:
            self.last_intent = p.get("intent")
            self.asked, self.answered_question = p.get("text"), None
        elif event.type == ev.KNOWLEDGE_RETRIEVED:
            self.answered_question = self.asked
        elif event.type == ev.FORM_SET:
            self.form = p.get("form")
            self.slots = dict(p.get("slots") or {})
        elif event.type == ev.ACTION_EXECUTED:
            if p.get("fallback"):
                self.fallbacks += 1
            elif p.get("action"):
                self.fallbacks = 0
            if p.get("order_id"):
                self.last_order_id = p["order_id"]
            self.person_asked = bool(p.get("asked_person"))
            self.return_offered = p.get("offered_return")
        elif event.type == ev.HANDED_OFF:
            active = bool(p.get("active", True))
            if active and not self.handed_off:
                self.handed_off_at, self.agent_joined = event.created_at, False
                self.waiting_acknowledged = self.wait_options_shown = False
            self.handed_off = active
            self.agent_joined = self.agent_joined or bool(p.get("by")) and active
            self.waiting_acknowledged = self.waiting_acknowledged or bool(p.get("acknowledged"))
            self.wait_options_shown = self.wait_options_shown or bool(p.get("options_shown"))
        elif event.type == ev.BOT_UTTERED and p.get("role") == "agent":
            self.agent_joined = True

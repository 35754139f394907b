"""Two ways to play a turn: in process through `ChatService`, or over the public chat API.

Both return the same `Turn`. The NLU's intent and the actions executed are read from the transcript
store (the events the turn appended) whenever the database is reachable, over HTTP too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot import events as ev
from bot.chat import ChatService
from bot.transcript import TranscriptStore


@dataclass
class Turn:
    replies: list[dict[str, Any]]  # each: text, buttons, cards, sources
    status: str
    intents: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    events_read: bool = False


class Driver(Protocol):
    def start(self, customer_id: str | None) -> str: ...

    def send(self, conversation_id: str, text: str) -> Turn: ...


def _turn_events(store: TranscriptStore | None, conversation_id: str, user_seq: int) -> tuple[list[str], list[str], bool]:
    """The intents parsed and actions executed in answer to the message stored at `user_seq`."""
    if store is None:
        return [], [], False
    turn = [e for e in store.events(conversation_id, after_seq=user_seq) if e.payload.get("in_reply_to") == user_seq]
    intents = [str(e.payload.get("intent")) for e in turn if e.type == ev.INTENT_PARSED]
    actions = [str(e.payload.get("action")) for e in turn if e.type == ev.ACTION_EXECUTED]
    return intents, actions, True


class InProcessDriver:
    """Turns through the same ChatService the server uses, without HTTP."""

    def __init__(self, chat: ChatService, store: TranscriptStore) -> None:
        self.chat, self.store = chat, store

    def start(self, customer_id: str | None) -> str:
        return self.store.create(customer_id, channel="story").id

    def send(self, conversation_id: str, text: str) -> Turn:
        result = self.chat.send(conversation_id, text, f"story-{uuid.uuid4().hex}")
        intents, actions, read = _turn_events(self.store, conversation_id, result.user_event.seq or 0)
        return Turn([dict(e.payload) for e in result.replies], result.status or "open", intents, actions, read)


class HttpDriver:
    """Turns over `POST /api/v1/conversations/{id}/messages`, exactly as the widget sends them.

    `shopper_token(customer_id)` signs the shopper in (see `mint_shopper_token`); `store`, when the
    server's database is reachable, supplies the intents and actions of each turn.
    """

    def __init__(self, client: Any, shopper_token: Callable[[str], str], store: TranscriptStore | None = None) -> None:
        self.client, self.shopper_token, self.store = client, shopper_token, store
        self.tokens: dict[str, str] = {}

    def start(self, customer_id: str | None) -> str:
        body = {"shopper_token": self.shopper_token(customer_id)} if customer_id else {}
        res = self.client.post("/api/v1/conversations", json=body)
        if res.status_code != 201:
            raise RuntimeError(f"starting a conversation: HTTP {res.status_code} {res.text[:200]}")
        data = res.json()
        self.tokens[data["id"]] = data["token"]
        return str(data["id"])

    def send(self, conversation_id: str, text: str) -> Turn:
        res = self.client.post(f"/api/v1/conversations/{conversation_id}/messages",
                               json={"text": text, "client_message_id": f"story-{uuid.uuid4().hex}"},
                               headers={"Authorization": f"Bearer {self.tokens[conversation_id]}"})
        if res.status_code != 200:
            raise RuntimeError(f"sending {text!r}: HTTP {res.status_code} {res.text[:200]}")
        data = res.json()
        intents, actions, read = _turn_events(self.store, conversation_id, int(data["message"]["seq"]))
        replies = [{k: r.get(k) for k in ("text", "buttons", "cards", "sources")} for r in data["replies"]]
        return Turn(replies, str(data.get("status", "open")), intents, actions, read)


def mint_shopper_token(secret: str | None, client: Any = None) -> Callable[[str], str]:
    """How stories sign shoppers in: with the shop secret when known, else the demo page's sign-in route.

    The one place that knows the token format, so a change of shopper tokens changes only this.
    """
    if secret:
        from common import signing

        return lambda customer_id: signing.shopper_token(secret, customer_id)

    def via_demo(customer_id: str) -> str:
        res = client.post("/demo/sign-in", json={"customer_id": customer_id})
        if res.status_code != 200:
            raise RuntimeError(f"signing in {customer_id} through /demo/sign-in: HTTP {res.status_code}")
        return str(res.json()["shopper_token"])
    return via_demo

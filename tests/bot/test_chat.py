"""ChatService over the SQL transcript store: persisted before answered, idempotent, concurrent."""

from __future__ import annotations

import threading

import pytest

from bot import events as ev
from bot.chat import ChatService
from bot.dialogue import DialogueManager
from bot.keyword_parser import KeywordParser
from bot.state import ConversationState
from bot.transcript import TranscriptStore
from shop.sql_backend import SqlShopBackend
from tests.factories import small_shop


class Exploding:
    model_id = "boom"

    def parse(self, text: str):
        raise RuntimeError("model crashed")


@pytest.fixture
def store(sessions):
    small_shop(sessions)
    return TranscriptStore(sessions)


def service(store, sessions, parser=None) -> ChatService:
    return ChatService(store, DialogueManager(parser or KeywordParser(), SqlShopBackend(sessions)))


def test_message_is_kept_when_answering_fails_and_retry_answers_it(store, sessions):
    conv = store.create("C001")
    with pytest.raises(RuntimeError):
        service(store, sessions, Exploding()).send(conv.id, "where is my order", "m1")
    kept = store.events(conv.id)
    assert [e.type for e in kept] == [ev.CONVERSATION_STARTED, ev.USER_UTTERED]
    result = service(store, sessions).send(conv.id, "where is my order", "m1")
    assert not result.replayed and "1000000004" in result.replies[0].payload["text"]
    assert sum(e.type == ev.USER_UTTERED for e in store.events(conv.id)) == 1


def test_state_is_rebuilt_from_the_log(store, sessions):
    conv = store.create("C001")
    chat = service(store, sessions)
    chat.send(conv.id, "cancel order 1000000004", "1")
    state = ConversationState.from_events(conv.id, store.events(conv.id))
    assert state.form == "confirm_cancel" and state.slots == {"order_id": "1000000004"} and state.customer_id == "C001"
    # a new service (a restarted server) continues the same conversation
    assert "is cancelled" in service(store, sessions).send(conv.id, "yes", "2").replies[0].payload["text"]


def test_sequence_numbers_are_unique_under_concurrent_turns(store, sessions):
    conv = store.create("C001")
    chat = service(store, sessions)
    errors: list[BaseException] = []

    def talk(i: int) -> None:
        try:
            chat.send(conv.id, f"hello {i}", f"msg-{i}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = [e.seq for e in store.events(conv.id)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert sum(e.type == ev.USER_UTTERED for e in store.events(conv.id)) == 8

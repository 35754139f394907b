"""A chat turn is one unit of work: claimed, answered once, committed together or not at all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import events as ev
from bot.chat import ChatService
from bot.dialogue import DialogueManager
from bot.keyword_parser import KeywordParser
from bot.transcript import TranscriptStore
from common.db import turn_transaction, unit_of_work
from retention_model.offers.agent import RetentionAgent
from retention_model.offers.demo_rules import install_demo_rules
from retention_model.offers.tables import CouponRow, ExposureRow
from retention_model.tables import CustomerScore
from shop.sql_backend import SqlShopBackend
from shop.tables import Order
from tests.factories import small_shop


@pytest.fixture
def store(sessions):
    small_shop(sessions)
    with unit_of_work(sessions) as s:
        install_demo_rules(s)
        s.add(CustomerScore(customer_id="C001", churn_probability=0.81, risk_band="high", expected_purchases=1.2,
                            expected_value=140.0, reasons=["no order for 60 days"], model_id="test", scored_at=datetime.now(UTC)))
    return TranscriptStore(sessions)


def chat(store, sessions, shop=None, retention=None) -> ChatService:
    return ChatService(store, DialogueManager(KeywordParser(), shop or SqlShopBackend(sessions),
                                              retention=retention if retention is not None else RetentionAgent(sessions)))


def in_threads(n: int, work: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    results: list[object] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(work(i))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def order_status(sessions, order_id: str) -> str:
    with sessions() as s:
        return s.get(Order, order_id).status


def actions(store, conversation_id: str) -> list[str]:
    return [e.payload["action"] for e in store.events(conversation_id) if e.type == ev.ACTION_EXECUTED]


@pytest.mark.parametrize("n", [2, 5, 10])
def test_concurrent_retries_of_one_message_are_answered_once(store, sessions, n):
    conv = store.create("C001")
    service = chat(store, sessions)
    results, errors = in_threads(n, lambda i: service.send(conv.id, "where is my order 1000000003", "same"))
    assert not errors
    assert actions(store, conv.id) == ["track_order"]
    texts = {tuple(r.payload["text"] for r in res.replies) for res in results}
    assert len(texts) == 1 and "1000000003" in next(iter(texts))[0]
    assert sum(not res.replayed for res in results) == 1


def test_five_concurrent_yes_cancel_once(store, sessions):
    conv = store.create("C001")
    service = chat(store, sessions)
    service.send(conv.id, "cancel order 1000000004", "ask")
    results, errors = in_threads(5, lambda i: service.send(conv.id, "yes", f"yes-{i}"))
    assert not errors
    replies = [r.payload["text"] for res in results for r in res.replies]
    assert sum("is cancelled" in t for t in replies) == 1
    assert not any("can't cancel" in t for t in replies)
    assert order_status(sessions, "1000000004") == "cancelled"


class ShopThatDiesAfterCancel(SqlShopBackend):
    def cancel_order(self, customer_id: str, order_id: str, idempotency_key: str | None = None):
        super().cancel_order(customer_id, order_id, idempotency_key)
        raise RuntimeError("power cut after the shop change")


class AgentThatDiesWhenShowing(RetentionAgent):
    def mark_shown(self, exposure_id: int, now=None) -> None:
        super().mark_shown(exposure_id, now)
        raise RuntimeError("power cut after the coupon")


class StoreThatDiesOnReplies(TranscriptStore):
    def append(self, conversation_id, events, status=None):
        if any(e.type == ev.BOT_UTTERED for e in events):
            raise RuntimeError("power cut while writing the replies")
        return super().append(conversation_id, events, status)


@pytest.mark.parametrize("step", ["shop change", "offer shown", "bot events"])
def test_a_turn_stopped_at_any_step_leaves_nothing_and_the_retry_does_it_once(store, sessions, step):
    conv = store.create("C001")
    chat(store, sessions).send(conv.id, "cancel order 1000000004", "ask")
    broken = {
        "shop change": lambda: chat(store, sessions, shop=ShopThatDiesAfterCancel(sessions)),
        "offer shown": lambda: chat(store, sessions, retention=AgentThatDiesWhenShowing(sessions)),
        "bot events": lambda: chat(StoreThatDiesOnReplies(sessions), sessions),
    }[step]()
    with pytest.raises(RuntimeError, match="power cut"):
        broken.send(conv.id, "yes", "confirm")
    assert order_status(sessions, "1000000004") == "paid"
    with sessions() as s:
        assert s.scalars(select(ExposureRow)).all() == [] and s.scalars(select(CouponRow)).all() == []
    assert actions(store, conv.id) == ["cancel_order"]
    assert [e.payload["text"] for e in store.events(conv.id) if e.type == ev.USER_UTTERED][-1] == "yes"  # kept
    result = chat(store, sessions).send(conv.id, "yes", "confirm")
    assert "is cancelled" in result.replies[0].payload["text"] and not result.replayed
    assert order_status(sessions, "1000000004") == "cancelled"
    with sessions() as s:
        assert len(s.scalars(select(ExposureRow)).all()) == 1
    assert actions(store, conv.id) == ["cancel_order", "do_cancel"]


def test_offer_caps_hold_under_concurrent_conversations(store, sessions):
    """Five conversations of one shopper decide at once: the one-offer cap gives one coupon at most."""
    agent = RetentionAgent(sessions)
    conversations = [store.create("C001").id for _ in range(5)]

    def decide(i: int) -> object:
        with turn_transaction(sessions):
            return agent.offer_for("C001", "cancel_order", conversations[i])

    _, errors = in_threads(5, decide)
    assert not errors
    with sessions() as s:
        decided = [e.decision for e in s.scalars(select(ExposureRow))]
        assert decided.count("offer") + decided.count("holdout") == 1
        assert len(s.scalars(select(CouponRow)).all()) <= 1


def test_the_shop_change_carries_the_turn_as_its_idempotency_key(store, sessions):
    from sqlalchemy import select

    from shop.tables import ShopChange

    conv = store.create("C001")
    service = chat(store, sessions)
    service.send(conv.id, "cancel order 1000000004", "ask")
    result = service.send(conv.id, "yes", "confirm")
    with sessions() as s:
        (change,) = s.scalars(select(ShopChange)).all()
    assert change.key == f"{conv.id}/{result.user_event.seq}/cancel" and change.order_id == "1000000004"

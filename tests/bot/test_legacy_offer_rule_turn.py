"""A rule saved under an old trigger name must not break the chat turns that issue its coupon.

Found by benchmarks/reliability.py on the prepared demo data: "Refund recovery" was stored with the
trigger `complaint_resolved` (renamed `complaint` since). Deciding maps the old name, but issuing
the coupon and building the card validated the stored definition as it was, so every turn that
made that offer failed with a 500 and the shopper's message stayed unanswered for good.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot import events as ev
from bot.chat import ChatService
from bot.dialogue import DialogueManager
from bot.keyword_parser import KeywordParser
from bot.transcript import TranscriptStore
from common.db import unit_of_work
from retention_model.offers.agent import RetentionAgent
from retention_model.offers.demo_rules import install_demo_rules
from retention_model.offers.tables import CouponRow, OfferRuleRow
from retention_model.tables import CustomerScore
from shop.sql_backend import SqlShopBackend
from tests.factories import small_shop

LEGACY = ["complaint_resolved", "get_refund", "return_order"]  # as an earlier version stored "Refund recovery"


@pytest.fixture
def chat(sessions):
    small_shop(sessions)
    with unit_of_work(sessions) as s:
        install_demo_rules(s)
        row = s.scalars(select(OfferRuleRow).where(OfferRuleRow.name == "Refund recovery")).one()
        s.execute(update(OfferRuleRow).where(OfferRuleRow.id == row.id).values(definition={**row.definition, "triggers": LEGACY}))
        s.add(CustomerScore(customer_id="C001", churn_probability=0.81, risk_band="high", expected_purchases=1.2,
                            expected_value=140.0, reasons=["no order for 60 days"], model_id="test", scored_at=datetime.now(UTC)))
    store = TranscriptStore(sessions)
    return store, ChatService(store, DialogueManager(KeywordParser(), SqlShopBackend(sessions), retention=RetentionAgent(sessions)))


def test_a_return_answered_with_the_offer_of_a_rule_stored_under_an_old_trigger_name(sessions, chat):
    store, service = chat
    conv = store.create("C001")
    service.send(conv.id, "return order 1000000002", "r1")
    service.send(conv.id, "the towels are too small", "r2")
    result = service.send(conv.id, "yes", "r3")  # before the fix: pydantic ValidationError (a 500), every retry
    texts = [r.payload["text"] for r in result.replies]
    assert "is registered" in texts[0]
    assert any(t.startswith("Free shipping on your next order with code KC-") for t in texts)
    with sessions() as s:
        assert [c.kind for c in s.scalars(select(CouponRow))] == ["free_shipping"]
    assert [e.type for e in store.events(conv.id)].count(ev.OFFER_PRESENTED) == 1

"""The audit of benchmarks/reliability.py finds each kind of broken turn it claims to find (and none in clean ones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from benchmarks.reliability_audit import audit, choose_shoppers, snapshot
from bot import events as ev
from bot.chat import ChatService
from bot.dialogue import DialogueManager
from bot.events import Event
from bot.keyword_parser import KeywordParser
from bot.transcript import TranscriptStore
from common.db import unit_of_work
from retention_model.offers.agent import RetentionAgent
from retention_model.offers.demo_rules import install_demo_rules
from retention_model.offers.tables import OfferRuleRow
from retention_model.tables import CustomerScore
from shop.sql_backend import SqlShopBackend
from tests.factories import small_shop

SCRIPT = {"m0": "cancel order 1000000004", "m1": "yes"}


@pytest.fixture
def run(sessions):
    """C001 cancels a paid order with a "yes" (high risk: the cancellation offer and its coupon come too)."""
    small_shop(sessions)
    with unit_of_work(sessions) as s:
        install_demo_rules(s)
        s.add(CustomerScore(customer_id="C001", churn_probability=0.81, risk_band="high", expected_purchases=1.2,
                            expected_value=140.0, reasons=["no order for 60 days"], model_id="test", scored_at=datetime.now(UTC)))
    now = datetime.now(UTC)
    with sessions() as s:
        before = snapshot(s, ["C001", "C002"], now - timedelta(seconds=1))
    store = TranscriptStore(sessions)
    chat = ChatService(store, DialogueManager(KeywordParser(), SqlShopBackend(sessions), retention=RetentionAgent(sessions)))
    conv = store.create("C001")
    for cid, text in SCRIPT.items():
        chat.send(conv.id, text, cid)
        chat.send(conv.id, text, cid)  # a retry: replayed, never a second turn
    return store, conv.id, before


def check(sessions, conv_id, before, sent=None):
    with sessions() as s:
        return audit(s, {conv_id: dict(sent or SCRIPT)}, {conv_id: "C001"}, before)


def test_a_clean_run_has_no_violations_and_counts_what_happened(sessions, run):
    _, conv_id, before = run
    figures, problems = check(sessions, conv_id, before)
    assert problems == []
    assert figures["messages_sent"] == figures["messages_stored"] == figures["turns_answered"] == 2
    assert figures["orders_cancel"] == 1 and figures["coupons"] == 1 and figures["offers"] == 1


def test_a_lost_and_an_unsent_message_are_found(sessions, run):
    _, conv_id, before = run
    figures, problems = check(sessions, conv_id, before, {"m0": SCRIPT["m0"], "m2": "where is my order"})
    assert figures["lost"] == 1 and figures["duplicated"] == 1
    assert any(p.startswith("lost:") for p in problems) and any("never sent" in p for p in problems)


def test_a_message_answered_twice_and_one_unanswered_are_found(sessions, run):
    store, conv_id, before = run
    yes = next(e for e in store.events(conv_id) if e.client_message_id == "m1")
    store.append(conv_id, [Event(ev.ACTION_EXECUTED, {"action": "do_cancel", "in_reply_to": yes.seq}),
                           Event(ev.BOT_UTTERED, {"text": "Done: order 1000000004 is cancelled.", "in_reply_to": yes.seq})])
    store.append(conv_id, [Event(ev.USER_UTTERED, {"text": "hello?"}, client_message_id="m2")])
    figures, problems = check(sessions, conv_id, before, {**SCRIPT, "m2": "hello?"})
    assert figures["answered_twice"] == 1 and figures["unanswered"] == 1
    assert figures["double_shop_changes"] == 1 and any("cancelled 2 times" in p for p in problems)


def test_a_shop_change_without_its_turn_and_a_budget_drift_are_found(sessions, run):
    _, conv_id, before = run
    SqlShopBackend(sessions).cancel_order("C002", "2000000001")  # in the shop, but no conversation says so
    with unit_of_work(sessions) as s:
        s.execute(update(OfferRuleRow).where(OfferRuleRow.id == 1).values(spent_count=OfferRuleRow.spent_count + 1))
    figures, problems = check(sessions, conv_id, before)
    assert figures["shop_changes_without_turn"] == 1 and figures["budget_violations"] == 1
    assert any("2000000001" in p and "half a turn" in p for p in problems)


def test_a_cancel_after_no_is_found(sessions, run):
    store, conv_id, before = run
    store.append(conv_id, [Event(ev.USER_UTTERED, {"text": "no"}, client_message_id="m2")])
    no = store.events(conv_id)[-1]
    store.append(conv_id, [Event(ev.ACTION_EXECUTED, {"action": "do_cancel", "in_reply_to": no.seq}),
                           Event(ev.BOT_UTTERED, {"text": "Done: order 1000000004 is cancelled.", "in_reply_to": no.seq})])
    _, problems = check(sessions, conv_id, before, {**SCRIPT, "m2": "no"})
    assert any("without a yes" in p for p in problems)


def test_shoppers_who_can_cancel_and_who_can_return_are_taken_in_turn(sessions, run):
    with sessions() as s:
        first, second = choose_shoppers(s, 2, datetime.now(UTC))
    assert (first.customer_id, first.cancellable) == ("C002", "2000000001")
    assert (second.customer_id, second.returnable, second.cancellable) == ("C001", "1000000002", None)  # its paid order is cancelled

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from common.db import unit_of_work
from common.errors import NotFound
from retention_model.offers.agent import RetentionAgent
from retention_model.offers.decision import assign
from retention_model.offers.demo_rules import install_demo_rules
from retention_model.offers.rules import OfferRuleSpec
from retention_model.offers.store import (
    create_rule,
    delete_rule,
    list_rules,
    list_versions,
    load_active_rules,
    shopper_context,
    update_rule,
)
from retention_model.offers.tables import ExposureRow
from tests.retention_model.offers.factories import NOW, rule, scored_customer

SPEC = {"name": "Save", "kind": "percent", "value": "10", "triggers": ["cancel_order"], "active": True,
        "holdout_share": 0.0, "budget_count": 2}


def add_rule(sessions, **kw) -> int:
    with unit_of_work(sessions) as s:
        return create_rule(s, OfferRuleSpec.model_validate({**SPEC, **kw}), "ada@example.com", NOW).rule.id


def test_versions_record_who_and_when(sessions):
    rid = add_rule(sessions)
    with unit_of_work(sessions) as s:
        update_rule(s, rid, OfferRuleSpec.model_validate({**SPEC, "value": "15"}), "bob@example.com", NOW + timedelta(hours=1))
        delete_rule(s, rid, "bob@example.com", NOW + timedelta(hours=2))
    with sessions() as s:
        versions = list_versions(s, rid)
        assert [(v.version, v.change, v.changed_by) for v in versions] == [
            (1, "created", "ada@example.com"), (2, "updated", "bob@example.com"), (3, "deleted", "bob@example.com")]
        assert versions[1].definition["value"] == "15" and versions[1].changed_at == NOW + timedelta(hours=1)
        assert list_rules(s) == [] and load_active_rules(s) == []


def test_shopper_context_from_scores_orders_and_conversations(sessions):
    with unit_of_work(sessions) as s:
        scored_customer(s, "00042", p=0.6, band="medium", value=120.0, country="FR", orders=2)
    with sessions() as s:
        ctx = shopper_context(s, "00042", NOW, score_max_age_hours=36)
        assert ctx.customer_id == "00042" and ctx.risk_band == "medium" and ctx.country == "FR"
        assert ctx.orders == 2 and ctx.avg_order_value == pytest.approx(50.0) and ctx.tenure_days == 130
        assert ctx.last_handoff_at is None and not ctx.score_stale
        assert shopper_context(s, "00042", NOW + timedelta(hours=36), score_max_age_hours=36).score_stale
        assert shopper_context(s, "nobody", NOW, score_max_age_hours=36) is None


def test_a_stale_score_makes_no_offer_until_it_is_refreshed(sessions):
    with unit_of_work(sessions) as s:
        scored_customer(s, "C001")  # scored an hour before NOW
    add_rule(sessions)
    agent = RetentionAgent(sessions, score_max_age_hours=24)
    later = NOW + timedelta(hours=24)
    advice = agent.advise("C001", "cancel_order", later)
    assert advice.decision == "none" and "churn score is stale" in advice.verdicts[0].reason
    assert agent.offer_for("C001", "cancel_order", "conv-1", later) is None
    with sessions() as s:
        assert s.scalars(select(ExposureRow)).all() == []  # nothing decided, nothing to count in reports
    assert agent.offer_for("C001", "cancel_order", "conv-1", NOW) is not None


def test_offer_for_records_issues_and_is_idempotent_per_conversation(sessions):
    with unit_of_work(sessions) as s:
        scored_customer(s, "C001")
    add_rule(sessions)
    agent = RetentionAgent(sessions)
    card = agent.offer_for("C001", "cancel_order", "conv-1", NOW)
    assert card is not None and card.kind == "percent" and card.code and card.code in card.text
    assert card.text.startswith("10% off your next order with code KC-")
    assert agent.offer_for("C001", "cancel_order", "conv-1", NOW) == card
    # the global cap (1 per 30 days) stops a second offer in another conversation
    assert agent.offer_for("C001", "cancel_order", "conv-2", NOW + timedelta(days=1)) is None
    agent.mark_shown(card.exposure_id, NOW)
    agent.mark_accepted(card.exposure_id, NOW)
    with sessions() as s:
        rows = s.scalars(select(ExposureRow).order_by(ExposureRow.id)).all()
        assert [r.decision for r in rows] == ["offer", "blocked"]
        assert rows[0].shown_at == NOW and rows[0].accepted_at == NOW
    with pytest.raises(NotFound):
        agent.mark_shown(999)


def test_holdout_is_recorded_and_shows_nothing(sessions):
    held = next(f"H{i:03d}" for i in range(200) if assign(f"H{i:03d}", rule(1, holdout_share=0.5))[0] == "holdout")
    with unit_of_work(sessions) as s:
        scored_customer(s, held)
    rid = add_rule(sessions, holdout_share=0.5)
    assert rid == 1
    assert RetentionAgent(sessions).offer_for(held, "cancel_order", "conv-h", NOW) is None
    with sessions() as s:
        assert [r.decision for r in s.scalars(select(ExposureRow))] == ["holdout"]


def test_budget_runs_out_across_shoppers(sessions):
    with unit_of_work(sessions) as s:
        for cid in ("C1", "C2", "C3"):
            scored_customer(s, cid)
    add_rule(sessions)  # budget_count 2
    agent = RetentionAgent(sessions)
    cards = [agent.offer_for(cid, "cancel_order", f"conv-{cid}", NOW) for cid in ("C1", "C2", "C3")]
    assert [c is not None for c in cards] == [True, True, False]


def test_demo_rules_install_once_and_make_offers(sessions):
    with unit_of_work(sessions) as s:
        assert install_demo_rules(s) == 3
    with unit_of_work(sessions) as s:
        assert install_demo_rules(s) == 0
        scored_customer(s, "C9", p=0.8, band="high", value=300.0)
    # scores kept valid for 60 days: the what-if below looks 40 days ahead, past the global cap
    agent = RetentionAgent(sessions, recommender=lambda cid, k: ["P1", "P2"][:k], score_max_age_hours=24 * 60)
    card = agent.offer_for("C9", "goodbye_at_risk", "conv-9", NOW)
    if card is not None:  # 10% of shoppers are in the hold-out
        assert card.kind == "recommendations" and card.code is None and card.product_ids == ["P1", "P2"]
    advice = agent.advise("C9", "cancel_order", NOW + timedelta(days=40))
    assert advice is not None and advice.decision in ("offer", "holdout")
    assert advice.value in (Decimal("10"), Decimal("5"), None)

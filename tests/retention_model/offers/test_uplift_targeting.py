"""Rules that target by expected uplift: the pure decision, the fallback to risk, the shop model from exposures."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from common.db import unit_of_work
from retention_model.offers.agent import RetentionAgent
from retention_model.offers.decision import ExposureHistory, advise
from retention_model.offers.reports import ExposureFact, build_report
from retention_model.offers.rules import OfferRuleSpec
from retention_model.offers.store import create_rule
from retention_model.offers.tables import ExposureRow
from retention_model.offers.uplift import ShopUplift, exposure_frame, train_shop_uplift
from tests.factories import add_order
from tests.retention_model.offers.factories import NOW, rule, scored_customer, shopper

TOP20 = {"by": "uplift_top", "top_percent": 20}


def test_uplift_rule_without_a_model_falls_back_to_risk_and_says_so() -> None:
    advice = advise(shopper(), "cancel_order", [rule(targeting=TOP20)], ExposureHistory(), NOW)
    assert advice.decision == "offer"
    assert "targeting: risk (no uplift model yet" in advice.reason


def test_uplift_top_keeps_only_the_top_share() -> None:
    r = [rule(targeting=TOP20)]
    low = advise(shopper(uplift=0.02, uplift_rank=0.5), "cancel_order", r, ExposureHistory(), NOW)
    assert low.decision == "none" and "not in the top 20%" in low.reason
    high = advise(shopper(uplift=0.08, uplift_rank=0.9), "cancel_order", r, ExposureHistory(), NOW)
    assert high.decision == "offer" and "targeting: uplift +0.080" in high.reason
    # A risk rule ignores uplift entirely.
    assert advise(shopper(uplift=-0.5, uplift_rank=0.0), "cancel_order", [rule()], ExposureHistory(), NOW).decision == "offer"


def test_uplift_value_needs_incremental_value_above_the_coupon_cost() -> None:
    r = [rule(kind="fixed", value="10", targeting={"by": "uplift_value"})]
    # 0.005 × 200 = 1.00 of value the offer adds, against 0.15 × 10 = 1.50 expected coupon cost.
    small = advise(shopper(uplift=0.005, uplift_rank=0.99), "cancel_order", r, ExposureHistory(), NOW)
    assert small.decision == "none" and "does not cover the coupon's expected cost 1.50" in small.reason
    big = advise(shopper(uplift=0.05, uplift_rank=0.1), "cancel_order", r, ExposureHistory(), NOW)
    assert big.decision == "offer" and big.expected_value == 0.05 * 200 - 1.5


def test_report_counts_targeting_and_compares_uplift_targeted_with_their_holdout() -> None:
    facts = ([ExposureFact("offer", None, 0.5, retained=True, targeting="uplift")] * 3
             + [ExposureFact("holdout", None, 0.5, retained=False, targeting="uplift")] * 2
             + [ExposureFact("offer", None, 0.5, retained=False, targeting="risk_fallback")])
    t = build_report(facts, 30, 1)["targeting"]
    assert (t["uplift"], t["risk_fallback"], t["risk"]) == (5, 1, 0)
    assert t["uplift_targeted_retention"]["difference"] == 1.0


def _exposures(session, n: int, rid: int) -> None:  # type: ignore[no-untyped-def]
    """Offers win back shoppers with few orders; shoppers with many orders come back anyway."""
    rng = np.random.default_rng(0)
    for i in range(n):
        cid = f"U{i:04d}"
        few = i % 2 == 0
        scored_customer(session, cid, p=0.8 if few else 0.3, band="high" if few else "low", orders=1 if few else 6)
        offered = i % 4 < 2
        session.add(ExposureRow(rule_id=rid, rule_version=1, customer_id=cid, trigger="cancel_order",
                                decision="offer" if offered else "holdout", churn_probability=0.8 if few else 0.3,
                                risk_band="high" if few else "low", created_at=NOW - timedelta(days=60)))
        back = rng.random() < ((0.7 if offered else 0.1) if few else 0.6)
        if back:
            add_order(session, f"{cid}-back", cid, "delivered", 50, [])  # 10 days after the exposure
    session.flush()


def test_shop_model_learns_from_exposures_and_the_agent_targets_by_it(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(sessions) as s:
        rid = create_rule(s, OfferRuleSpec.model_validate({"name": "persuadables", "kind": "percent", "value": "10", "triggers": ["cancel_order"],
                                                           "active": True, "holdout_share": 0.0, "targeting": {"by": "uplift_top", "top_percent": 50}}), "t").rule.id
        _exposures(s, 160, rid)
        scored_customer(s, "NEW1", p=0.8, band="high", orders=1)
        scored_customer(s, "NEW2", p=0.3, band="low", orders=6)
    out = tmp_path / "offer_uplift"
    agent = RetentionAgent(sessions, uplift_model_dir=out)
    assert "targeting: risk (no uplift model yet" in agent.advise("NEW2", "cancel_order", NOW).reason
    with sessions() as s:
        frame = exposure_frame(s, 30, NOW)
        assert len(frame) == 160 and set(frame["treatment"]) == {0, 1}
        assert frame.loc[frame["orders"] == "6", "retained"].mean() > 0.4  # the returning order counts, not earlier ones
        status = train_shop_uplift(s, out, 30, NOW, min_per_group=100)
        assert not status["trained"] and "needs 100 of each" in status["reason"]
        status = train_shop_uplift(s, out, 30, NOW, min_per_group=50)
    assert status["trained"], status
    model = ShopUplift.load(out)
    with sessions() as s:
        from retention_model.offers.store import shopper_context
        few, many = (shopper_context(s, c, NOW, 36) for c in ("NEW1", "NEW2"))
    assert model.estimate(few, "cancel_order")[0] > model.estimate(many, "cancel_order")[0] + 0.2
    assert "targeting: uplift" in agent.advise("NEW1", "cancel_order", NOW).reason
    assert agent.advise("NEW2", "cancel_order", NOW).decision == "none"

from __future__ import annotations

from decimal import Decimal

from retention_model.offers.simulate import simulate
from tests.retention_model.offers.factories import NOW, rule, shopper


def population(n: int = 300):
    return [shopper(f"S{i:04d}", churn_probability=0.3 + 0.6 * (i % 10) / 10,
                    risk_band="high" if i % 10 >= 5 else "medium") for i in range(n)]


def test_budget_burns_down_and_lift_is_positive():
    r = rule(1, triggers=["cancel_order", "get_refund", "return_order"], budget_count=20, holdout_share=0.2)
    res = simulate(population(), [r], days=28, start=NOW, contact_rate=0.05, seed=3)
    out = res.rules[0]
    assert out.coupons == 20 and out.reserved == Decimal("100.00")  # 20 × 10% of 50
    assert out.budget_exhausted_on_day is not None and out.blocked > 0
    assert out.reserved_by_week == sorted(out.reserved_by_week) and len(out.reserved_by_week) == 4
    assert out.holdouts > 0
    d = res.to_dict()
    assert d["expected_retention"]["lift"] > 0
    assert d["rules"][0]["expected_cost"] == round(0.15 * 100, 2)


def test_same_seed_same_result_and_caps_hold():
    r = rule(1, triggers=["cancel_order", "get_refund", "return_order", "complaint"])
    a = simulate(population(100), [r], days=60, start=NOW, contact_rate=0.2, seed=1)
    b = simulate(population(100), [r], days=60, start=NOW, contact_rate=0.2, seed=1)
    assert a.to_dict() == b.to_dict()
    # one offer per 30 days across all offers: at most 2 per shopper in 60 days
    assert a.rules[0].offers + a.rules[0].holdouts <= 2 * 100

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from retention_model.offers.decision import (
    ExposureHistory,
    PastExposure,
    RuleUsage,
    advise,
    assign,
    ineligible_reason,
)
from retention_model.offers.rules import FrequencyCap
from tests.retention_model.offers.factories import NOW, rule, shopper

EMPTY = ExposureHistory()


def test_offer_for_matching_trigger_and_reason_text():
    a = advise(shopper(), "cancel_order", [rule()], EMPTY, NOW)
    assert a.decision == "offer" and a.rule is not None and a.rule.id == 1
    assert a.kind == "percent" and a.value == Decimal("10")
    assert a.cost == Decimal("5.00")  # 10% of the 50.00 average basket
    # 0.7 × 200 × 0.15 − 0.15 × 5 = 21 − 0.75
    assert a.expected_value == pytest.approx(20.25)
    assert "treatment" in a.reason


def test_trigger_must_match():
    a = advise(shopper(), "goodbye_at_risk", [rule()], EMPTY, NOW)
    assert a.decision == "none" and "trigger goodbye_at_risk" in a.reason


@pytest.mark.parametrize("eligibility, who, fails", [
    ({"risk_bands": ["high"]}, {"risk_band": "medium"}, "risk band"),
    ({"min_churn_probability": 0.8}, {}, "churn probability"),
    ({"min_expected_value": 500}, {}, "expected value"),
    ({"max_expected_value": 100}, {}, "expected value"),
    ({"min_tenure_days": 500}, {}, "tenure"),
    ({"max_tenure_days": 100}, {}, "tenure"),
    ({"min_orders": 6}, {}, "orders"),
    ({"countries": ["FR"]}, {}, "country"),
    ({"categories": ["footwear"]}, {}, "categories"),
    ({"no_handoff_days": 30}, {"last_handoff_at": NOW - timedelta(days=3)}, "handed to a person"),
])
def test_each_eligibility_condition_excludes(eligibility, who, fails):
    r = rule(eligibility=eligibility)
    assert fails in (ineligible_reason(r, shopper(**who), "cancel_order", NOW) or "")


def test_eligible_when_every_condition_holds():
    r = rule(eligibility={"risk_bands": ["high"], "min_expected_value": 100, "min_tenure_days": 30, "countries": ["DE"],
                          "categories": ["tableware"], "no_handoff_days": 30})
    assert ineligible_reason(r, shopper(last_handoff_at=NOW - timedelta(days=40)), "cancel_order", NOW) is None


def test_inactive_unstarted_ended_and_unscored():
    assert "switched off" in ineligible_reason(rule(active=False), shopper(), "cancel_order", NOW)
    assert "not started" in ineligible_reason(rule(starts_at=NOW + timedelta(days=1)), shopper(), "cancel_order", NOW)
    assert "ended" in ineligible_reason(rule(ends_at=NOW), shopper(), "cancel_order", NOW)
    assert "no churn score" in ineligible_reason(rule(), shopper(churn_probability=None), "cancel_order", NOW)


def test_not_worth_it_when_cost_exceeds_value_at_risk():
    a = advise(shopper(churn_probability=0.05, expected_value=20.0), "cancel_order", [rule()], EMPTY, NOW)
    assert a.decision == "none" and "not positive" in a.reason


def test_priority_then_expected_value_picks_the_rule():
    cheap, generous = rule(1, value="5"), rule(2, value="20", priority=5)
    assert advise(shopper(), "cancel_order", [cheap, generous], EMPTY, NOW).rule.id == 2
    same_priority = rule(2, value="20")
    assert advise(shopper(), "cancel_order", [cheap, same_priority], EMPTY, NOW).rule.id == 1  # cheaper → higher EV


def test_global_cap_counts_exposures_of_every_rule_including_holdouts():
    seen = ExposureHistory([PastExposure(rule_id=9, decision="holdout", at=NOW - timedelta(days=10))])
    a = advise(shopper(), "cancel_order", [rule()], seen, NOW)
    assert a.decision == "none" and "frequency cap" in a.reason and a.blocked[0].rule_id == 1
    old = ExposureHistory([PastExposure(rule_id=9, decision="offer", at=NOW - timedelta(days=31))])
    assert advise(shopper(), "cancel_order", [rule()], old, NOW).decision == "offer"
    two = advise(shopper(), "cancel_order", [rule()], seen, NOW, global_cap=FrequencyCap(max_offers=2, days=30))
    assert two.decision == "offer"


def test_rule_cap_falls_through_to_the_next_rule():
    capped = rule(1, priority=5, frequency_cap={"max_offers": 1, "days": 90})
    other = rule(2)
    seen = ExposureHistory([PastExposure(rule_id=1, decision="offer", at=NOW - timedelta(days=60))])
    a = advise(shopper(), "cancel_order", [capped, other], seen, NOW, global_cap=None)
    assert a.rule.id == 2 and a.blocked[0].reason == "rule's frequency cap reached"


@pytest.mark.parametrize("usage, budget", [
    (RuleUsage(count=10), {"budget_count": 10}),
    (RuleUsage(money=Decimal("98")), {"budget_money": "100"}),  # 98 + 5 > 100
])
def test_budget_exhaustion(usage, budget):
    r = rule(**budget)
    a = advise(shopper(), "cancel_order", [r], ExposureHistory(usage={1: usage}), NOW)
    assert a.decision == "none" and "budget exhausted" in a.reason
    assert advise(shopper(), "cancel_order", [r], EMPTY, NOW).decision == "offer"


def test_recommendations_need_no_budget():
    r = rule(kind="recommendations", value="0", budget_count=1)
    a = advise(shopper(), "cancel_order", [r], ExposureHistory(usage={1: RuleUsage(count=1)}), NOW)
    assert a.decision == "offer" and a.cost == Decimal("0")


def test_assignment_is_deterministic_and_salted():
    r = rule(holdout_share=0.5)
    groups = [assign(f"C{i:05d}", r)[0] for i in range(200)]
    assert groups == [assign(f"C{i:05d}", r)[0] for i in range(200)]
    assert groups != [assign(f"C{i:05d}", r, salt="other")[0] for i in range(200)]


def test_holdout_share_within_tolerance_over_many_draws():
    n, share = 20_000, 0.10
    r = rule(holdout_share=share)
    held = sum(assign(f"{i:06d}", r)[0] == "holdout" for i in range(n))
    sigma = (share * (1 - share) / n) ** 0.5
    assert abs(held / n - share) < 4 * sigma
    holdout_advice = advise(shopper("000000"), "cancel_order", [rule(holdout_share=0.9)], EMPTY, NOW)
    assert holdout_advice.decision in ("offer", "holdout")


def test_variants_follow_their_weights():
    r = rule(variants=[{"name": "a", "weight": 3}, {"name": "b", "weight": 1, "kind": "fixed", "value": "5"}])
    n = 8000
    names = [assign(f"X{i}", r)[1] for i in range(n)]
    assert abs(names.count("a") / n - 0.75) < 4 * (0.75 * 0.25 / n) ** 0.5
    some_b = next(f"X{i}" for i, v in enumerate(names) if v == "b")
    a = advise(shopper(some_b), "cancel_order", [r], EMPTY, NOW)
    assert (a.variant, a.kind, a.value, a.cost) == ("b", "fixed", Decimal("5"), Decimal("5.00"))


def test_holdout_decision_has_no_cost():
    r = rule(holdout_share=0.5)
    held = next(f"H{i}" for i in range(100) if assign(f"H{i}", r)[0] == "holdout")
    a = advise(shopper(held), "cancel_order", [r], EMPTY, NOW)
    assert a.decision == "holdout" and a.cost == Decimal("0") and "hold-out" in a.reason

"""What a rule would do if switched on now: how many current customers it reaches, at what cost.

Triggers are ignored (every eligible shopper is counted as if they had written in), so the figures
are an upper bound on reach; the cost is the expected one (offers × expected response × discount),
limited by the budget left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from retention_model.offers.decision import ShopperContext, ineligible_reason, rule_cost
from retention_model.offers.rules import OfferRule


@dataclass(frozen=True)
class RulePreview:
    rule_id: int | None
    name: str
    scored_customers: int
    eligible: int
    worth_offering: int
    treatment: float
    holdout: float
    expected_redemptions: float
    expected_cost: float
    expected_value: float
    budget_count_left: int | None
    budget_money_left: float | None
    budget_limits: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview_rule(rule: OfferRule, shoppers: Sequence[ShopperContext], now: datetime, spent_count: int = 0,
                 spent_money: Decimal = Decimal("0")) -> RulePreview:
    draft = rule.model_copy(update={"active": True, "starts_at": None, "ends_at": None})
    response = rule.response_rate()
    eligible = worth = 0
    costs: list[float] = []
    value = 0.0
    for s in shoppers:
        if ineligible_reason(draft, s, rule.triggers[0], now) is not None:
            continue
        eligible += 1
        assert s.churn_probability is not None
        cost = float(rule_cost(rule, s))
        ev = s.churn_probability * s.expected_value * response - response * cost
        if ev > 0 or rule.kind == "recommendations":
            worth += 1
            costs.append(cost)
            value += ev
    treated_share = 1.0 - rule.holdout_share
    treatment = worth * treated_share
    count_left = None if rule.budget_count is None else max(0, rule.budget_count - spent_count)
    money_left = None if rule.budget_money is None else max(0.0, float(rule.budget_money - spent_money))
    coupons = treatment if rule.kind != "recommendations" else 0.0
    scale = 1.0
    if count_left is not None and coupons > count_left:
        scale = count_left / coupons
    mean_cost = sum(costs) / len(costs) if costs else 0.0
    if money_left is not None and coupons * scale * mean_cost > money_left and mean_cost > 0:
        scale = min(scale, money_left / (coupons * mean_cost))
    expected_cost = sum(costs) * treated_share * response * scale if rule.kind != "recommendations" else 0.0
    return RulePreview(rule.id if rule.id > 0 else None, rule.name, len(shoppers), eligible, worth, round(treatment, 1),
                       round(worth * rule.holdout_share, 1), round(treatment * scale * response, 1), round(expected_cost, 2),
                       round(value * treated_share * scale, 2), count_left, money_left, scale < 1.0)

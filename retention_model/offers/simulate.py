"""Replay customers through the rules before switching them on: budget burn and expected lift.

Each day every scored shopper writes in with probability `contact_rate`, about a topic drawn from
`trigger_mix` (at-risk shoppers' goodbyes become `goodbye_at_risk`). The real `advise` decides,
with caps and budgets tracked exactly as the database would. The response model is the one the
decision assumes: a treated shopper takes the offer up with the rule's expected response, and a
shopper who takes it up is kept; everyone else stays with probability 1 − churn probability.
Figures are expectations (no coin is tossed for responses), so two runs with a seed agree.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tqdm import tqdm

from retention_model.offers.decision import DEFAULT_SALT, ExposureHistory, PastExposure, RuleUsage, ShopperContext, advise
from retention_model.offers.rules import FrequencyCap, OfferRule

TRIGGER_MIX = {"cancel_order": 0.12, "get_refund": 0.12, "return_order": 0.16, "complaint": 0.08,
               "leaving": 0.04, "goodbye": 0.20, "track_refund": 0.08, "delivery_period": 0.20}


@dataclass
class RuleOutcome:
    rule_id: int
    name: str
    offers: int = 0
    holdouts: int = 0
    blocked: int = 0
    coupons: int = 0
    reserved: Decimal = Decimal("0")
    expected_redemptions: float = 0.0
    expected_cost: float = 0.0
    expected_saved: float = 0.0  # extra customers kept, in expectation
    expected_value: float = 0.0
    budget_exhausted_on_day: int | None = None
    reserved_by_week: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "name": self.name, "offers": self.offers, "holdouts": self.holdouts,
                "blocked": self.blocked, "coupons": self.coupons, "budget_reserved": float(self.reserved),
                "expected_redemptions": round(self.expected_redemptions, 1),
                "expected_cost": round(self.expected_cost, 2), "expected_extra_retained": round(self.expected_saved, 2),
                "expected_value": round(self.expected_value, 2), "budget_exhausted_on_day": self.budget_exhausted_on_day,
                "budget_reserved_by_week": [round(x, 2) for x in self.reserved_by_week]}


@dataclass
class SimulationResult:
    days: int
    shoppers: int
    contacts: int
    rules: list[RuleOutcome]
    treated_retention: float | None
    holdout_retention: float | None

    def to_dict(self) -> dict[str, Any]:
        lift = (None if self.treated_retention is None or self.holdout_retention is None
                else round(self.treated_retention - self.holdout_retention, 4))
        return {"days": self.days, "shoppers": self.shoppers, "contacts": self.contacts,
                "expected_retention": {"treatment": self.treated_retention, "holdout": self.holdout_retention, "lift": lift},
                "rules": [r.to_dict() for r in self.rules]}


def _trigger(rng: random.Random, shopper: ShopperContext, mix: dict[str, float]) -> str:
    topic = rng.choices(list(mix), weights=list(mix.values()))[0]
    if topic == "goodbye" and shopper.risk_band in ("medium", "high", "lapsed"):
        return "goodbye_at_risk"
    return topic


def simulate(shoppers: Sequence[ShopperContext], rules: Sequence[OfferRule], days: int, start: datetime,
             contact_rate: float = 0.01, trigger_mix: dict[str, float] | None = None, seed: int = 0,
             salt: str = DEFAULT_SALT, global_cap: FrequencyCap | None = FrequencyCap(max_offers=1, days=30),
             progress: bool = False, spent: dict[int, RuleUsage] | None = None) -> SimulationResult:
    """Replay `days` days from `start`; `spent` is the budget each rule has used already (default none)."""
    rng = random.Random(seed)
    mix = trigger_mix or TRIGGER_MIX
    outcomes = {r.id: RuleOutcome(r.id, r.name) for r in rules}
    seen: dict[str, list[PastExposure]] = {}
    usage: dict[int, RuleUsage] = {r.id: (spent or {}).get(r.id, RuleUsage()) for r in rules}
    treated = [0.0, 0]  # expected retained, count
    held = [0.0, 0]
    contacts = 0
    for day in tqdm(range(days), desc="simulating days", disable=not progress, unit="day"):
        now = start + timedelta(days=day)
        for s in shoppers:
            if rng.random() >= contact_rate:
                continue
            contacts += 1
            trigger = _trigger(rng, s, mix)
            advice = advise(s, trigger, rules, ExposureHistory(seen.get(s.customer_id, ()), usage), now, salt, global_cap)
            for b in advice.blocked:
                outcomes[b.rule_id].blocked += 1
                if b.reason == "budget exhausted" and outcomes[b.rule_id].budget_exhausted_on_day is None:
                    outcomes[b.rule_id].budget_exhausted_on_day = day + 1
            if advice.rule is None or advice.decision == "none":
                continue
            rule, out = advice.rule, outcomes[advice.rule.id]
            seen.setdefault(s.customer_id, []).append(PastExposure(rule.id, advice.decision, now))
            p = s.churn_probability or 0.0
            if advice.decision == "holdout":
                out.holdouts += 1
                held[0] += 1 - p
                held[1] += 1
                continue
            response = rule.response_rate()
            out.offers += 1
            out.expected_saved += p * response
            out.expected_value += advice.expected_value
            treated[0] += 1 - p + p * response
            treated[1] += 1
            if advice.kind != "recommendations":
                u = usage[rule.id]
                usage[rule.id] = RuleUsage(u.count + 1, u.money + advice.cost)
                out.coupons += 1
                out.reserved += advice.cost
                out.expected_redemptions += response
                out.expected_cost += response * float(advice.cost)
        if (day + 1) % 7 == 0 or day == days - 1:
            for out in outcomes.values():
                out.reserved_by_week.append(float(out.reserved))
    return SimulationResult(days, len(shoppers), contacts, list(outcomes.values()),
                            round(treated[0] / treated[1], 4) if treated[1] else None,
                            round(held[0] / held[1], 4) if held[1] else None)

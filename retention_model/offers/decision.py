"""The per-turn offer decision. Pure: the same inputs always give the same advice.

eligible rules → expected value (churn probability × customer value × expected response − expected
cost) → frequency caps and remaining budget → deterministic assignment to treatment or hold-out
and to a variant. Assignment hashes the customer id with the rule id and a salt, so a shopper
always lands in the same group for a rule and the hold-out stays clean across conversations.
Hold-out exposures count against frequency caps exactly like offers, so both groups meet the
same rules afterwards and the comparison stays fair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from retention_model.offers.rules import FrequencyCap, OfferRule, offer_cost, variant_terms

Decision = Literal["offer", "holdout", "none"]
DEFAULT_SALT = "keepcart-offers-v1"


@dataclass(frozen=True)
class ShopperContext:
    """What the decision knows of a shopper (built from the scores, the shop and past exposures)."""

    customer_id: str
    churn_probability: float | None = None  # None: not scored yet, no offer
    score_stale: bool = False  # scored longer ago than the settings allow: no offer either
    risk_band: str | None = None
    expected_value: float = 0.0
    tenure_days: int = 0
    orders: int = 0
    avg_order_value: float = 0.0
    country: str = ""
    categories: frozenset[str] = frozenset()
    last_handoff_at: datetime | None = None
    uplift: float | None = None  # expected gain in retention probability from an offer; None: no uplift model yet
    uplift_rank: float | None = None  # share of exposed shoppers with a lower expected uplift


@dataclass(frozen=True)
class PastExposure:
    rule_id: int
    decision: str  # offer / holdout
    at: datetime


@dataclass(frozen=True)
class RuleUsage:
    """Budget already used by a rule (all shoppers)."""

    count: int = 0
    money: Decimal = Decimal("0")


@dataclass(frozen=True)
class ExposureHistory:
    """This shopper's past exposures and every rule's budget use so far."""

    exposures: Sequence[PastExposure] = ()
    usage: dict[int, RuleUsage] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleVerdict:
    rule_id: int
    eligible: bool
    reason: str
    expected_value: float = 0.0
    cost: Decimal = Decimal("0")


@dataclass(frozen=True)
class Advice:
    decision: Decision
    rule: OfferRule | None
    variant: str | None
    reason: str
    expected_value: float = 0.0
    cost: Decimal = Decimal("0")
    kind: str | None = None
    value: Decimal | None = None
    verdicts: tuple[RuleVerdict, ...] = ()
    blocked: tuple[RuleVerdict, ...] = ()  # eligible and worth it, stopped by a cap or the budget


def unit_hash(*parts: object) -> float:
    """A uniform number in [0, 1) from the parts: stable across processes and platforms."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(customer_id: str, rule: OfferRule, salt: str = DEFAULT_SALT) -> tuple[Decision, str | None]:
    """Treatment or hold-out, and the variant, always the same for a customer and rule."""
    if unit_hash(salt, "holdout", rule.id, customer_id) < rule.holdout_share:
        return "holdout", None
    if not rule.variants:
        return "offer", None
    total = sum(v.weight for v in rule.variants)
    u = unit_hash(salt, "variant", rule.id, customer_id) * total
    for v in rule.variants:
        u -= v.weight
        if u < 0:
            return "offer", v.name
    return "offer", rule.variants[-1].name


def expected_basket(rule: OfferRule, shopper: ShopperContext) -> Decimal:
    return max(rule.min_basket, Decimal(str(round(shopper.avg_order_value, 2))))


def rule_cost(rule: OfferRule, shopper: ShopperContext, variant: str | None = None) -> Decimal:
    """The discount the shop expects to give if this shopper uses the offer (what the budget reserves)."""
    kind, value = variant_terms(rule, variant)
    return offer_cost(kind, value, expected_basket(rule, shopper), rule.max_discount)


def ineligible_reason(rule: OfferRule, shopper: ShopperContext, trigger: str, now: datetime) -> str | None:
    """Why the rule does not apply to this shopper now, or None when it does."""
    e = rule.eligibility
    if not rule.active:
        return "rule is switched off"
    if trigger not in rule.triggers:
        return f"trigger {trigger} not in {', '.join(rule.triggers)}"
    if rule.starts_at and now < rule.starts_at:
        return "rule has not started"
    if rule.ends_at and now >= rule.ends_at:
        return "rule has ended"
    if shopper.churn_probability is None:
        return "shopper has no churn score"
    if shopper.score_stale:
        return "churn score is stale (run keepcart churn score)"
    if e.risk_bands and shopper.risk_band not in e.risk_bands:
        return f"risk band {shopper.risk_band} not in {', '.join(e.risk_bands)}"
    if e.min_churn_probability is not None and shopper.churn_probability < e.min_churn_probability:
        return f"churn probability {shopper.churn_probability:.2f} below {e.min_churn_probability:.2f}"
    if e.min_expected_value is not None and shopper.expected_value < e.min_expected_value:
        return f"expected value {shopper.expected_value:.2f} below {e.min_expected_value:.2f}"
    if e.max_expected_value is not None and shopper.expected_value > e.max_expected_value:
        return f"expected value {shopper.expected_value:.2f} above {e.max_expected_value:.2f}"
    if e.min_tenure_days is not None and shopper.tenure_days < e.min_tenure_days:
        return f"tenure {shopper.tenure_days} days below {e.min_tenure_days}"
    if e.max_tenure_days is not None and shopper.tenure_days > e.max_tenure_days:
        return f"tenure {shopper.tenure_days} days above {e.max_tenure_days}"
    if e.min_orders is not None and shopper.orders < e.min_orders:
        return f"{shopper.orders} orders, fewer than {e.min_orders}"
    if e.countries and shopper.country.upper() not in e.countries:
        return f"country {shopper.country or '?'} not in {', '.join(e.countries)}"
    if e.categories and not (shopper.categories & set(e.categories)):
        return "has bought from none of the categories"
    if (e.no_handoff_days is not None and shopper.last_handoff_at is not None
            and shopper.last_handoff_at >= now - timedelta(days=e.no_handoff_days)):
        return f"a conversation was handed to a person in the last {e.no_handoff_days} days"
    return None


def rule_value(rule: OfferRule, shopper: ShopperContext, cost: Decimal) -> tuple[float, str | None, str]:
    """(expected value, why the rule is not worth it or None, a note on how the shopper was targeted).

    Risk targeting: churn probability × customer value × response − response × cost. Uplift
    targeting: expected uplift × customer value − response × cost (the value the offer itself adds,
    minus what the coupon is expected to cost); without an uplift model it falls back to risk.
    """
    response = rule.response_rate()
    by = rule.targeting.by
    if by == "risk" or shopper.uplift is None:
        note = "; targeting: risk (no uplift model yet: too few offer and hold-out outcomes)" if by != "risk" else ""
        ev = float(shopper.churn_probability or 0.0) * shopper.expected_value * response - response * float(cost)
        if ev <= 0 and rule.kind != "recommendations":
            return ev, f"expected value {ev:.2f} not positive", note
        return ev, None, note
    ev = shopper.uplift * shopper.expected_value - response * float(cost)
    note = f"; targeting: uplift {shopper.uplift:+.3f} (top {100 * (1 - (shopper.uplift_rank or 0)):.0f}%)"
    if by == "uplift_top" and (shopper.uplift_rank or 0.0) < 1 - rule.targeting.top_percent / 100:
        return ev, f"expected uplift {shopper.uplift:+.3f} not in the top {rule.targeting.top_percent:g}%", note
    if by == "uplift_value" and ev <= 0 and rule.kind != "recommendations":
        return ev, f"expected incremental value {ev + response * float(cost):.2f} does not cover the coupon's expected cost {response * float(cost):.2f}", note
    return ev, None, note


def capped(exposures: Sequence[PastExposure], cap: FrequencyCap, now: datetime, rule_id: int | None = None) -> bool:
    since = now - timedelta(days=cap.days)
    n = sum(1 for x in exposures if x.at >= since and (rule_id is None or x.rule_id == rule_id))
    return n >= cap.max_offers


def budget_left(rule: OfferRule, usage: RuleUsage, cost: Decimal) -> bool:
    if rule.budget_count is not None and usage.count >= rule.budget_count:
        return False
    return rule.budget_money is None or usage.money + cost <= rule.budget_money


def advise(shopper: ShopperContext, trigger: str, rules: Sequence[OfferRule], history: ExposureHistory, now: datetime,
           salt: str = DEFAULT_SALT, global_cap: FrequencyCap | None = FrequencyCap(max_offers=1, days=30)) -> Advice:
    """The offer to make to this shopper for this trigger (or hold-out, or none) and why."""
    verdicts: list[RuleVerdict] = []
    worth: list[tuple[OfferRule, float, Decimal]] = []
    for rule in rules:
        reason = ineligible_reason(rule, shopper, trigger, now)
        if reason:
            verdicts.append(RuleVerdict(rule.id, False, reason))
            continue
        assert shopper.churn_probability is not None
        cost = rule_cost(rule, shopper)
        ev, why_not, note = rule_value(rule, shopper, cost)
        if why_not:
            verdicts.append(RuleVerdict(rule.id, False, why_not, ev, cost))
            continue
        verdicts.append(RuleVerdict(rule.id, True, f"eligible, expected value {ev:.2f}{note}", ev, cost))
        worth.append((rule, ev, cost))
    if not worth:
        return Advice("none", None, None, "no rule applies" if not verdicts else "no rule applies: " +
                      "; ".join(f"#{v.rule_id}: {v.reason}" for v in verdicts), verdicts=tuple(verdicts))
    worth.sort(key=lambda t: (-t[0].priority, -t[1], t[0].id))
    if global_cap is not None and capped(history.exposures, global_cap, now):
        return Advice("none", None, None,
                      f"frequency cap: {global_cap.max_offers} offer(s) per {global_cap.days} days already reached",
                      verdicts=tuple(verdicts), blocked=tuple(v for v in verdicts if v.eligible))
    blocked: list[RuleVerdict] = []
    for rule, ev, cost in worth:
        if rule.frequency_cap is not None and capped(history.exposures, rule.frequency_cap, now, rule.id):
            blocked.append(RuleVerdict(rule.id, True, "rule's frequency cap reached", ev, cost))
            continue
        decision, variant = assign(shopper.customer_id, rule, salt)
        kind, value = variant_terms(rule, variant)
        vcost = rule_cost(rule, shopper, variant)
        if kind != "recommendations" and not budget_left(rule, history.usage.get(rule.id, RuleUsage()), vcost):
            blocked.append(RuleVerdict(rule.id, True, "budget exhausted", ev, vcost))
            continue
        why = (f"rule #{rule.id} {rule.name!r}: expected value {ev:.2f}, cost {vcost}{rule_value(rule, shopper, cost)[2]}; "
               + ("hold-out group (no offer shown)" if decision == "holdout" else f"treatment{f', variant {variant}' if variant else ''}"))
        return Advice(decision, rule, variant, why, ev, vcost if decision == "offer" else Decimal("0"), kind, value,
                      tuple(verdicts), tuple(blocked))
    return Advice("none", None, None, "; ".join(f"#{b.rule_id}: {b.reason}" for b in blocked),
                  verdicts=tuple(verdicts), blocked=tuple(blocked))

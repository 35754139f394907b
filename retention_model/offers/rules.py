"""Offer rules as marketers write them, validated field by field (pydantic).

A rule says what may be given (kind, value, minimum basket, validity), to whom (eligibility),
when (triggers, dates), how often (frequency cap), within which budget, and how the effect is
measured (hold-out share, A/B variants). Rules are stored as JSON versions (see `store.py`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["percent", "fixed", "free_shipping", "recommendations"]
RiskBand = Literal["low", "medium", "high", "lapsed"]  # lapsed: no order for longer than the churn horizon

# What may prompt an offer: exactly the churn signals the dialogue emits (bot.dialogue.CHURN_SIGNALS;
# tests/bot/test_policy.py keeps the two in step, so a rule can never wait for a trigger that never fires).
TRIGGERS = frozenset({
    "cancel_order", "return_order", "get_refund", "complaint", "goodbye_at_risk", "leaving", "delete_account",
})
# Expected share of shoppers who take the offer up, when the rule does not say.
DEFAULT_RESPONSE = {"percent": 0.15, "fixed": 0.15, "free_shipping": 0.10, "recommendations": 0.04}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Eligibility(Strict):
    """Who may get the offer. Empty lists and None mean "anyone"."""

    risk_bands: list[RiskBand] = Field(default_factory=list, description="Churn-risk bands from the customer scores")
    min_churn_probability: float | None = Field(None, ge=0, le=1, description="Lowest churn probability")
    min_expected_value: float | None = Field(None, ge=0, description="Lowest expected customer value (money)")
    max_expected_value: float | None = Field(None, ge=0, description="Highest expected customer value (money)")
    min_tenure_days: int | None = Field(None, ge=0, description="Days since the first order, at least")
    max_tenure_days: int | None = Field(None, ge=0, description="Days since the first order, at most")
    min_orders: int | None = Field(None, ge=0, description="Orders placed so far, at least")
    categories: list[str] = Field(default_factory=list, description="Has bought from at least one of these categories")
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-2 country codes")
    no_handoff_days: int | None = Field(30, ge=1, le=3650,
                                        description="Excluded while a conversation was handed to a person in the last N days")

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        out = [c.strip().upper() for c in value]
        for c in out:
            if len(c) != 2 or not c.isalpha():
                raise ValueError(f"{c!r} is not a two-letter country code")
        return out

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        return [c.strip() for c in value if c.strip()]

    @model_validator(mode="after")
    def _ranges(self) -> Eligibility:
        if self.min_tenure_days is not None and self.max_tenure_days is not None and self.min_tenure_days > self.max_tenure_days:
            raise ValueError("min_tenure_days must not exceed max_tenure_days")
        if (self.min_expected_value is not None and self.max_expected_value is not None
                and self.min_expected_value > self.max_expected_value):
            raise ValueError("min_expected_value must not exceed max_expected_value")
        return self


class Variant(Strict):
    """An A/B arm; it may override the kind and value of its rule."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    weight: float = Field(1.0, gt=0, description="Relative share of the treatment group")
    kind: Kind | None = None
    value: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)


class FrequencyCap(Strict):
    """At most `max_offers` exposures in `days` days (counted per shopper)."""

    max_offers: int = Field(1, ge=1, le=100)
    days: int = Field(30, ge=1, le=3650)


class Targeting(Strict):
    """Who among the eligible gets the offer: by risk (expected value of the save) or by expected uplift.

    `uplift_top`: only shoppers whose expected uplift is in the top `top_percent` % (of the shop's
    exposed shoppers); `uplift_value`: only where uplift × customer value exceeds the coupon's expected
    cost. Until the shop's uplift model exists (enough offer and hold-out exposures), both fall back
    to risk targeting and say so.
    """

    by: Literal["risk", "uplift_top", "uplift_value"] = "risk"
    top_percent: float = Field(30.0, gt=0, le=100, description="For uplift_top: the share of shoppers, by expected uplift, to target")


class OfferRuleSpec(Strict):
    """Everything a marketer sets. `OfferRule` adds the id and version the database assigns."""

    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    kind: Kind
    value: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2,
                           description="Percent off (percent), money off (fixed), shipping fee waived (free_shipping); 0 for recommendations")
    max_discount: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2, description="Cap of a percent discount")
    min_basket: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    validity_days: int = Field(14, ge=1, le=365)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    triggers: list[str] = Field(min_length=1, description="Intents or events that may prompt the offer")
    priority: int = Field(0, ge=-1000, le=1000, description="Higher wins when several rules apply")
    expected_response: float | None = Field(None, gt=0, le=1, description="Share expected to take the offer up")
    frequency_cap: FrequencyCap | None = Field(None, description="Extra cap for this rule, on top of the global one")
    budget_money: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2, description="Total money to give away")
    budget_count: int | None = Field(None, gt=0, description="Total coupons to issue")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    holdout_share: float = Field(0.10, ge=0, le=0.9, description="Share of eligible shoppers kept as a control group")
    variants: list[Variant] = Field(default_factory=list)
    active: bool = False
    targeting: Targeting = Field(default_factory=Targeting, description="Risk targeting, or the top shoppers by expected uplift")

    @field_validator("triggers")
    @classmethod
    def _triggers(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - TRIGGERS)
        if unknown:
            raise ValueError(f"unknown trigger(s) {', '.join(unknown)}; known: {', '.join(sorted(TRIGGERS))}")
        return sorted(set(value))

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2026-12-01T00:00:00Z")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OfferRuleSpec:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        names = [v.name for v in self.variants]
        if len(names) != len(set(names)):
            raise ValueError("variant names must be unique")
        for kind, value in [(self.kind, self.value)] + [(v.kind or self.kind, v.value if v.value is not None else self.value)
                                                         for v in self.variants]:
            if kind == "percent" and not (0 < value <= 100):
                raise ValueError("a percent offer needs a value between 0 and 100")
            if kind in ("fixed", "free_shipping") and value <= 0:
                raise ValueError(f"a {kind} offer needs a value above 0")
        return self

    def response_rate(self) -> float:
        return self.expected_response if self.expected_response is not None else DEFAULT_RESPONSE[self.kind]


class OfferRule(OfferRuleSpec):
    """A stored rule: the spec plus its id and version."""

    id: int
    version: int = 1


def variant_terms(rule: OfferRuleSpec, variant: str | None) -> tuple[str, Decimal]:
    """Kind and value in force for a variant (the rule's own when the variant overrides nothing)."""
    for v in rule.variants:
        if v.name == variant:
            return v.kind or rule.kind, v.value if v.value is not None else rule.value
    return rule.kind, rule.value


def offer_cost(kind: str, value: Decimal, basket: Decimal, max_discount: Decimal | None = None) -> Decimal:
    """What the shop gives away when the offer is used on a basket of `basket` money."""
    if kind == "percent":
        cost = basket * value / Decimal(100)
        if max_discount is not None:
            cost = min(cost, max_discount)
    elif kind in ("fixed", "free_shipping"):
        cost = value if kind == "free_shipping" else min(value, basket) if basket > 0 else value
    else:
        cost = Decimal("0")
    return cost.quantize(Decimal("0.01"))

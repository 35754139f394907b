"""The demo rule set `keepcart demo` installs, so the dialogue can make offers from its first day."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention_model.offers.rules import Eligibility, FrequencyCap, OfferRuleSpec, Variant
from retention_model.offers.store import create_rule
from retention_model.offers.tables import OfferRuleRow

DEMO_AUTHOR = "keepcart demo"


def demo_rules() -> list[OfferRuleSpec]:
    return [
        OfferRuleSpec(
            name="Save the cancellation",
            description="High-risk shoppers cancelling an order: 10% off their next order, A/B-tested against €5 off.",
            kind="percent", value=Decimal("10"), max_discount=Decimal("25"), min_basket=Decimal("30"), validity_days=14,
            eligibility=Eligibility(risk_bands=["high"], min_orders=1),
            triggers=["cancel_order"], priority=30, budget_count=500, budget_money=Decimal("5000"),
            variants=[Variant(name="pct10", weight=1), Variant(name="eur5", weight=1, kind="fixed", value=Decimal("5"))],
            active=True,
        ),
        OfferRuleSpec(
            name="Refund recovery",
            description="Medium or high risk and lapsed shoppers asking for a refund or a return: free shipping next time.",
            kind="free_shipping", value=Decimal("4.90"), validity_days=30,
            eligibility=Eligibility(risk_bands=["medium", "high", "lapsed"], min_orders=1),
            triggers=["get_refund", "return_order", "complaint"], priority=20,
            frequency_cap=FrequencyCap(max_offers=1, days=90), budget_count=300, budget_money=Decimal("1470"),
            active=True,
        ),
        OfferRuleSpec(
            name="Win back at goodbye",
            description="At-risk and lapsed shoppers saying goodbye: product recommendations only, no discount.",
            kind="recommendations", validity_days=7,
            eligibility=Eligibility(risk_bands=["medium", "high", "lapsed"]),
            triggers=["goodbye_at_risk", "leaving"], priority=10, active=True,
        ),
    ]


def install_demo_rules(session: Session) -> int:
    """Add the demo rules that are not there yet (matched by name); returns how many were added."""
    existing = set(session.scalars(select(OfferRuleRow.name).where(OfferRuleRow.deleted.is_(False))))
    added = 0
    for spec in demo_rules():
        if spec.name not in existing:
            create_rule(session, spec, DEMO_AUTHOR)
            added += 1
    return added

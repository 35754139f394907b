"""Rules, shoppers and scored customers for the offer tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from retention_model.offers.decision import ShopperContext
from retention_model.offers.rules import OfferRule
from retention_model.tables import CustomerScore
from tests.factories import NOW as SHOP_NOW
from tests.factories import add_customer, add_order

NOW = SHOP_NOW + timedelta(hours=1)  # the shop's rows are relative to the real clock


def rule(id: int = 1, **overrides: Any) -> OfferRule:
    spec: dict[str, Any] = {"id": id, "name": f"rule {id}", "kind": "percent", "value": "10", "triggers": ["cancel_order"],
                            "active": True, "holdout_share": 0.0}
    spec.update(overrides)
    return OfferRule.model_validate(spec)


def shopper(customer_id: str = "C001", **overrides: Any) -> ShopperContext:
    values: dict[str, Any] = {"churn_probability": 0.7, "risk_band": "high", "expected_value": 200.0, "tenure_days": 400,
                              "orders": 5, "avg_order_value": 50.0, "country": "DE",
                              "categories": frozenset({"coffee & tea", "tableware"})}
    values.update(overrides)
    return ShopperContext(customer_id=customer_id, **values)


def scored_customer(session: Session, cid: str, p: float = 0.7, band: str = "high", value: float = 200.0,
                    country: str = "DE", orders: int = 2) -> None:
    """A customer with `orders` delivered orders (no order lines) and a churn score."""
    add_customer(session, cid, country=country)
    session.flush()
    for i in range(orders):
        order = add_order(session, f"{cid}-{i}", cid, "delivered", 100 + 30 * i, [])
        order.total = Decimal("50.00")
        session.flush()
    session.add(CustomerScore(customer_id=cid, churn_probability=p, risk_band=band, expected_purchases=1.0,
                              expected_value=value, reasons=[], model_id="test", scored_at=NOW - timedelta(hours=1)))
    session.flush()


def money(text: str) -> Decimal:
    return Decimal(text)

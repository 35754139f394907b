from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from common.db import unit_of_work
from retention_model.pipeline import train_and_score_shop
from retention_model.recommend import Recommender
from retention_model.scores import get_risk
from shop.tables import Customer, Order, OrderLine, Product
from tests.retention_model.factories import synthetic_transactions


def fill_shop(factory: sessionmaker[Session]) -> datetime:
    tx = synthetic_transactions(n_customers=150, days=540, seed=5)
    lines = tx.lines
    with unit_of_work(factory) as s:
        s.add_all(Product(id=r.product_id, name=r.name, category=r.category, description="", price=Decimal("9.99"), repeat_purchase=bool(r.repeat_purchase)) for r in tx.products.itertuples())  # type: ignore[union-attr]
        s.add_all(Customer(id=c, email=f"{c}@example.com", name=c) for c in lines["customer_id"].unique())
        s.add(Customer(id="never", email="never@example.com", name="No orders yet"))
        for order_id, group in lines.groupby("order_id"):
            first = group.iloc[0]
            s.add(Order(id=order_id, customer_id=first.customer_id, status="delivered", placed_at=first.ordered_at.to_pydatetime(), total=Decimal(str(round(group.amount.sum(), 2)))))
            s.add_all(OrderLine(order_id=order_id, product_id=r.product_id, quantity=1, unit_price=Decimal(str(round(r.amount, 2)))) for r in group.itertuples())
    return (lines["ordered_at"].max() + pd.Timedelta(days=1)).to_pydatetime()


def test_train_and_score_shop_then_skip_when_unchanged(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    now = fill_shop(sessions)
    first = train_and_score_shop(sessions, tmp_path / "models", horizon_days=60, now=now, text_model=None)
    assert first["retrained"] and first["churn"]["kind"] == "churn" and first["recommender"]["kind"] == "recommender"
    assert (tmp_path / "models" / "churn" / "manifest.json").exists()
    assert first["scores"]["scored"] == 150  # the customer without orders is not scored
    with sessions() as s:
        risk = get_risk(s, "00000", now, max_age_hours=36)
        assert risk is not None and not risk.stale and risk.model_id == first["churn"]["id"]
        assert 0 < risk.probability < 1 and risk.band in {"low", "medium", "high", "lapsed"} and risk.expected_purchases >= 0
        assert get_risk(s, "never", now, 36) is None
    second = train_and_score_shop(sessions, tmp_path / "models", horizon_days=60, now=now, text_model=None)
    assert not second["retrained"] and second["churn"]["id"] == first["churn"]["id"]
    rec = Recommender.load(tmp_path / "models" / "recommender")
    assert len(rec.recommend("00000", k=5)) == 5

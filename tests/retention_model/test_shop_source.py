from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from bot.tables import ConversationRow, EventRow
from common.db import unit_of_work
from retention_model.features import build_features, cutoff_boundary
from retention_model.shop_source import load_transactions_from_shop
from shop.tables import Customer, Order, OrderLine, Product


def at(day: int) -> datetime:
    return datetime(2024, 1, day, 12, 0, tzinfo=UTC)


def test_orders_statuses_products_and_support_contacts(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        s.add_all([Customer(id="007", email="a@example.com", name="A"), Customer(id="008", email="b@example.com", name="B")])
        s.add_all([
            Product(id="P1", name="Tea", category="drinks", price=Decimal("4.00"), repeat_purchase=True),
            Product(id="P2", name="Pot", category="kitchen", price=Decimal("20.00")),
        ])
        s.add_all([
            Order(id="O1", customer_id="007", status="delivered", placed_at=at(2), total=Decimal("28.00")),
            Order(id="O2", customer_id="007", status="returned", placed_at=at(10), total=Decimal("20.00")),
            Order(id="O3", customer_id="007", status="cancelled", placed_at=at(12), total=Decimal("4.00")),
        ])
        s.add_all([
            OrderLine(order_id="O1", product_id="P1", quantity=2, unit_price=Decimal("4.00")),
            OrderLine(order_id="O1", product_id="P2", quantity=1, unit_price=Decimal("20.00")),
            OrderLine(order_id="O2", product_id="P2", quantity=1, unit_price=Decimal("20.00")),
            OrderLine(order_id="O3", product_id="P1", quantity=1, unit_price=Decimal("4.00")),
        ])
        s.flush()  # conversations reference customers
        s.add(ConversationRow(id="c1", customer_id="007", created_at=at(11), last_event_at=at(11)))
        s.flush()
        s.add_all([
            EventRow(conversation_id="c1", seq=1, type="intent_parsed", payload={"intent": "complaint", "confidence": 0.9}, created_at=at(11)),
            EventRow(conversation_id="c1", seq=2, type="handed_off", payload={}, created_at=at(11)),
        ])
    with sessions() as s:
        tx = load_transactions_from_shop(s)
    assert sorted(tx.customers or []) == ["007", "008"]
    assert set(tx.lines["order_id"]) == {"O1", "O2", "O3"}
    X = build_features(tx, cutoff_boundary("2024-01-20"), 30)
    row = X.loc["007"]
    assert row["n_orders"] == 2  # the returned order still shows a visit; the cancelled one does not
    assert row["spend_total"] == 28.0 and row["returns_n"] == 1 and row["cancelled_n"] == 1
    assert row["n_categories"] == 2
    assert row["contacts_n"] == 1 and row["complaints_n"] == 1 and row["escalations_n"] == 1
    assert "008" not in X.index

"""Small hand-made shops for tests: two customers, a few products, orders in known states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from common.db import unit_of_work
from shop.tables import Customer, Order, OrderLine, Product

NOW = datetime.now(UTC).replace(microsecond=0)


def add_customer(session: Session, cid: str, name: str = "Ada Lovelace", country: str = "DE") -> Customer:
    c = Customer(id=cid, email=f"{cid.lower()}@example.com", name=name, address_line="Hauptstraße 5",
                 city="Berlin", postal_code="10115", country=country, created_at=NOW - timedelta(days=400))
    session.add(c)
    return c


def add_order(session: Session, oid: str, cid: str, status: str, days_ago: float, lines: list[tuple[str, int, str]],
              **extra: object) -> Order:
    total = sum(Decimal(price) * qty for _, qty, price in lines)
    order = Order(id=oid, customer_id=cid, status=status, placed_at=NOW - timedelta(days=days_ago), total=total,
                  ship_name="Ada Lovelace", ship_address_line="Hauptstraße 5", ship_city="Berlin",
                  ship_postal_code="10115", ship_country="DE", **extra)
    order.lines = [OrderLine(product_id=p, quantity=q, unit_price=Decimal(price)) for p, q, price in lines]
    session.add(order)
    return order


def small_shop(sessions: sessionmaker[Session]) -> None:
    """C001 (Ada) has one order in each interesting state; C002 (Bob) has one paid order."""
    with unit_of_work(sessions) as s:
        s.add_all([
            Product(id="P001", name="Blue Canvas Sneakers", category="footwear", price=Decimal("59.00")),
            Product(id="P002", name="Linen Waffle Bath Towel — Sage", category="home textiles", price=Decimal("24.50")),
            Product(id="P003", name="Stoneware Espresso Cup Set", category="tableware", price=Decimal("32.00")),
            Product(id="00042", name="Ground Coffee House Blend", category="coffee & tea", price=Decimal("9.90"), repeat_purchase=True),
        ])
        add_customer(s, "C001", "Ada Lovelace")
        add_customer(s, "C002", "Bob Stone", country="FR")
        s.flush()
        add_order(s, "1000000001", "C001", "delivered", 60, [("P003", 1, "32.00")], delivered_at=NOW - timedelta(days=57))
        add_order(s, "1000000002", "C001", "delivered", 10, [("P002", 2, "24.50")], delivered_at=NOW - timedelta(days=7))
        add_order(s, "1000000003", "C001", "shipped", 3, [("P001", 1, "59.00")], carrier="DHL", tracking_number="JD014600003SE",
                  shipped_at=NOW - timedelta(days=2))
        add_order(s, "1000000004", "C001", "paid", 1, [("00042", 3, "9.90")])
        add_order(s, "2000000001", "C002", "paid", 2, [("P001", 1, "59.00")])

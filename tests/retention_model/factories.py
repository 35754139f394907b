"""Synthetic order histories with known rhythms, small enough for unit tests."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.tables import ConversationRow, EventRow
from retention_model.transactions import Transactions, from_frames
from shop.tables import Customer, Order, OrderLine, Product

START = pd.Timestamp("2023-01-01", tz="UTC")
PRODUCTS = [f"P{i:03d}" for i in range(30)]


def synthetic_lines(n_customers: int = 300, days: int = 540, seed: int = 0) -> pd.DataFrame:
    """Loyal, lapsing and one-off shoppers; lapsing ones stop at a random day, so churn is learnable."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        kind = rng.choice(["loyal", "lapsing", "oneoff"], p=[0.4, 0.4, 0.2])
        first = rng.integers(0, days // 2)
        every = rng.uniform(15, 60)
        stop = days if kind == "loyal" else first + rng.integers(30, days)
        t = float(first)
        group = rng.integers(0, 3)  # shoppers of a group buy from the same third of the catalogue
        n = 0
        while t < min(stop, days) and (kind != "oneoff" or n == 0):
            order = f"O{c:04d}-{n:03d}"
            for p in rng.choice(10, size=rng.integers(1, 4), replace=False):
                rows.append((f"{c:05d}", order, (START + pd.Timedelta(days=t, hours=int(rng.integers(8, 20)))).floor("s"), float(rng.uniform(5, 50)), PRODUCTS[group * 10 + int(p)], 1.0, ""))
            n += 1
            t += rng.gamma(4.0, every / 4.0)
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at", "amount", "product_id", "quantity", "status"])


def synthetic_transactions(n_customers: int = 300, days: int = 540, seed: int = 0) -> Transactions:
    products = pd.DataFrame(
        {
            "product_id": PRODUCTS,
            "name": [f"{['tea', 'coffee', 'garden'][i // 10]} item {i}" for i in range(30)],
            "category": [["tea", "coffee", "garden"][i // 10] for i in range(30)],
            "description": ["" for _ in range(30)],
            "repeat_purchase": [i % 10 == 0 for i in range(30)],
            "active": [True] * 30,
        }
    )
    return from_frames(synthetic_lines(n_customers, days, seed), products=products, source="synthetic")


def fill_shop(engine: Engine) -> None:
    """A shop database of 120 synthetic customers: cancelled and returned orders, orders without lines, support conversations."""
    tx = synthetic_transactions(120, seed=5)
    lines = tx.lines
    statuses = {oid: ("cancelled" if i % 17 == 3 else "returned" if i % 13 == 4 else "delivered") for i, oid in enumerate(lines["order_id"].unique())}
    assert tx.products is not None
    with Session(engine) as session:
        session.add_all(Product(id=p.product_id, name=p.name, category=p.category, description="", price=Decimal("1.00")) for p in tx.products.itertuples())
        session.add_all(Customer(id=c, email=f"{c}@x.test", name=c) for c in lines["customer_id"].unique())
        session.add(Customer(id="nobuy", email="nobuy@x.test", name="No"))
        session.flush()
        for oid, group in lines.groupby("order_id", sort=False):
            first = group.iloc[0]
            with_lines = not oid.endswith("-002")  # some orders have no lines and count with their total
            total = Decimal(f"{group['amount'].sum():.2f}")
            session.add(Order(id=oid, customer_id=first["customer_id"], status=statuses[oid], placed_at=first["ordered_at"].to_pydatetime(), total=total))
            if with_lines:
                session.add_all(OrderLine(order_id=oid, product_id=r.product_id, quantity=1 + i % 2, unit_price=Decimal(f"{r.amount:.2f}")) for i, r in enumerate(group.itertuples()))
        session.flush()
        for i, cid in enumerate(lines["customer_id"].unique()[::4]):  # support conversations: complaints, handoffs
            conv = ConversationRow(id=f"conv-{i}", customer_id=cid, created_at=(START + pd.Timedelta(days=150 + 3 * i)).to_pydatetime())
            session.add(conv)
            session.flush()
            if i % 2 == 0:
                session.add(EventRow(conversation_id=conv.id, seq=1, type="intent_parsed", payload={"intent": {"name": "complaint"}}))
            if i % 3 == 0:
                session.add(EventRow(conversation_id=conv.id, seq=2, type="handed_off", payload={}))
        session.commit()

"""Synthetic order histories with known rhythms, small enough for unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention_model.transactions import Transactions, from_frames

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

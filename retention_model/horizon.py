"""A churn horizon that fits the shop: how long its returning customers usually take to come back.

A fixed 90 days calls most customers of a shop whose customers buy every few months "churned". The
suggestion is the `quantile` (default 0.8) of the gaps between consecutive purchase days of repeat
customers before the cutoff, rounded up to whole weeks and kept within [min_days, max_days]: "no
purchase for longer than 4 in 5 returning customers ever wait" is a break in rhythm for this shop.
Per-customer rhythm enters the model as features (gap_ratio = recency / own median gap, gap_z).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from common.errors import InvalidInput
from retention_model.features import DAY
from retention_model.transactions import Transactions


def suggest_horizon(tx: Transactions, cutoff: pd.Timestamp | None = None, quantile: float = 0.8,
                    min_days: int = 30, max_days: int = 365) -> tuple[int, dict[str, float]]:
    """(horizon in days, the gap statistics it came from)."""
    orders = tx.orders()
    act = orders[orders["active"]] if cutoff is None else orders[orders["active"] & (orders["at"] < cutoff)]
    days = pd.DataFrame({"c": act["customer_id"].to_numpy(), "d": (act["at"] - act["at"].min()) // DAY}).drop_duplicates()
    days = days.sort_values(["c", "d"])
    gaps = days.groupby("c")["d"].diff().dropna().to_numpy(dtype=float)
    gaps = gaps[gaps > 0]
    if len(gaps) < 20:
        raise InvalidInput(f"{tx.source or 'transactions'}: only {len(gaps)} repeat purchases; too few to derive a horizon, give --horizon-days")
    q = float(np.quantile(gaps, quantile))
    horizon = int(min(max_days, max(min_days, 7 * math.ceil(q / 7))))
    return horizon, {"gaps": float(len(gaps)), "median_gap_days": float(np.median(gaps)), f"p{round(quantile * 100)}_gap_days": q}

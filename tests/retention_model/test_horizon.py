"""The churn horizon derived from the shop's own gaps between purchases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from common.errors import InvalidInput
from retention_model.horizon import suggest_horizon
from retention_model.transactions import from_frames

START = pd.Timestamp("2024-01-01", tz="UTC")


def shop(every_days: float, customers: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        t = rng.uniform(0, 30)
        for n in range(8):
            rows.append((f"C{c}", f"O{c}-{n}", START + pd.Timedelta(days=t), 20.0))
            t += rng.gamma(4.0, every_days / 4.0)
    return pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at", "amount"])


def test_horizon_follows_the_shops_rhythm() -> None:
    weekly, _ = suggest_horizon(from_frames(shop(7)))
    monthly, stats = suggest_horizon(from_frames(shop(30)))
    quarterly, _ = suggest_horizon(from_frames(shop(90)))
    assert weekly == 30  # the lower bound: a week's silence is not churn
    assert 35 <= monthly <= 56 and monthly % 7 == 0 and monthly >= stats["p80_gap_days"]
    assert 105 <= quarterly <= 168


def test_only_history_before_the_cutoff_counts_and_few_repeats_are_an_error() -> None:
    lines = shop(30)
    late = shop(200, seed=1)
    late["ordered_at"] = late["ordered_at"] + pd.Timedelta(days=2000)
    both = from_frames(pd.concat([lines, late]))
    cutoff = START + pd.Timedelta(days=1500)
    assert suggest_horizon(both, cutoff)[0] == suggest_horizon(from_frames(lines))[0]
    with pytest.raises(InvalidInput, match="too few to derive a horizon"):
        suggest_horizon(from_frames(shop(30, customers=2)))

"""What the churn model trains and evaluates on: feature windows, from pandas or from a SQL engine.

`ChurnModel.fit` and `evaluate_churn` only need a start, an end, and the features and labels at a
cutoff; `Transactions` gets them from `build_features` in memory, `SqlFeatures` from an engine.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from retention_model.features import build_features, churn_labels
from retention_model.transactions import Transactions

MAX_TRAINING_ROWS = 2_000_000  # customer-windows; today's data sets (<= 500k windows) are never sampled


class Windows(Protocol):
    """Features and churn labels at any cutoff of one data set."""

    @property
    def source(self) -> str: ...

    @property
    def start(self) -> pd.Timestamp: ...

    @property
    def end(self) -> pd.Timestamp: ...

    def features(self, cutoff: pd.Timestamp, horizon_days: int) -> pd.DataFrame: ...

    def labels(self, cutoff: pd.Timestamp, horizon_days: int, customers: pd.Index) -> np.ndarray: ...


class PandasWindows:
    """`build_features` over transactions held in memory (the original path)."""

    def __init__(self, tx: Transactions) -> None:
        self.tx = tx

    @property
    def source(self) -> str:
        return self.tx.source

    @property
    def start(self) -> pd.Timestamp:
        return self.tx.start

    @property
    def end(self) -> pd.Timestamp:
        return self.tx.end

    def features(self, cutoff: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
        return build_features(self.tx, cutoff, horizon_days)

    def labels(self, cutoff: pd.Timestamp, horizon_days: int, customers: pd.Index) -> np.ndarray:
        return churn_labels(self.tx, cutoff, horizon_days, customers)


def windows_of(data: Transactions | Windows) -> Windows:
    return PandasWindows(data) if isinstance(data, Transactions) else data


def per_window_limit(n_windows: int, max_rows: int = MAX_TRAINING_ROWS) -> int:
    """Customers read per training window so that all windows together stay under `max_rows`."""
    return max(1, max_rows // max(1, n_windows))

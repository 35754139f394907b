"""Feature encodings shared by training, scoring and explanations.

Churn windows differ in how much history they see (a cutoff three months into the data versus
nine), so raw counts like tenure or order totals drift between training and scoring. The
boosted trees therefore read each feature as its percentile within the population scored at
the same cutoff; the linear part reads signed logs. Replacing a feature by the population median
(percentile 0.5) is also how explanations ask "what if this shopper were typical here?".
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

N_QUANTILES = 201


def reference_from(X: pd.DataFrame, features: list[str]) -> dict[str, np.ndarray]:
    """Sorted non-missing values per feature: the population percentiles are read against."""
    return {f: np.sort(X[f].to_numpy(dtype=float)[~np.isnan(X[f].to_numpy(dtype=float))]) for f in features}


def compact_reference(ref: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """Quantiles small enough for a JSON artifact, used when a scored population is too small."""
    qs = np.linspace(0, 1, N_QUANTILES)
    return {f: (np.quantile(v, qs).tolist() if len(v) else []) for f, v in ref.items()}


def percentiles(X: pd.DataFrame, features: list[str], ref: dict[str, np.ndarray]) -> np.ndarray:
    """Mid-rank percentile of each value within `ref` (ties share the mean rank); NaN stays NaN."""
    out = np.empty((len(X), len(features)), dtype=float)
    for j, f in enumerate(features):
        values = X[f].to_numpy(dtype=float)
        sorted_ref = ref[f]
        if len(sorted_ref) == 0:
            out[:, j] = np.nan
            continue
        lo = np.searchsorted(sorted_ref, values, side="left")
        hi = np.searchsorted(sorted_ref, values, side="right")
        col = (lo + hi) / (2.0 * len(sorted_ref))
        col[np.isnan(values)] = np.nan
        out[:, j] = col
    return out


def signed_log(X: pd.DataFrame, features: list[str]) -> np.ndarray:
    values = X[features].to_numpy(dtype=float)
    return cast(np.ndarray, np.sign(values) * np.log1p(np.abs(values)))


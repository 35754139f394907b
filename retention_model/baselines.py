"""The classic churn baselines, trained on the same data as the model so a report compares fairly.

The model fits them on exactly its own training rows (every stacked cutoff window).

- recency-only: a logistic curve on log days since the last order;
- frequency-only: the same on log number of orders;
- RFM logistic regression: recency, frequency and monetary value (logs, standardised);
- BG/NBD: expected purchases over the horizon, mapped to a probability by a logistic fit.
Stored as plain JSON coefficients.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

BASELINES = ("recency", "frequency", "rfm_logistic", "bgnbd")


def _inputs(name: str, X: pd.DataFrame) -> np.ndarray:
    if name == "recency":
        return cast(np.ndarray, np.log1p(X[["recency_days"]].to_numpy()))
    if name == "frequency":
        return cast(np.ndarray, np.log1p(X[["n_orders"]].to_numpy()))
    if name == "rfm_logistic":
        return np.column_stack([np.log1p(X["recency_days"]), np.log1p(X["n_orders"]), np.log1p(X["spend_total"].clip(lower=0))])
    if name == "bgnbd":
        return cast(np.ndarray, np.log1p(X[["bg_expected_purchases"]].to_numpy()))
    raise ValueError(name)


def fit_baselines(X: pd.DataFrame, y: np.ndarray, names: tuple[str, ...] = BASELINES) -> dict[str, dict[str, Any]]:
    """Fit each baseline on one feature table; returns JSON-ready coefficients."""
    fitted: dict[str, dict[str, Any]] = {}
    for name in names:
        Z = _inputs(name, X)
        mean, std = Z.mean(axis=0), Z.std(axis=0) + 1e-9
        lr = LogisticRegression(C=1.0, max_iter=1000).fit((Z - mean) / std, y)
        fitted[name] = {"mean": mean.tolist(), "std": std.tolist(), "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])}
    return fitted


def baseline_logit(name: str, params: dict[str, Any], X: pd.DataFrame) -> np.ndarray:
    Z = (_inputs(name, X) - np.asarray(params["mean"])) / np.asarray(params["std"])
    return cast(np.ndarray, Z @ np.asarray(params["coef"]) + params["intercept"])


def predict_baseline(name: str, params: dict[str, Any], X: pd.DataFrame) -> np.ndarray:
    return cast(np.ndarray, 1.0 / (1.0 + np.exp(-baseline_logit(name, params, X))))


def oof_logit(name: str, X: pd.DataFrame, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """The baseline fitted on rows `train`, its log-odds on rows `test` (out-of-fold input for the stacker)."""
    params = fit_baselines(X.iloc[train], y[train], names=(name,))[name]
    return baseline_logit(name, params, X.iloc[test])

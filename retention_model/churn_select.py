"""The classic baselines *inside* the churn model, and the choice between them and the full model.

A shop's data may carry no more than recency, frequency and spend can tell a linear fit; then the
full model must not do worse than them. So (1) the RFM logistic regression is one of the stacked
inputs, and (2) after training, the full model and each classic baseline (recency, frequency, RFM
logistic regression, all fitted on the same rows) are compared on data inside the training period:

- **time-based validation** when history allows: the same recipe is trained on windows shifted one
  horizon back and judged on the latest training window (its labels close by the end of training);
- otherwise the **out-of-fold** predictions of the stacked windows (3 folds grouped by customer).

A baseline replaces the stacked prediction only when it ranks strictly better there. The evaluation
window is never looked at.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

# Each baseline as a logistic regression on the model's own standardised signed-log inputs (for the
# non-negative recency, order count and spend these are the baselines' log1p inputs up to scale).
PARTS: dict[str, tuple[str, ...]] = {
    "recency": ("recency_days",),
    "frequency": ("n_orders",),
    "rfm_logistic": ("recency_days", "n_orders", "spend_total"),
}
STACKED = "stacked"


def fit_parts(Z: np.ndarray, y: np.ndarray, features: list[str]) -> dict[str, dict[str, Any]]:
    parts = {}
    for name, cols in PARTS.items():
        idx = [features.index(f) for f in cols if f in features]
        if len(idx) == len(cols):
            lr = LogisticRegression(C=1.0, max_iter=1000).fit(Z[:, idx], y)
            parts[name] = {"columns": idx, "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])}
    return parts


def part_logit(part: dict[str, Any], Z: np.ndarray) -> np.ndarray:
    return cast(np.ndarray, Z[:, part["columns"]] @ np.asarray(part["coef"]) + float(part["intercept"]))


def safe_auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def choose(roc_auc: dict[str, float]) -> str:
    """The stacked model unless a baseline is strictly better (ties keep the model, which also explains itself)."""
    best = max((n for n in roc_auc if n != STACKED and np.isfinite(roc_auc[n])), key=lambda n: roc_auc[n], default=None)
    if best is not None and np.isfinite(roc_auc.get(STACKED, np.nan)) and roc_auc[best] > roc_auc[STACKED]:
        return best
    return STACKED

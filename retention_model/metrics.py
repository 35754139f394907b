"""Evaluation figures for churn (ranking and calibration) and recommendations (top-k)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def lift_at(labels: np.ndarray, scores: np.ndarray, fraction: float = 0.1) -> float:
    """Churn rate among the top `fraction` by score, divided by the overall churn rate."""
    labels = np.asarray(labels, dtype=float)
    base = labels.mean()
    if base == 0:
        return float("nan")
    k = max(1, int(round(len(labels) * fraction)))
    top = np.argsort(-np.asarray(scores), kind="stable")[:k]
    return float(labels[top].mean() / base)


def churn_metrics(labels: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """roc_auc, pr_auc (average precision), brier and lift_at_10pct, churn = positive class."""
    labels = np.asarray(labels)
    probability = np.clip(np.asarray(probability, dtype=float), 0.0, 1.0)
    two_classes = len(np.unique(labels)) == 2
    return {
        "roc_auc": float(roc_auc_score(labels, probability)) if two_classes else float("nan"),
        "pr_auc": float(average_precision_score(labels, probability)) if two_classes else float("nan"),
        "brier": float(brier_score_loss(labels, probability)),
        "lift_at_10pct": lift_at(labels, probability, 0.1),
    }


def topk_metrics(recommended: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int) -> dict[str, float]:
    """hit_rate (share of shoppers with ≥1 relevant item in the top k) and binary NDCG@k."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits, ndcgs = [], []
    for recs, rel in zip(recommended, relevant, strict=True):
        gains = np.array([1.0 if item in rel else 0.0 for item in list(recs)[:k]])
        dcg = float((gains * discounts[: len(gains)]).sum())
        ideal = float(discounts[: min(len(rel), k)].sum())
        hits.append(1.0 if gains.any() else 0.0)
        ndcgs.append(dcg / ideal if ideal else 0.0)
    return {"hit_rate": float(np.mean(hits)) if hits else float("nan"), "ndcg": float(np.mean(ndcgs)) if ndcgs else float("nan")}

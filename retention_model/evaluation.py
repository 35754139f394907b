"""Time-split evaluations: the model beside its baselines, on the same customers and the same labels."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from retention_model.baselines import BASELINES, predict_baseline
from retention_model.churn import BANDS, LAPSED, ChurnModel
from retention_model.features import DAY
from retention_model.metrics import churn_metrics, topk_metrics
from retention_model.recommend import Recommender, TextEncoder, item_similarity, purchase_lines
from retention_model.transactions import Transactions
from retention_model.windows import Windows, windows_of


def evaluate_churn(model: ChurnModel, tx: Transactions | Windows, cutoff: pd.Timestamp, horizon_days: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Report (model and baselines) and one prediction row per customer active before `cutoff` (in memory or from an engine)."""
    windows = windows_of(tx)
    X = windows.features(cutoff, horizon_days)
    y = windows.labels(cutoff, horizon_days, X.index)
    p = model.predict_proba(X)
    report: dict[str, Any] = {
        "cutoff": str((cutoff - DAY).date()), "horizon_days": horizon_days, "model_id": model.model_id,
        "trained_horizon_days": model.horizon_days, "model_choice": getattr(model, "selection_", None), "customers": int(len(y)), "churn_rate": float(y.mean()) if len(y) else float("nan"),
        **churn_metrics(y, p), "baselines": {},
    }
    for name in (b for b in BASELINES if b in model.baselines_):
        report["baselines"][name] = churn_metrics(y, predict_baseline(name, model.baselines_[name], X))
    report["bands"] = band_report(model, X, p, y)
    best = max(report["baselines"].values(), key=lambda m: m["roc_auc"])
    report["margin_over_best_baseline"] = {"roc_auc": report["roc_auc"] - best["roc_auc"], "brier": report["brier"] - best["brier"]}
    predictions = [{"customer_id": c, "probability": float(pr), "label": int(lab)} for c, pr, lab in zip(X.index, p, y, strict=True)]
    return report, predictions


def band_report(model: ChurnModel, X: pd.DataFrame, p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Each band's share of customers and realised churn rate (is "high" really higher?), lapsed apart."""
    bands = model.risk_bands(X, p)
    low, high = model.bands()
    cuts: dict[str, list[float] | None] = {"low": [0.0, low], "medium": [low, high], "high": [high, 1.0], LAPSED: None}
    out: dict[str, Any] = {}
    for band in BANDS:
        mask = bands == band
        edges = cuts[band]
        out[band] = {"probability": [round(c, 4) for c in edges] if edges else None, "customers": int(mask.sum()),
                     "share": float(mask.mean()) if len(y) else float("nan"),
                     "churn_rate": float(y[mask].mean()) if mask.any() else None}
    return out


def recommendation_targets(tx: Transactions, cutoff: pd.Timestamp, horizon_days: int | None) -> dict[str, set[str]]:
    """Per known customer: products first bought after `cutoff` (within the horizon, when given)."""
    before = purchase_lines(tx, cutoff)
    after = purchase_lines(tx)
    after = after[after["ordered_at"] >= cutoff]
    if horizon_days:
        after = after[after["ordered_at"] < cutoff + horizon_days * DAY]
    known = set(before["customer_id"].unique())
    seen = set(zip(before["customer_id"], before["product_id"], strict=True))
    targets: dict[str, set[str]] = {}
    for cust, prod in zip(after["customer_id"], after["product_id"], strict=True):
        if cust in known and (cust, prod) not in seen:
            targets.setdefault(cust, set()).add(str(prod))
    return targets


def popularity_ranking(tx: Transactions, cutoff: pd.Timestamp, customers: list[str], k: int) -> list[list[str]]:
    """Most bought products (distinct buyers before the cutoff), minus what each shopper already has."""
    before = purchase_lines(tx, cutoff)
    ranked = before.drop_duplicates(["customer_id", "product_id"])["product_id"].value_counts().index.astype(str).tolist()
    owned = before.groupby("customer_id")["product_id"].agg(set).to_dict()
    out = []
    for c in customers:
        have = owned.get(c, set())
        out.append([p for p in ranked[: k + len(have)] if p not in have][:k])
    return out


def item_knn_ranking(tx: Transactions, cutoff: pd.Timestamp, customers: list[str], k: int, n_neighbors: int = 100) -> list[list[str]]:
    """Plain item-kNN: cosine on binary co-purchases, score = sum of similarities to owned items."""
    before = purchase_lines(tx, cutoff).drop_duplicates(["customer_id", "product_id"])
    cust_codes, cust_index = pd.factorize(before["customer_id"])
    item_codes, items = pd.factorize(before["product_id"])
    M = sp.csr_matrix((np.ones(len(before)), (cust_codes, item_codes)), shape=(len(cust_index), len(items)))
    S = item_similarity(M, n_neighbors, bm25=None)
    rows = pd.Index(cust_index).get_indexer(customers)
    out = []
    for start in range(0, len(customers), 1000):
        idx = rows[start : start + 1000]
        P = M[np.maximum(idx, 0)]
        scores = np.asarray((P @ S).todense())
        scores[P.nonzero()] = -np.inf
        for r in range(len(idx)):
            order = np.argsort(-scores[r], kind="stable")[:k]
            out.append([str(items[j]) for j in order if np.isfinite(scores[r, j])])
    return out


def evaluate_recommender(
    tx: Transactions, cutoff: pd.Timestamp, k: int = 10, horizon_days: int | None = None, encoder: TextEncoder | None = None,
    encoder_name: str = "", params: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Fit on purchases before `cutoff`, rank all products for each known shopper, score first-time buys after it."""
    targets = recommendation_targets(tx, cutoff, horizon_days)
    customers = sorted(targets)
    model = Recommender(**(params or {})).fit(tx, cutoff, encoder=encoder, encoder_name=encoder_name)
    ours = model.recommend_many(customers, k)
    gold = [targets[c] for c in customers]
    report: dict[str, Any] = {
        "cutoff": str((cutoff - DAY).date()), "k": k, "customers": len(customers), "items": len(model.items_),
        "horizon_days": horizon_days, "text_encoder": encoder_name or None, **topk_metrics(ours, gold, k), "baselines": {},
    }
    report["baselines"]["popularity"] = topk_metrics(popularity_ranking(tx, cutoff, customers, k), gold, k)
    report["baselines"]["item_knn"] = topk_metrics(item_knn_ranking(tx, cutoff, customers, k), gold, k)
    predictions = [{"customer_id": c, "recommended": r, "bought": sorted(g)} for c, r, g in zip(customers, ours, gold, strict=True)]
    return report, predictions

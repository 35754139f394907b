"""Uplift evaluation: Qini and uplift curves, their areas, and uplift in the top k % (vs random targeting).

Customers are ranked by predicted uplift (ties broken by input order). At each cut k:
  qini(k)   = Y_t(k) - Y_c(k) * N_t(k) / N_c(k)          incremental outcomes among the top k
  uplift(k) = (Y_t(k)/N_t(k) - Y_c(k)/N_c(k)) * k        same, from group means (Rzepakowski & Jaroszewicz)
with Y_t/Y_c the summed outcome of treated/control customers in the top k. Both curves are divided
by N (so the y axis is "incremental outcome per customer of the whole population") and integrated
over the targeted share x in [0, 1]. Random targeting is the straight line from 0 to the curve's end
value; the **Qini coefficient** is the area between the Qini curve and that line (0 = no better than
random), **AUUC** the same for the uplift curve. `qini_normalised` divides by the area of the best
possible ranking for a binary outcome (treated responders first, control responders last).
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOP_SHARES = (0.1, 0.2, 0.3)


def _cumulative(y: np.ndarray, t: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.argsort(-score, kind="stable")
    y, t = y[order], t[order]
    n_t, n_c = np.cumsum(t), np.cumsum(1 - t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * (1 - t))
    return n_t, n_c, y_t, y_c


def qini_curve(y: np.ndarray, t: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Incremental outcomes among the top k, k = 1..N, divided by N."""
    n_t, n_c, y_t, y_c = _cumulative(np.asarray(y, float), np.asarray(t, int), np.asarray(score, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = y_t - np.where(n_c > 0, y_c * n_t / n_c, 0.0)
    return q / len(y)


def uplift_curve(y: np.ndarray, t: np.ndarray, score: np.ndarray) -> np.ndarray:
    n_t, n_c, y_t, y_c = _cumulative(np.asarray(y, float), np.asarray(t, int), np.asarray(score, float))
    k = np.arange(1, len(y) + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where((n_t > 0) & (n_c > 0), y_t / np.maximum(n_t, 1) - y_c / np.maximum(n_c, 1), 0.0) * k
    return u / len(y)


def _area_over_random(curve: np.ndarray) -> float:
    x = np.arange(0, len(curve) + 1) / len(curve)
    c = np.concatenate([[0.0], curve])
    return float(np.trapezoid(c - x * c[-1], x))


def qini_coefficient(y: np.ndarray, t: np.ndarray, score: np.ndarray) -> float:
    return _area_over_random(qini_curve(y, t, score))


def uplift_at(y: np.ndarray, t: np.ndarray, score: np.ndarray, share: float) -> float:
    """Treated mean minus control mean among the top `share` by score (NaN when a group is empty)."""
    y, t = np.asarray(y, float), np.asarray(t, int)
    k = max(1, int(round(len(y) * share)))
    top = np.argsort(-np.asarray(score, float), kind="stable")[:k]
    yt, tt = y[top], t[top]
    if tt.sum() == 0 or tt.sum() == len(tt):
        return float("nan")
    return float(yt[tt == 1].mean() - yt[tt == 0].mean())


def uplift_report(y: np.ndarray, t: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    """Everything `keepcart offers uplift evaluate` reports, with random targeting beside it."""
    y, t, score = np.asarray(y, float), np.asarray(t, int), np.asarray(score, float)
    ate = float(y[t == 1].mean() - y[t == 0].mean())
    report: dict[str, Any] = {
        "customers": int(len(y)), "treated": int(t.sum()), "control": int((1 - t).sum()),
        "treated_rate": float(y[t == 1].mean()), "control_rate": float(y[t == 0].mean()), "average_uplift": ate,
        "qini_coefficient": qini_coefficient(y, t, score), "auuc": _area_over_random(uplift_curve(y, t, score)),
    }
    if set(np.unique(y)) <= {0.0, 1.0}:
        perfect = np.where(t == 1, y, -y)  # treated responders first, control responders last
        best = qini_coefficient(y, t, perfect)
        report["qini_normalised"] = report["qini_coefficient"] / best if best > 0 else float("nan")
    report["uplift_at"] = {}
    for share in TOP_SHARES:
        u = uplift_at(y, t, score, share)
        report["uplift_at"][f"{round(share * 100)}pct"] = {"uplift": u, "random": ate, "over_random": u - ate}
    report["random"] = {"qini_coefficient": 0.0, "auuc": 0.0, "uplift_at_any_share": ate}
    finite: dict[str, Any] = _finite(report)
    return finite


def _finite(obj: Any) -> Any:
    """NaN (e.g. a top share with no control customer) becomes null, so the report is strict JSON."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj

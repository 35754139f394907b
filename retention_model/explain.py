"""Plain-words reasons for a churn score, measured rather than guessed.

For each group of related features we ask the model: what would this shopper's risk be if this
part of their history were typical (the population median at the same cutoff)? The difference, in
log-odds of churn (which does not flatten out near 0 or 1 the way probabilities do), is the group's
impact. The sentence then states the shopper's actual figures for that group, so a
reason is both true about the shopper and true about why the model scored them so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from retention_model.churn import ChurnModel

GROUPS: dict[str, list[str]] = {
    "rhythm": ["recency_days", "ipi_mean", "ipi_median", "ipi_std", "ipi_last", "gap_ratio", "gap_vs_mean", "gap_z", "ipi_cv", "p_alive", "days_since_return"],
    "frequency": ["n_orders", "n_days", "rate_30d", "tenure_days", "orders_365", "active_month_share", "bg_expected_purchases", "ewm_orders_180"],
    "recent_activity": ["orders_30", "orders_90", "orders_180", "orders_prev_90", "trend_orders", "ewm_orders_30", "ewm_orders_90", "orders_same_season_last_year"],
    "spend": ["spend_total", "spend_mean", "spend_last", "last_vs_mean", "spend_90", "spend_prev_90", "trend_spend", "ewm_spend_90"],
    "basket": ["items_mean", "lines_mean", "qty_per_line", "avg_unit_price", "n_products", "n_categories", "repeat_product_share", "product_stickiness", "weekend_share"],
    "returns": ["returns_n", "returned_share", "cancelled_n"],
    "support": ["contacts_n", "contacts_90", "complaints_n", "complaints_90", "escalations_n"],
}
MIN_IMPACT = 0.05  # log-odds; about one percentage point of risk near 50%


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return cast(np.ndarray, np.log(p / (1 - p)))


def _n(value: float) -> int:
    return int(round(float(value))) if np.isfinite(value) else 0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def describe(group: str, row: dict[str, float], raises: bool) -> str:
    """One sentence with the shopper's own figures for `group`."""
    if group == "rhythm":
        recency = _n(row["recency_days"])
        if row["n_days"] >= 2 and np.isfinite(row["ipi_median"]):
            usual = max(_n(row["ipi_median"]), 1)
            lead = "no order for" if raises else "last order"
            return f"{lead} {_plural(recency, 'day')}{'' if raises else ' ago'}, usually orders every {_plural(usual, 'day')}"
        return f"a single order so far, {_plural(recency, 'day')} ago"
    if group == "frequency":
        orders, tenure = _n(row["n_orders"]), _n(row["tenure_days"])
        return f"{'only ' if raises and orders <= 2 else ''}{_plural(orders, 'order')} in {_plural(tenure, 'day')} as a customer"
    if group == "recent_activity":
        recent, before = _n(row["orders_90"]), _n(row["orders_prev_90"])
        if recent == 0 and before == 0:
            return "no orders in the last 180 days"
        return f"{_plural(recent, 'order')} in the last 90 days, {before} in the 90 days before"
    if group == "spend":
        return f"average order {row['spend_mean']:.2f}, {row['spend_total']:.2f} spent in total"
    if group == "basket":
        return f"{_plural(_n(row['n_products']), 'different product')} bought, about {_n(row['items_mean'])} items per order"
    if group == "returns":
        returns = _n(row["returns_n"])
        if returns == 0 and _n(row.get("cancelled_n", 0)) == 0:
            return "no returns or cancellations"
        share = row["returned_share"] if np.isfinite(row["returned_share"]) else 0.0
        return f"{_plural(returns, 'return')} ({share:.0%} of spend), {_plural(_n(row.get('cancelled_n', 0)), 'cancelled order')}"
    if group == "support":
        contacts, complaints = _n(row.get("contacts_90", 0)), _n(row.get("complaints_90", 0))
        if contacts == 0 and _n(row.get("contacts_n", 0)) == 0:
            return "no support conversations"
        return f"{_plural(contacts, 'support conversation')} in the last 90 days, {_plural(complaints, 'complaint')}"
    raise ValueError(group)


def group_impacts(model: ChurnModel, X: pd.DataFrame, ref: dict[str, np.ndarray]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each customer's probability and, per group, log-odds minus the what-if-typical log-odds."""
    R, Z = model.encode(X, ref)
    base = model.predict_encoded(R, Z)
    base_logit = _logit(base)
    r_typical, z_typical = model.typical(ref)
    impacts = {}
    for group, members in GROUPS.items():
        cols = [model.features_.index(f) for f in members if f in model.features_]
        if not cols:
            continue
        R2, Z2 = R.copy(), Z.copy()
        R2[:, cols] = r_typical[cols]
        Z2[:, cols] = z_typical[cols]
        impacts[group] = base_logit - _logit(model.predict_encoded(R2, Z2))
    return base, pd.DataFrame(impacts, index=X.index)


def explain(model: ChurnModel, X: pd.DataFrame, ref: dict[str, np.ndarray], top: int = 3) -> list[list[dict[str, Any]]]:
    """Up to `top` reasons per customer, largest impact first; each says whether it raises or lowers risk."""
    if len(X) == 0:
        return []
    _, impacts = group_impacts(model, X, ref)
    values = impacts.to_numpy()
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    groups = list(impacts.columns)
    rows = X.to_dict("records")
    out: list[list[dict[str, Any]]] = []
    for i, row in enumerate(rows):
        reasons = []
        for j in order[i]:
            impact = float(values[i, j])
            if abs(impact) < MIN_IMPACT:
                continue
            raises = impact > 0
            reasons.append({"factor": groups[j], "effect": "raises" if raises else "lowers", "impact": round(impact, 3), "text": describe(groups[j], row, raises)})
        out.append(reasons)
    return out

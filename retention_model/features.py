"""Per-customer features from the history strictly before a cutoff, and churn labels after it.

All groupby/numpy, no per-customer Python loops: 100k customers take seconds. Missing values
(e.g. interval statistics of one-order customers) stay NaN; the gradient-boosted model handles them.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import cast

import numpy as np
import pandas as pd

from common.errors import InvalidInput
from retention_model.transactions import Transactions
from retention_model.value import WEEK, CustomerValueModel, RFMSummary

log = logging.getLogger(__name__)
DAY = pd.Timedelta(days=1)

FEATURES = [
    "recency_days", "tenure_days", "n_orders", "n_days", "spend_total", "spend_mean", "spend_last", "last_vs_mean",
    "items_mean", "lines_mean", "ipi_mean", "ipi_median", "ipi_std", "ipi_last", "gap_ratio", "gap_vs_mean", "gap_z",
    "rate_30d", "orders_30", "orders_90", "orders_180", "orders_365", "orders_prev_90", "trend_orders", "spend_90",
    "spend_prev_90", "trend_spend", "orders_same_season_last_year", "n_products", "n_categories", "returns_n",
    "returned_share", "cancelled_n", "days_since_return", "contacts_n", "contacts_90", "complaints_n",
    "complaints_90", "escalations_n", "p_alive", "bg_expected_purchases", "qty_per_line", "avg_unit_price",
    "repeat_product_share", "weekend_share", "ipi_cv", "product_stickiness", "ewm_orders_30", "ewm_orders_90",
    "ewm_orders_180", "ewm_spend_90", "active_month_share",
]


def cutoff_boundary(cutoff: str | date | datetime | pd.Timestamp) -> pd.Timestamp:
    """The first instant after the history: a date means 'through the end of that day' (UTC)."""
    if isinstance(cutoff, str):
        text = cutoff.strip()
        try:
            stamp = pd.Timestamp(text)
        except ValueError:
            raise InvalidInput(f"cutoff {cutoff!r} is not a date (use YYYY-MM-DD)") from None
        if len(text) <= 10:
            return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp) + DAY
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if isinstance(cutoff, datetime):
        stamp = pd.Timestamp(cutoff)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if isinstance(cutoff, date):
        return pd.Timestamp(cutoff).tz_localize("UTC") + DAY
    raise InvalidInput(f"cutoff {cutoff!r} is not a date")


def latest_training_cutoff(eval_cutoff: pd.Timestamp, horizon_days: int) -> pd.Timestamp:
    """The latest training cutoff whose label window [cutoff, cutoff + horizon) closes by `eval_cutoff`.

    Training on it (and on windows stepping back from it) never sees a label from the evaluation
    period, yet uses the freshest history the evaluation allows.
    """
    return eval_cutoff - horizon_days * DAY


def rfm_summary(days_first_to_last: np.ndarray, days_first_to_cutoff: np.ndarray, n_days: np.ndarray, spend_mean: np.ndarray) -> RFMSummary:
    return RFMSummary(x=n_days - 1.0, t_x=days_first_to_last / WEEK, T=days_first_to_cutoff / WEEK, monetary=spend_mean)


def _window_count(at: pd.Series, codes: np.ndarray, n: int, lo: pd.Timestamp, hi: pd.Timestamp, weights: np.ndarray | None = None) -> np.ndarray:
    mask = ((at >= lo) & (at < hi)).to_numpy()
    return np.bincount(codes[mask], weights=None if weights is None else weights[mask], minlength=n).astype(float)


def build_features(tx: Transactions, cutoff: pd.Timestamp, horizon_days: int = 90) -> pd.DataFrame:
    """Features of every customer with a purchase before `cutoff` (a boundary from `cutoff_boundary`)."""
    orders = tx.orders()
    hist = orders[orders["at"] < cutoff]
    act = hist[hist["active"]]
    customers, codes = np.unique(act["customer_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
    n = len(customers)
    out = pd.DataFrame(index=pd.Index(customers, name="customer_id"))
    if n == 0:
        return out.reindex(columns=[*FEATURES, "expected_value"])
    at = act["at"]
    days_before = ((cutoff - at) / DAY).to_numpy()
    first = np.full(n, -np.inf)
    np.maximum.at(first, codes, days_before)
    last = np.full(n, np.inf)
    np.minimum.at(last, codes, days_before)
    n_orders = np.bincount(codes, minlength=n).astype(float)
    spend = act["spend"].to_numpy()
    spend_total = np.bincount(codes, weights=spend, minlength=n)
    out["recency_days"] = last
    out["tenure_days"] = first
    out["n_orders"] = n_orders
    out["spend_total"] = spend_total
    out["spend_mean"] = spend_total / n_orders
    # act is sorted by (customer, time) so the last row of each customer is the latest order
    last_idx = np.r_[np.flatnonzero(np.diff(codes)), len(codes) - 1]
    out["spend_last"] = spend[last_idx]
    out["last_vs_mean"] = out["spend_last"] / out["spend_mean"].replace(0, np.nan)
    out["items_mean"] = np.bincount(codes, weights=act["items"].to_numpy(), minlength=n) / n_orders
    out["lines_mean"] = np.bincount(codes, weights=act["n_lines"].to_numpy(), minlength=n) / n_orders

    # Inter-purchase intervals over distinct purchase days (two orders on one day are one visit).
    day_num = np.floor(days_before)
    visit = pd.DataFrame({"c": codes, "d": -day_num}).drop_duplicates().sort_values(["c", "d"], kind="stable")
    vc, vd = visit["c"].to_numpy(), visit["d"].to_numpy()
    n_days = np.bincount(vc, minlength=n).astype(float)
    same = vc[1:] == vc[:-1]
    gaps = pd.DataFrame({"c": vc[1:][same], "g": np.diff(vd)[same]})
    g = gaps.groupby("c")["g"]
    out["n_days"] = n_days
    out["ipi_mean"] = g.mean().reindex(range(n)).to_numpy()
    out["ipi_median"] = g.median().reindex(range(n)).to_numpy()
    out["ipi_std"] = g.std(ddof=0).reindex(range(n)).to_numpy()
    out["ipi_last"] = g.last().reindex(range(n)).to_numpy()
    out["gap_ratio"] = out["recency_days"] / out["ipi_median"].clip(lower=1)
    out["gap_vs_mean"] = out["recency_days"] / out["ipi_mean"].clip(lower=1)
    out["gap_z"] = (out["recency_days"] - out["ipi_mean"]) / (out["ipi_std"] + 1)
    out["rate_30d"] = n_days / np.maximum(first, 1) * 30

    def window(lo_days: float, hi_days: float, weights: np.ndarray | None = None) -> np.ndarray:
        return _window_count(at, codes, n, cutoff - lo_days * DAY, cutoff - hi_days * DAY, weights)

    for tau in (30, 90, 180):
        out[f"ewm_orders_{tau}"] = np.bincount(codes, weights=np.exp(-days_before / tau), minlength=n)
    out["ewm_spend_90"] = np.bincount(codes, weights=spend * np.exp(-days_before / 90), minlength=n)
    months = pd.DataFrame({"c": codes, "m": np.floor(days_before / 30)}).drop_duplicates()
    out["active_month_share"] = np.bincount(months["c"].to_numpy(), minlength=n) / (np.floor(first / 30) + 1)
    for w in (30, 90, 180, 365):
        out[f"orders_{w}"] = window(w, 0)
    out["orders_prev_90"] = window(180, 90)
    out["trend_orders"] = out["orders_90"] - out["orders_prev_90"]
    out["spend_90"] = window(90, 0, spend)
    out["spend_prev_90"] = window(180, 90, spend)
    out["trend_spend"] = out["spend_90"] - out["spend_prev_90"]
    season = window(365, 365 - horizon_days)
    out["orders_same_season_last_year"] = season if cutoff - 365 * DAY >= tx.start else np.nan

    lines = tx.lines
    bought = lines[(lines["ordered_at"] < cutoff) & lines["product_id"].notna() & (lines["amount"] >= 0)]
    per_cust = bought.groupby("customer_id")["product_id"]
    out["n_products"] = per_cust.nunique().reindex(customers).fillna(0).to_numpy()
    n_product_lines = per_cust.size().reindex(customers).fillna(0).to_numpy()
    out["repeat_product_share"] = 1.0 - out["n_products"] / np.maximum(n_product_lines, 1)
    out["qty_per_line"] = out["items_mean"] / out["lines_mean"].replace(0, np.nan)
    out["avg_unit_price"] = out["spend_mean"] / out["items_mean"].replace(0, np.nan)
    out["weekend_share"] = np.bincount(codes, weights=(at.dt.dayofweek >= 5).to_numpy(float), minlength=n) / n_orders
    out["ipi_cv"] = out["ipi_std"] / out["ipi_mean"].clip(lower=1)
    out["product_stickiness"] = _product_stickiness(act, bought, cutoff, horizon_days).reindex(customers).to_numpy()
    if tx.products is not None and len(tx.products):
        cats = bought["product_id"].map(tx.products.set_index("product_id")["category"])
        out["n_categories"] = cats.groupby(bought["customer_id"]).nunique().reindex(customers).fillna(0).to_numpy()
    else:
        out["n_categories"] = np.nan

    rets = hist[hist["returned"]]
    out["returns_n"] = rets.groupby("customer_id").size().reindex(customers).fillna(0).to_numpy()
    returned_value = rets.groupby("customer_id")["returned_value"].sum().reindex(customers).fillna(0).to_numpy()
    out["returned_share"] = returned_value / np.maximum(spend_total + returned_value, 1e-9)
    out["cancelled_n"] = hist[hist["cancelled"]].groupby("customer_id").size().reindex(customers).fillna(0).to_numpy()
    last_ret = rets.groupby("customer_id")["at"].max().reindex(customers)
    out["days_since_return"] = ((cutoff - last_ret) / DAY).to_numpy()

    _support_features(tx, cutoff, out, customers)
    summary = rfm_summary(first - last, first, n_days, out["spend_mean"].to_numpy())
    value = CustomerValueModel(horizon_days).fit(summary).predict(summary)
    out["p_alive"] = value["p_alive"]
    out["bg_expected_purchases"] = value["expected_purchases"]
    out["expected_value"] = value["expected_value"]  # an output for scoring, not a model input
    return out[[*FEATURES, "expected_value"]]


def _product_stickiness(act: pd.DataFrame, bought: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int, prior: float = 20.0) -> pd.Series:
    """Mean over a customer's products of how often that product's buyers came back within the horizon.

    Only orders whose whole return window closed before the cutoff are used, so no future leaks in.
    """
    closed = act[act["at"] < cutoff - horizon_days * DAY]
    if closed.empty:
        return pd.Series(dtype=float)
    # act is sorted by (customer, time): the next row of the same customer is their next order.
    next_at = act.groupby("customer_id")["at"].shift(-1).reindex(closed.index)
    came_back = ((next_at - closed["at"]) <= horizon_days * DAY).astype(float)
    key = closed["customer_id"].astype(str) + "\x1f" + closed["order_id"].astype(str)
    flag = pd.Series(came_back.to_numpy(), index=key.to_numpy())
    flag = flag[~flag.index.duplicated()]
    lkey = bought["customer_id"].astype(str) + "\x1f" + bought["order_id"].astype(str)
    line_flag = flag.reindex(lkey.to_numpy()).to_numpy()
    known = ~np.isnan(line_flag)
    base = float(np.nanmean(line_flag)) if known.any() else np.nan
    per_product = pd.DataFrame({"p": bought["product_id"].to_numpy()[known], "f": line_flag[known]}).groupby("p")["f"].agg(["sum", "count"])
    rate = (per_product["sum"] + prior * base) / (per_product["count"] + prior)
    stick = bought["product_id"].map(rate).fillna(base)
    return stick.groupby(bought["customer_id"]).mean()


def _support_features(tx: Transactions, cutoff: pd.Timestamp, out: pd.DataFrame, customers: np.ndarray) -> None:
    cols = ("contacts_n", "contacts_90", "complaints_n", "complaints_90", "escalations_n")
    if tx.contacts is None:
        for col in cols:
            out[col] = np.nan
        return
    c = tx.contacts[tx.contacts["at"] < cutoff]
    recent = c["at"] >= cutoff - 90 * DAY
    frames = {
        "contacts_n": c.groupby("customer_id").size(),
        "contacts_90": c[recent].groupby("customer_id").size(),
        "complaints_n": c[c["complaint"]].groupby("customer_id").size(),
        "complaints_90": c[c["complaint"] & recent].groupby("customer_id").size(),
        "escalations_n": c[c["escalated"]].groupby("customer_id").size(),
    }
    for col, series in frames.items():
        out[col] = series.reindex(customers).fillna(0).to_numpy(dtype=float)


def churn_labels(tx: Transactions, cutoff: pd.Timestamp, horizon_days: int, customers: pd.Index) -> np.ndarray:
    """1 when the customer makes no purchase in [cutoff, cutoff + horizon), else 0."""
    end = cutoff + horizon_days * DAY
    if tx.end < cutoff:
        raise InvalidInput(f"{tx.source or 'transactions'}: data ends {tx.end.date()}, before the cutoff {(cutoff - DAY).date()}; no labels can be built")
    if tx.end < end - 2 * DAY:
        log.warning("transactions end %s, before the label window ends %s: late purchases are missing, so churn is overstated", tx.end.date(), end.date())
    orders = tx.orders()
    future = orders[orders["active"] & (orders["at"] >= cutoff) & (orders["at"] < end)]
    returned = customers.isin(pd.Index(future["customer_id"].unique()))
    return cast(np.ndarray, (~returned).astype(np.int64))

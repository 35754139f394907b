from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_model.features import FEATURES, build_features, churn_labels, cutoff_boundary, latest_training_cutoff
from retention_model.transactions import from_frames

ROWS = [
    # customer A: every 30 days, a return, then an order after the cutoff that must not leak in
    ("A", "a1", "2024-01-01T12:00:00Z", 100.0, "tea", 2.0, ""),
    ("A", "a2", "2024-01-31T12:00:00Z", 50.0, "tea", 1.0, ""),
    ("A", "r1", "2024-02-15T12:00:00Z", -20.0, "tea", 1.0, ""),
    ("A", "a3", "2024-03-01T12:00:00Z", 30.0, "pot", 3.0, ""),
    ("A", "a4", "2024-03-20T12:00:00Z", 999.0, "cup", 1.0, ""),
    # customer B: one order, never again
    ("B", "b1", "2024-01-15T08:00:00Z", 40.0, "pot", 1.0, ""),
    # customer C: bought once, and only a cancelled order in the label window
    ("C", "c1", "2024-02-01T08:00:00Z", 25.0, "cup", 1.0, ""),
    ("C", "c2", "2024-03-15T08:00:00Z", 25.0, "cup", 1.0, "cancelled"),
    # customer D: first order only after the cutoff — not a customer yet at the cutoff
    ("D", "d1", "2024-03-25T08:00:00Z", 10.0, "tea", 1.0, ""),
]
COLUMNS = ["customer_id", "order_id", "ordered_at", "amount", "product_id", "quantity", "status"]
PRODUCTS = pd.DataFrame({"product_id": ["tea", "pot", "cup"], "category": ["drinks", "kitchen", "kitchen"], "name": ["Tea", "Pot", "Cup"], "description": ["", "", ""], "repeat_purchase": [True, False, False], "active": [True] * 3})


@pytest.fixture
def tx():
    return from_frames(pd.DataFrame(ROWS, columns=COLUMNS), products=PRODUCTS)


def test_cutoff_date_means_through_the_end_of_that_day() -> None:
    assert cutoff_boundary("2024-03-10") == pd.Timestamp("2024-03-11", tz="UTC")
    assert cutoff_boundary("2024-03-10T06:00:00Z") == pd.Timestamp("2024-03-10T06:00:00", tz="UTC")


def test_hand_made_history_exact_values(tx) -> None:  # type: ignore[no-untyped-def]
    X = build_features(tx, cutoff_boundary("2024-03-10"), horizon_days=30)
    assert X.index.tolist() == ["A", "B", "C"]
    a = X.loc["A"]
    assert a["recency_days"] == pytest.approx(9.5)
    assert a["tenure_days"] == pytest.approx(69.5)
    assert a["n_orders"] == 3 and a["n_days"] == 3
    assert a["spend_total"] == pytest.approx(180.0)
    assert a["spend_mean"] == pytest.approx(60.0)
    assert a["spend_last"] == pytest.approx(30.0)
    assert a["items_mean"] == pytest.approx(2.0)
    assert a["ipi_mean"] == pytest.approx(30.0) and a["ipi_median"] == pytest.approx(30.0) and a["ipi_std"] == pytest.approx(0.0)
    assert a["gap_ratio"] == pytest.approx(9.5 / 30)
    assert a["orders_30"] == 1 and a["orders_90"] == 3 and a["orders_prev_90"] == 0
    assert a["returns_n"] == 1 and a["returned_share"] == pytest.approx(20 / 200)
    assert a["n_products"] == 2 and a["n_categories"] == 2
    b = X.loc["B"]
    assert b["n_orders"] == 1 and np.isnan(b["ipi_mean"]) and b["recency_days"] == pytest.approx(55 + 16 / 24)
    assert X.loc["C", "cancelled_n"] == 0  # the cancelled order is after the cutoff
    assert np.isnan(X.loc["A", "contacts_n"])  # no support data given: unknown, not zero


def test_no_leakage_past_the_cutoff(tx) -> None:  # type: ignore[no-untyped-def]
    cutoff = cutoff_boundary("2024-03-10")
    truncated = from_frames(tx.lines[tx.lines["ordered_at"] < cutoff], products=PRODUCTS)
    full = build_features(tx, cutoff, 30)
    cut = build_features(truncated, cutoff, 30)
    pd.testing.assert_frame_equal(full, cut)
    assert list(full.columns[: len(FEATURES)]) == FEATURES


def test_labels(tx) -> None:  # type: ignore[no-untyped-def]
    cutoff = cutoff_boundary("2024-03-10")
    X = build_features(tx, cutoff, 30)
    labels = dict(zip(X.index, churn_labels(tx, cutoff, 30, X.index), strict=True))
    assert labels == {"A": 0, "B": 1, "C": 1}  # A came back; C's only later order was cancelled
    short = dict(zip(X.index, churn_labels(tx, cutoff, 5, X.index), strict=True))
    assert short["A"] == 1  # A's return on day 10 is outside a 5-day horizon


def test_support_contacts_counted_before_cutoff_only(tx) -> None:  # type: ignore[no-untyped-def]
    tx.contacts = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "at": pd.to_datetime(["2024-03-01", "2024-03-30", "2023-06-01"], utc=True),
            "complaint": [True, True, False],
            "escalated": [False, False, True],
        }
    )
    X = build_features(tx, cutoff_boundary("2024-03-10"), 30)
    assert X.loc["A", "contacts_n"] == 1 and X.loc["A", "complaints_90"] == 1
    assert X.loc["B", "contacts_90"] == 0 and X.loc["B", "escalations_n"] == 1
    assert X.loc["C", "contacts_n"] == 0


def test_latest_training_cutoff_labels_close_by_the_evaluation_cutoff(tx) -> None:  # type: ignore[no-untyped-def]
    evaluation = cutoff_boundary("2024-03-20")
    train = latest_training_cutoff(evaluation, 30)
    assert train == cutoff_boundary("2024-02-19") and train + 30 * pd.Timedelta(days=1) == evaluation
    # deleting everything from the evaluation cutoff on changes neither the training features nor labels
    truncated = from_frames(tx.lines[tx.lines["ordered_at"] < evaluation], products=PRODUCTS)
    X = build_features(tx, train, 30)
    pd.testing.assert_frame_equal(X, build_features(truncated, train, 30))
    np.testing.assert_array_equal(churn_labels(tx, train, 30, X.index), churn_labels(truncated, train, 30, X.index))
    assert dict(zip(X.index, churn_labels(tx, train, 30, X.index), strict=True)) == {"A": 0, "B": 1, "C": 1}

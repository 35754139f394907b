"""The churn model contains the classic baselines and picks between them inside the training period only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention_model.baselines import predict_baseline
from retention_model.churn import ChurnModel
from retention_model.churn_select import STACKED, choose
from retention_model.features import DAY, build_features, churn_labels, cutoff_boundary
from retention_model.transactions import from_frames
from tests.retention_model.factories import synthetic_lines

FAST = {"n_windows": 2, "window_step_days": 30, "max_iter": 40, "min_samples_leaf": 20, "min_reference": 100}


def test_choose_keeps_the_model_unless_a_baseline_is_strictly_better() -> None:
    assert choose({STACKED: 0.80, "recency": 0.70, "rfm_logistic": 0.80}) == STACKED
    assert choose({STACKED: 0.80, "recency": 0.70, "rfm_logistic": 0.81}) == "rfm_logistic"
    assert choose({STACKED: float("nan"), "rfm_logistic": 0.81}) == STACKED


def test_time_based_selection_never_reads_past_the_training_labels(tmp_path: Path) -> None:
    lines = synthetic_lines(n_customers=400, days=540, seed=5)
    last = cutoff_boundary("2024-03-01")
    model = ChurnModel(horizon_days=60, **FAST).fit(from_frames(lines), ChurnModel(**FAST).training_cutoffs(from_frames(lines), last))
    assert model.selection_["source"].startswith("time-based validation")
    assert set(model.selection_["roc_auc"]) == {STACKED, "recency", "frequency", "rfm_logistic"}
    # Everything after the latest training label window is deleted: the choice and the model are unchanged.
    cut = lines[lines["ordered_at"] < last + 60 * DAY]
    again = ChurnModel(horizon_days=60, **FAST).fit(from_frames(cut), ChurnModel(**FAST).training_cutoffs(from_frames(cut), last))
    assert again.selection_ == model.selection_
    X = build_features(from_frames(lines), cutoff_boundary("2024-05-15"), 60)
    assert np.allclose(model.predict_proba(X), again.predict_proba(X))


def test_a_chosen_baseline_predicts_like_the_baseline_and_survives_save_load(tmp_path: Path) -> None:
    tx = from_frames(synthetic_lines(n_customers=400, days=540, seed=6))
    model = ChurnModel(horizon_days=60, **FAST).fit(tx, ChurnModel(**FAST).training_cutoffs(tx, cutoff_boundary("2024-03-01")))
    model.chosen_ = "rfm_logistic"  # as if RFM-LR had ranked better on the validation window
    cutoff = cutoff_boundary("2024-05-15")
    X = build_features(tx, cutoff, 60)
    y = churn_labels(tx, cutoff, 60, X.index)
    ours, rfm = model.predict_proba(X), predict_baseline("rfm_logistic", model.baselines_["rfm_logistic"], X)
    # Same three inputs, same fit: the same ranking (Spearman ~1), not the stacked model's.
    assert pd.Series(ours).corr(pd.Series(rfm), method="spearman") > 0.999
    model.save(tmp_path / "m")
    loaded = ChurnModel.load(tmp_path / "m")
    assert loaded.chosen_ == "rfm_logistic" and np.allclose(loaded.predict_proba(X), ours)
    model.chosen_ = STACKED
    assert pd.Series(model.predict_proba(X)).corr(pd.Series(rfm), method="spearman") < 0.999
    assert len(y) == len(ours)


def test_bands_follow_the_shops_churn_rate_and_the_report_shows_each_bands_realised_churn() -> None:
    from retention_model.evaluation import band_report

    m = ChurnModel()
    m.base_rate_ = 0.74  # a shop where most customers lapse within the horizon
    assert m.bands() == pytest.approx((0.75 * 0.74, 0.87))
    m.base_rate_ = 0.2
    assert m.bands() == pytest.approx((0.15, 0.25))
    assert list(m.risk_band(np.array([0.1, 0.2, 0.3]))) == ["low", "medium", "high"]
    assert ChurnModel(band_thresholds=(0.3, 0.6)).bands() == (0.3, 0.6)
    p, y = np.array([0.05, 0.1, 0.2, 0.22, 0.5, 0.9]), np.array([0, 0, 1, 0, 1, 1])
    X = pd.DataFrame({"recency_days": [10.0] * 6, "ipi_median": [30.0] * 6})
    report = band_report(m, X, p, y)
    assert [report[b]["customers"] for b in ("low", "medium", "high", "lapsed")] == [2, 2, 2, 0]
    assert (report["low"]["churn_rate"], report["medium"]["churn_rate"], report["high"]["churn_rate"]) == (0.0, 0.5, 1.0)
    assert sum(report[b]["share"] for b in report) == pytest.approx(1.0)


def test_lapsed_customers_are_a_state_of_their_own_and_bands_cut_the_active_ones():
    from retention_model.churn import lapsed_mask

    X = pd.DataFrame({"recency_days": [10.0, 100.0, 100.0, 400.0, 80.0], "ipi_median": [30.0, np.nan, 60.0, 250.0, np.nan]})
    # 100 days without an order: lapsed for a one-time buyer, not for someone who buys every 60 days;
    # 400 days is lapsed even for a 250-day rhythm only when past twice it (it is not: 500 > 400)
    assert lapsed_mask(X, 90).tolist() == [False, True, False, False, False]
    m = ChurnModel(horizon_days=90)
    m.base_rate_, m.active_base_rate_ = 0.7, 0.3  # most lapse; the active churn far less
    assert m.bands() == pytest.approx((0.225, 0.375))
    assert m.risk_bands(X, np.array([0.1, 0.99, 0.3, 0.5, 0.2])).tolist() == ["low", "lapsed", "medium", "high", "low"]

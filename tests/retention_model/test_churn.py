from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention_model.baselines import fit_baselines
from retention_model.churn import ChurnModel
from retention_model.features import build_features, churn_labels, cutoff_boundary
from retention_model.metrics import churn_metrics
from tests.retention_model.factories import synthetic_transactions

FAST = {"n_windows": 3, "window_step_days": 30, "max_iter": 60, "min_samples_leaf": 20, "min_reference": 100}


@pytest.fixture(scope="module")
def fitted():
    tx = synthetic_transactions(n_customers=400, days=540, seed=1)
    model = ChurnModel(horizon_days=60, **FAST)
    model.fit(tx, model.training_cutoffs(tx, cutoff_boundary("2024-02-15")))
    cutoff = cutoff_boundary("2024-04-30")
    X = build_features(tx, cutoff, 60)
    y = churn_labels(tx, cutoff, 60, X.index)
    return tx, model, X, y


def test_stacked_windows_and_better_than_chance(fitted) -> None:  # type: ignore[no-untyped-def]
    _, model, X, y = fitted
    assert model.train_metrics_["windows"] == 3 and len(model.cutoffs_) == 3
    m = churn_metrics(y, model.predict_proba(X))
    assert m["roc_auc"] > 0.75


def test_calibration_sanity(fitted) -> None:  # type: ignore[no-untyped-def]
    _, model, X, y = fitted
    p = model.predict_proba(X)
    assert ((p > 0) & (p < 1)).all()
    assert abs(p.mean() - y.mean()) < 0.12
    order = np.argsort(p)
    low, high = y[order[: len(y) // 3]].mean(), y[order[-len(y) // 3 :]].mean()
    assert high > low + 0.3  # the top third by predicted risk churns far more than the bottom third
    assert churn_metrics(y, p)["brier"] < y.mean() * (1 - y.mean())  # better than the base rate


def test_save_load_identity(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, model, X, _ = fitted
    manifest = model.save(tmp_path / "churn", data_hash="abc")
    assert manifest["kind"] == "churn" and manifest["data_hash"] == "abc"
    assert json.loads((tmp_path / "churn" / "manifest.json").read_text())["id"] == manifest["id"]
    loaded = ChurnModel.load(tmp_path / "churn")
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=0, atol=1e-12)
    assert loaded.model_id == manifest["id"]
    assert loaded.explain(X.iloc[:5]) == model.explain(X.iloc[:5])


def test_reasons_are_plain_words_and_truthful(fitted) -> None:  # type: ignore[no-untyped-def]
    _, model, X, _ = fitted
    reasons = model.explain(X)
    p = model.predict_proba(X)
    overdue = X[(X["n_days"] >= 3) & (X["gap_ratio"] > 4)].index
    assert len(overdue)
    i = X.index.get_loc(overdue[0])
    texts = [r["text"] for r in reasons[i]]
    rhythm = [r for r in reasons[i] if r["factor"] == "rhythm"]
    assert rhythm and rhythm[0]["effect"] == "raises", texts
    days, usual = map(int, re.match(r"no order for (\d+) days, usually orders every (\d+)", rhythm[0]["text"]).groups())  # type: ignore[union-attr]
    assert days == round(X.iloc[i]["recency_days"]) and usual == round(X.iloc[i]["ipi_median"])
    for row in reasons:
        assert len(row) <= 3
        assert all(r["effect"] == ("raises" if r["impact"] > 0 else "lowers") for r in row)
        assert [abs(r["impact"]) for r in row] == sorted((abs(r["impact"]) for r in row), reverse=True)
    assert set(model.risk_band(p)) <= {"low", "medium", "high"}


def test_too_little_history_is_a_clear_error() -> None:
    tx = synthetic_transactions(n_customers=50, days=540, seed=2)
    with pytest.raises(Exception, match="choose a later cutoff"):
        ChurnModel(min_history_days=60).training_cutoffs(tx, cutoff_boundary("2023-01-20"))


def test_baselines_learn_from_every_stacked_window(fitted) -> None:  # type: ignore[no-untyped-def]
    tx, model, _, _ = fitted
    cutoffs = [cutoff_boundary(c) for c in model.cutoffs_]
    frames = [build_features(tx, c, 60) for c in cutoffs]
    labels = np.concatenate([churn_labels(tx, c, 60, X.index) for c, X in zip(cutoffs, frames, strict=True)])
    assert len(labels) == model.n_examples_
    expected = fit_baselines(pd.concat(frames), labels)
    for name, params in expected.items():
        np.testing.assert_allclose(model.baselines_[name]["coef"], params["coef"], rtol=1e-9)
        assert model.baselines_[name]["intercept"] == pytest.approx(params["intercept"])
    assert fit_baselines(frames[-1], labels[-len(frames[-1]) :])["rfm_logistic"]["coef"] != expected["rfm_logistic"]["coef"]

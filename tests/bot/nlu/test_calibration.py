"""Temperature scaling and the out-of-scope threshold."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.calibration import choose_threshold, fit_temperature, predict_with_threshold


def test_temperature_softens_an_overconfident_model() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    logits = rng.normal(0, 1, (300, 3))
    logits[np.arange(300), labels] += 1.0
    assert fit_temperature(logits * 10, labels) > 5  # logits 10x too sharp: temperature undoes it
    assert 0.5 < fit_temperature(logits, labels) < 2


def test_threshold_sends_low_confidence_to_out_of_scope() -> None:
    probs = np.array([[0.9, 0.1], [0.55, 0.45]])
    assert predict_with_threshold(probs, ["a", "b"], 0.6) == ["a", "out_of_scope"]


def test_threshold_separates_out_of_scope_examples() -> None:
    probs = np.array([[0.95, 0.05], [0.9, 0.1], [0.4, 0.6], [0.52, 0.48], [0.55, 0.45]])
    gold = ["a", "a", "b", "out_of_scope", "out_of_scope"]
    t = choose_threshold(probs, gold, ["a", "b"])
    assert 0.55 < t <= 0.6  # inside the plateau that keeps every in-scope answer and rejects both unclear ones


def test_threshold_without_out_of_scope_examples_stays_below_correct_answers() -> None:
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    t = choose_threshold(probs, ["a", "b", "a"], ["a", "b"])
    assert 0 < t < 0.6
    assert choose_threshold(np.zeros((0, 2)), [], ["a", "b"]) == 0.3


def test_out_of_scope_under_its_data_set_name_counts_right_when_rejected():
    """CLINC150 calls it "oos": a rejected "oos" message is right, and the rejection answers "oos"."""
    probs = np.array([[0.9, 0.05, 0.05], [0.5, 0.3, 0.2], [0.45, 0.35, 0.2], [0.95, 0.03, 0.02]])
    gold = ["a", "oos", "oos", "b"]  # the last one is a confident mistake: no threshold fixes it
    t = choose_threshold(probs, gold, ["a", "b", "oos"])
    assert 0.5 < t <= 0.9
    assert predict_with_threshold(probs, ["a", "b", "oos"], t, "oos")[:3] == ["a", "oos", "oos"]


def test_out_of_scope_recall_is_not_bought_with_in_scope_accuracy():
    # a threshold high enough to reject the out-of-scope message also rejects a right in-scope one
    probs = np.array([[0.6, 0.4], [0.65, 0.35], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]])
    gold = ["a", "out_of_scope", "a", "a", "a"]
    assert choose_threshold(probs, gold, ["a", "b"]) <= 0.6  # the 0.6 in-scope answer is kept
    assert choose_threshold(probs, gold, ["a", "b"], max_in_scope_loss=0.3) > 0.65  # unless allowed


def test_out_of_scope_metrics_know_the_usual_names():
    from bot.nlu.evaluation import out_of_scope_metrics

    m = out_of_scope_metrics(["oos", "oos", "a"], ["oos", "out_of_scope", "oos"])
    assert m["recall"] == 1.0 and m["precision"] == pytest.approx(2 / 3, abs=1e-3)

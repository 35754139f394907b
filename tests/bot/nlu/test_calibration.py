"""Temperature scaling and the out-of-scope threshold."""

from __future__ import annotations

import numpy as np

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

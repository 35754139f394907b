"""Confidence calibration: a softmax temperature and an out-of-scope threshold, both set on validation.

Fine-tuned networks are over-confident; dividing logits by a temperature fitted on held-out data
makes "0.8" mean roughly 80% right, so one threshold can route unclear messages to the fallback.
"""

from __future__ import annotations

import numpy as np

from bot.nlu.types import OUT_OF_SCOPE


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising validation negative log-likelihood (log-spaced grid, deterministic)."""
    if len(labels) == 0:
        return 1.0
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.05), np.log(20.0), 241)):
        p = softmax(logits, float(t))[np.arange(len(labels)), labels]
        nll = float(-np.log(np.clip(p, 1e-12, None)).mean())
        if nll < best_nll - 1e-9:
            best_t, best_nll = float(t), nll
    return best_t


def predict_with_threshold(probs: np.ndarray, intents: list[str], threshold: float) -> list[str]:
    top = probs.argmax(axis=1)
    return [intents[i] if probs[n, i] >= threshold else OUT_OF_SCOPE for n, i in enumerate(top)]


def choose_threshold(probs: np.ndarray, gold: list[str], intents: list[str], cap: float = 0.7) -> float:
    """Threshold maximising validation accuracy (gold `out_of_scope` counts right when rejected).

    Ties (a plateau of equally good thresholds) resolve to the plateau's middle, so with no
    out-of-scope examples the threshold sits halfway below the least confident correct answer.
    """
    if len(gold) == 0:
        return 0.3
    grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
    gold_arr = np.array(gold)
    scores = np.array([(np.array(predict_with_threshold(probs, intents, float(t))) == gold_arr).mean() for t in grid])
    best = scores.max()
    idx = np.flatnonzero(np.isclose(scores, best))
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)  # contiguous stretches of the best score
    longest = max(runs, key=len)
    return float(min(cap, grid[longest[len(longest) // 2]]))

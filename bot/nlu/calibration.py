"""Confidence calibration: a softmax temperature and an out-of-scope threshold, both set on validation.

Fine-tuned networks are over-confident; dividing logits by a temperature fitted on held-out data
makes "0.8" mean roughly 80% right, so one threshold can route unclear messages to the fallback.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from bot.nlu.types import OUT_OF_SCOPE, is_out_of_scope, out_of_scope_label


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return cast(np.ndarray, e / e.sum(axis=1, keepdims=True))


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


def predict_with_threshold(probs: np.ndarray, intents: list[str], threshold: float, reject: str = OUT_OF_SCOPE) -> list[str]:
    top = probs.argmax(axis=1)
    return [intents[i] if probs[n, i] >= threshold else reject for n, i in enumerate(top)]


def choose_threshold(probs: np.ndarray, gold: list[str], intents: list[str], cap: float = 0.7,
                     max_in_scope_loss: float = 0.01) -> float:
    """The out-of-scope threshold, chosen on validation.

    Without out-of-scope examples: the one maximising accuracy. With them (under any of their usual
    names, "oos" included): the one maximising in-scope accuracy + out-of-scope recall, the two
    weighed equally whatever their counts (validation holds a few out-of-scope messages; real
    traffic many more), among thresholds that cost at most `max_in_scope_loss` of in-scope
    accuracy — out-of-scope recall is never bought with in-scope accuracy silently. Ties (a plateau
    of equally good thresholds) resolve to the plateau's middle.
    """
    if len(gold) == 0:
        return 0.3
    grid = np.round(np.arange(0.0, 1.0, 0.01), 2)
    reject = out_of_scope_label(intents)
    oos_gold = np.array([is_out_of_scope(g) for g in gold])
    gold_arr = np.array(gold)
    right = []
    for t in grid:
        pred = np.array(predict_with_threshold(probs, intents, float(t), reject))
        oos_pred = np.array([is_out_of_scope(p) for p in pred])
        right.append(np.where(oos_gold, oos_pred, pred == gold_arr))
    hits = np.array(right, dtype=float)  # thresholds x examples
    if oos_gold.any() and (~oos_gold).any():
        in_scope, oos = hits[:, ~oos_gold].mean(axis=1), hits[:, oos_gold].mean(axis=1)
        scores = np.where(in_scope >= in_scope.max() - max_in_scope_loss - 1e-9, in_scope + oos, -np.inf)
    else:
        scores = hits.mean(axis=1)
    best = scores.max()
    idx = np.flatnonzero(np.isclose(scores, best))
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)  # contiguous stretches of the best score
    longest = max(runs, key=len)
    return float(min(cap, grid[longest[len(longest) // 2]]))

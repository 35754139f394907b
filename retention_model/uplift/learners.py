"""Meta-learners that turn ordinary scikit-learn models into uplift (treatment effect) estimates.

Each learner is a small recipe over plain estimators kept in `self.models` (a dict of scikit-learn
objects, so artifacts save with skops and load with an allow-list). Binary outcomes use classifiers
(effect on the probability), numeric ones regressors (effect on the mean).

- `t_*`  two-model: one model on the treated, one on the control; uplift = difference.
- `s_lr` one logistic/linear model on features, treatment and their interactions.
- `m_lr` one logistic model on features plus a treatment term only (binary outcomes): the offer
         shifts everyone's log-odds equally, so the uplift ranks like the response probability —
         the low-variance choice when an experiment is too small or too noisy for more.
- `ct_*` class transformation (binary: Z = 1 for treated responders and control non-responders,
         reweighted to a 50/50 split, uplift = 2 P(Z) - 1) / transformed outcome (numeric).
- `x_gb` X-learner (Künzel et al. 2019): imputed individual effects regressed per arm, blended by
         the treated share.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge

LEARNERS = ("m_lr", "t_lr", "s_lr", "ct_lr", "t_gb", "ct_gb", "x_gb")


def _gb(binary: bool, n: int, seed: int) -> Any:
    kw = dict(learning_rate=0.05, max_iter=150, max_depth=3, min_samples_leaf=int(min(200, max(10, n // 100))),
              l2_regularization=1.0, random_state=seed)
    return HistGradientBoostingClassifier(**kw) if binary else HistGradientBoostingRegressor(**kw)


def _lin(binary: bool) -> Any:
    return LogisticRegression(C=0.5, max_iter=2000) if binary else Ridge(alpha=1.0)


def _predict(model: Any, X: np.ndarray, binary: bool) -> NDArray[np.float64]:
    return cast(NDArray[np.float64], model.predict_proba(X)[:, 1] if binary else model.predict(X))


class UpliftLearner:
    """Fit on (X, treatment, outcome); `uplift(X)` = estimated outcome change if treated."""

    def __init__(self, name: str, binary: bool, random_state: int = 0) -> None:
        if name not in LEARNERS:
            raise ValueError(f"unknown learner {name!r}; known: {', '.join(LEARNERS)}")
        self.name, self.binary, self.random_state = name, binary, random_state
        self.models: dict[str, Any] = {}
        self.treated_share = 0.5

    def _base(self, kind: str, n: int, binary: bool | None = None) -> Any:
        b = self.binary if binary is None else binary
        return _gb(b, n, self.random_state) if kind == "gb" else _lin(b)

    def fit(self, X: np.ndarray, t: np.ndarray, y: np.ndarray) -> UpliftLearner:
        family, kind = self.name.split("_")
        p = float(t.mean())
        self.treated_share = p
        tr, co = t == 1, t == 0
        if family == "t":
            self.models = {"treated": self._base(kind, int(tr.sum())).fit(X[tr], y[tr]),
                           "control": self._base(kind, int(co.sum())).fit(X[co], y[co])}
        elif family == "s":
            self.models = {"joint": self._base(kind, len(y)).fit(self._s_inputs(X, t), y)}
        elif family == "m":
            self.models = {"joint": self._base(kind, len(y)).fit(np.hstack([X, t[:, None].astype(float)]), y)}
        elif family == "ct":
            if self.binary:
                z = (y * t + (1 - y) * (1 - t)).astype(int)
                w = np.where(tr, 0.5 / p, 0.5 / (1 - p))
                self.models = {"transformed": self._base(kind, len(y)).fit(X, z, sample_weight=w)}
            else:
                ystar = y * (t - p) / (p * (1 - p))
                self.models = {"transformed": self._base(kind, len(y), binary=False).fit(X, ystar)}
        else:  # x-learner
            m1 = self._base(kind, int(tr.sum())).fit(X[tr], y[tr])
            m0 = self._base(kind, int(co.sum())).fit(X[co], y[co])
            d1 = y[tr] - _predict(m0, X[tr], self.binary)
            d0 = _predict(m1, X[co], self.binary) - y[co]
            self.models = {"tau_treated": self._base(kind, int(tr.sum()), binary=False).fit(X[tr], d1),
                           "tau_control": self._base(kind, int(co.sum()), binary=False).fit(X[co], d0)}
        return self

    @staticmethod
    def _s_inputs(X: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        tt = np.broadcast_to(np.asarray(t, dtype=float), (len(X),))[:, None]
        return np.hstack([X, tt, X * tt])

    def uplift(self, X: np.ndarray) -> np.ndarray:
        family = self.name.split("_")[0]
        m = self.models
        if family == "t":
            return _predict(m["treated"], X, self.binary) - _predict(m["control"], X, self.binary)
        if family == "s":
            joint = m["joint"]
            return _predict(joint, self._s_inputs(X, 1.0), self.binary) - _predict(joint, self._s_inputs(X, 0.0), self.binary)
        if family == "m":
            ones = np.ones((len(X), 1))
            return _predict(m["joint"], np.hstack([X, ones]), self.binary) - _predict(m["joint"], np.hstack([X, 0 * ones]), self.binary)
        if family == "ct":
            if self.binary:
                return cast(np.ndarray, 2.0 * m["transformed"].predict_proba(X)[:, 1] - 1.0)
            return cast(np.ndarray, m["transformed"].predict(X))
        p = self.treated_share
        return cast(np.ndarray, p * m["tau_control"].predict(X) + (1 - p) * m["tau_treated"].predict(X))

    def response(self, X: np.ndarray) -> np.ndarray | None:
        """Expected outcome without treatment, where the learner has a control model (for value maths)."""
        if self.name.startswith("t_"):
            return _predict(self.models["control"], X, self.binary)
        if self.name == "s_lr":
            return _predict(self.models["joint"], self._s_inputs(X, 0.0), self.binary)
        if self.name == "m_lr":
            return _predict(self.models["joint"], np.hstack([X, np.zeros((len(X), 1))]), self.binary)
        return None

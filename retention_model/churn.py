"""The churn-risk model: gradient-boosted trees plus a linear part, stacked and calibrated.

Trained on several cutoff windows stacked together (each window: features before its cutoff, label =
no purchase within the horizon after it), so the model sees many shopper situations instead of one
snapshot. Trees read within-window percentiles (robust to how much history a window has), the
linear part reads signed logs (extrapolates smoothly); a logistic stacker fitted on out-of-fold
predictions combines them and calibrates the probability.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from common.artifacts import hash_obj, read_manifest, staged, write_manifest
from common.errors import InvalidInput
from retention_model.baselines import fit_baselines
from retention_model.churn_select import PARTS, STACKED, choose, fit_parts, part_logit, safe_auc
from retention_model.encoding import compact_reference, percentiles, reference_from, signed_log
from retention_model.features import DAY, FEATURES
from retention_model.metrics import churn_metrics
from retention_model.transactions import Transactions
from retention_model.windows import Windows, windows_of

KIND = "churn"
TREES_FILE, STATE_FILE = "churn_trees.skops", "churn_model.json"
SKOPS_ALLOWED = {"sklearn.ensemble._hist_gradient_boosting", "sklearn._loss", "numpy", "builtins"}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return cast(np.ndarray, np.log(p / (1 - p)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return cast(np.ndarray, 1.0 / (1.0 + np.exp(-z)))


LAPSED = "lapsed"
BANDS = ("low", "medium", "high", LAPSED)


def lapsed_mask(X: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """Customers already gone by the model's own definition: no purchase for longer than the horizon, and
    (for a repeat customer) for more than twice their usual gap between purchases.

    They are a win-back audience, not "at risk": putting them in "high" made three quarters of the demo
    shop "high risk", a band that told a marketer nothing.
    """
    recency = X["recency_days"].to_numpy(dtype=float)
    own = 2.0 * np.nan_to_num(X["ipi_median"].to_numpy(dtype=float), nan=0.0)
    return cast(np.ndarray, recency > np.maximum(float(horizon_days), own))


class ChurnModel:
    """P(no purchase within `horizon_days`) for every customer with a purchase before the cutoff."""

    oof_auc_: dict[str, float]  # set by _fit()
    parts_: dict[str, dict[str, Any]]  # set by _fit() and load()
    manifest_: dict[str, Any]  # set by load()

    def __init__(
        self,
        horizon_days: int = 90,
        n_windows: int = 4,
        window_step_days: int = 14,
        min_history_days: int = 60,
        learning_rate: float = 0.06,
        max_iter: int = 200,
        max_depth: int = 3,
        min_samples_leaf: int = 100,
        l2_regularization: float = 5.0,
        linear_c: float = 0.1,
        band_thresholds: tuple[float, float] | None = None,
        band_lift: tuple[float, float] = (0.75, 1.25),
        min_reference: int = 500,
        random_state: int = 0,
        blend_rfm: bool = True,
        select_by_validation: bool = True,
    ) -> None:
        self.horizon_days = horizon_days
        self.n_windows = n_windows
        self.window_step_days = window_step_days
        self.min_history_days = min_history_days
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.linear_c = linear_c
        self.band_thresholds = tuple(band_thresholds) if band_thresholds is not None else None
        self.band_lift = tuple(band_lift)
        self.min_reference = min_reference
        self.random_state = random_state
        self.blend_rfm = blend_rfm
        self.select_by_validation = select_by_validation

    def get_params(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(self).items() if not k.endswith("_")}

    # -- training -------------------------------------------------------------------------------
    def training_cutoffs(self, tx: Transactions | Windows, last_cutoff: pd.Timestamp) -> list[pd.Timestamp]:
        """`n_windows` cutoffs stepping back from `last_cutoff`, each with enough history before it."""
        cutoffs = [last_cutoff - i * self.window_step_days * DAY for i in range(self.n_windows)]
        kept = [c for c in cutoffs if (c - tx.start) >= self.min_history_days * DAY]
        if not kept:
            raise InvalidInput(
                f"{tx.source or 'transactions'}: history starts {tx.start.date()}, so a cutoff of {(last_cutoff - DAY).date()} leaves less than "
                f"{self.min_history_days} days to learn from; choose a later cutoff"
            )
        return sorted(kept)

    def _tree(self) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate, max_iter=self.max_iter, max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization, random_state=self.random_state,
        )

    def _linear_inputs(self, X: pd.DataFrame) -> np.ndarray:
        Z = signed_log(X, self.features_)
        Z = np.where(np.isnan(Z), self.log_fill_, Z)
        return cast(np.ndarray, (Z - self.log_mean_) / self.log_std_)

    def fit(self, tx: Transactions | Windows, cutoffs: list[pd.Timestamp], progress: bool = False) -> ChurnModel:
        """Build every window, fit trees and the linear part, stack them on out-of-fold predictions.

        `tx` is transactions in memory or a `SqlFeatures` whose engine computes the windows.
        """
        tx = windows_of(tx)
        # One OpenMP thread: on a shared 2-core box, more threads make the trees 10x slower, not faster.
        with threadpool_limits(limits=1, user_api="openmp"):
            self._fit(tx, cutoffs, progress)
            self._select(tx, cutoffs, progress)
        return self

    def _select(self, tx: Windows, cutoffs: list[pd.Timestamp], progress: bool) -> None:
        """Keep the stacked model or a classic baseline, judged inside the training period (see churn_select)."""
        roc_auc, source = dict(self.oof_auc_), "out-of-fold predictions of the training windows (3 folds by customer)"
        latest = max(cutoffs)
        inner = sorted(c - self.horizon_days * DAY for c in cutoffs if (c - self.horizon_days * DAY - tx.start) >= self.min_history_days * DAY)
        if self.select_by_validation and inner:
            X = tx.features(latest, self.horizon_days)
            y = tx.labels(latest, self.horizon_days, X.index)
            try:
                sub = ChurnModel(**{**self.get_params(), "band_thresholds": self.band_thresholds, "select_by_validation": False})
                sub._fit(tx, inner, progress)
            except (InvalidInput, ValueError):  # too little data shifted back: judge on out-of-fold predictions
                sub = None
            if sub is not None and len(np.unique(y)) == 2:
                R, Z = sub.encode(X, sub.reference_for(X))
                roc_auc = {STACKED: safe_auc(y, sub.predict_encoded(R, Z)), **{n: safe_auc(y, part_logit(p, Z)) for n, p in sub.parts_.items()}}
                source = (f"time-based validation: trained on windows to {(inner[-1] - DAY).date()}, "
                          f"validated on the window after {(latest - DAY).date()} ({len(y)} customers)")
        self.chosen_ = choose(roc_auc) if self.select_by_validation else STACKED
        self.selection_ = {"chosen": self.chosen_, "source": source, "roc_auc": roc_auc}

    def _fit(self, tx: Windows, cutoffs: list[pd.Timestamp], progress: bool) -> ChurnModel:
        windows = []
        for cutoff in tqdm(sorted(cutoffs), desc="churn windows", disable=not progress, leave=False):
            X = tx.features(cutoff, self.horizon_days)
            if len(X):
                windows.append((cutoff, X, tx.labels(cutoff, self.horizon_days, X.index)))
        y = np.concatenate([w[2] for w in windows]) if windows else np.array([])
        if len(y) < 20 or len(np.unique(y)) < 2:
            raise InvalidInput("too few customers, or no churners and retained customers both, before the cutoff(s) to train a churn model")
        self.features_ = [f for f in FEATURES if any(w[1][f].notna().any() for w in windows)]
        R = np.vstack([percentiles(X, self.features_, reference_from(X, self.features_)) for _, X, _ in windows])
        logs = np.vstack([signed_log(X, self.features_) for _, X, _ in windows])
        with np.errstate(all="ignore"):
            self.log_fill_ = np.where(np.isnan(np.nanmedian(logs, axis=0)), 0.0, np.nanmedian(logs, axis=0))
            logs = np.where(np.isnan(logs), self.log_fill_, logs)
            self.log_mean_, self.log_std_ = logs.mean(axis=0), logs.std(axis=0) + 1e-9
        Z = (logs - self.log_mean_) / self.log_std_
        groups = np.concatenate([w[1].index.to_numpy() for w in windows])
        self.chosen_ = STACKED
        self.rfm_columns_ = [self.features_.index(f) for f in PARTS["rfm_logistic"] if f in self.features_] if self.blend_rfm else []
        oof = np.zeros((len(y), 3 if self.rfm_columns_ else 2))
        oof_parts = {n: np.zeros(len(y)) for n in PARTS}
        folds = GroupKFold(n_splits=3).split(R, y, groups)
        for train, test in tqdm(list(folds), desc="out-of-fold", disable=not progress, leave=False):
            oof[test, 0] = _logit(self._tree().fit(R[train], y[train]).predict_proba(R[test])[:, 1])
            lin = LogisticRegression(C=self.linear_c, max_iter=3000).fit(Z[train], y[train])
            oof[test, 1] = lin.decision_function(Z[test])
            fold_parts = fit_parts(Z[train], y[train], self.features_)
            for name, part in fold_parts.items():
                oof_parts[name][test] = part_logit(part, Z[test])
            if self.rfm_columns_:
                oof[test, 2] = oof_parts["rfm_logistic"][test]
        stacker = LogisticRegression(C=100.0, max_iter=1000).fit(oof, y)
        self.stacker_coef_, self.stacker_intercept_ = stacker.coef_[0], float(stacker.intercept_[0])
        self.trees_ = self._tree().fit(R, y)
        lin = LogisticRegression(C=self.linear_c, max_iter=3000).fit(Z, y)
        self.linear_coef_, self.linear_intercept_ = lin.coef_[0], float(lin.intercept_[0])
        self.parts_ = fit_parts(Z, y, self.features_)
        last_X = windows[-1][1]
        self.reference_ = compact_reference(reference_from(last_X, self.features_))
        # Baselines learn from exactly the model's training rows (all stacked windows): a fair comparison.
        self.baselines_ = fit_baselines(pd.concat([w[1] for w in windows]), y)
        self.cutoffs_ = [str(w[0]) for w in windows]
        self.n_examples_ = int(len(y))
        self.base_rate_ = float(y.mean())
        active = ~np.concatenate([lapsed_mask(w[1], self.horizon_days) for w in windows])
        self.active_base_rate_ = float(y[active].mean()) if active.any() else self.base_rate_
        stacked_oof = oof @ self.stacker_coef_ + self.stacker_intercept_
        self.oof_auc_ = {STACKED: safe_auc(y, stacked_oof), **{n: safe_auc(y, oof_parts[n]) for n in self.parts_}}
        self.train_metrics_ = {"out_of_fold": churn_metrics(y, _sigmoid(stacked_oof)), "windows": len(windows), "examples": int(len(y))}
        return self

    # -- prediction -----------------------------------------------------------------------------
    def reference_for(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """The scored population itself when it is big enough, else the last training window's."""
        if len(X) >= self.min_reference:
            return reference_from(X, self.features_)
        return {f: np.asarray(v, dtype=float) for f, v in self.reference_.items()}

    def encode(self, X: pd.DataFrame, ref: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Tree inputs (percentiles within `ref`) and linear inputs (standardised signed logs)."""
        return percentiles(X, self.features_, ref), self._linear_inputs(X)

    def typical(self, ref: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The encoded values of a population-median shopper, feature by feature (for explanations)."""
        med = pd.DataFrame([{f: (float(np.median(ref[f])) if len(ref[f]) else np.nan) for f in self.features_}])
        R, Z = self.encode(med, ref)
        return R[0], Z[0]

    def predict_encoded(self, R: np.ndarray, Z: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="openmp"):
            tree = _logit(self.trees_.predict_proba(R)[:, 1])
        if self.chosen_ != STACKED:  # a classic baseline ranked better inside the training period
            return _sigmoid(part_logit(self.parts_[self.chosen_], Z))
        parts = [tree, Z @ self.linear_coef_ + self.linear_intercept_]
        if self.rfm_columns_:  # the RFM logistic regression itself is one of the stacked inputs
            parts.append(part_logit(self.parts_["rfm_logistic"], Z))
        return _sigmoid(np.column_stack(parts) @ self.stacker_coef_ + self.stacker_intercept_)

    def predict_proba(self, X: pd.DataFrame, reference: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Calibrated churn probabilities for feature rows built by `build_features` at one cutoff."""
        if len(X) == 0:
            return np.zeros(0)
        return self.predict_encoded(*self.encode(X, reference if reference is not None else self.reference_for(X)))

    def bands(self) -> tuple[float, float]:
        """(low/medium, medium/high) probability cuts: fixed when given, else relative to the churn rate of
        the shop's still-active customers.

        `medium` starts at band_lift[0] × that rate and `high` at band_lift[1] × it (capped half-way to 1),
        so "high" always means "clearly more likely to leave than this shop's typical active customer" — on
        a shop where most customers lapse as on one where few do. Lapsed customers are not in the rate:
        they are a state of their own (see `lapsed_mask`).
        """
        if self.band_thresholds is not None:
            return float(self.band_thresholds[0]), float(self.band_thresholds[1])
        b = float(getattr(self, "active_base_rate_", getattr(self, "base_rate_", 0.5)))
        return self.band_lift[0] * b, min(self.band_lift[1] * b, b + 0.5 * (1 - b))

    def risk_band(self, probability: np.ndarray) -> np.ndarray:
        """The band of each probability, for customers who are still active."""
        low, high = self.bands()
        return np.where(probability >= high, "high", np.where(probability >= low, "medium", "low"))

    def risk_bands(self, X: pd.DataFrame, probability: np.ndarray) -> np.ndarray:
        """low / medium / high for active customers, `lapsed` for those already past the horizon."""
        return np.where(lapsed_mask(X, self.horizon_days), LAPSED, self.risk_band(probability))

    def explain(self, X: pd.DataFrame, top: int = 3, reference: dict[str, np.ndarray] | None = None) -> list[list[dict[str, Any]]]:
        """Top reasons per customer, in plain words, from what-if-typical ablations (see explain.py)."""
        from retention_model.explain import explain

        ref = reference if reference is not None else self.reference_for(X)
        return explain(self, X, ref, top=top)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path | str, data_hash: str = "", extra_metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        with staged(Path(directory)) as directory:  # the old model serves until the new one is whole
            sio.dump(self.trees_, directory / TREES_FILE)
            state = {
                "params": self.get_params(), "features": self.features_, "log_fill": self.log_fill_.tolist(),
                "log_mean": self.log_mean_.tolist(), "log_std": self.log_std_.tolist(), "linear_coef": self.linear_coef_.tolist(),
                "linear_intercept": self.linear_intercept_, "stacker_coef": self.stacker_coef_.tolist(),
                "stacker_intercept": self.stacker_intercept_, "rfm_columns": self.rfm_columns_, "parts": self.parts_,
                "chosen": self.chosen_, "selection": self.selection_, "reference": self.reference_, "baselines": self.baselines_,
                "cutoffs": self.cutoffs_, "n_examples": self.n_examples_, "base_rate": self.base_rate_,
                "active_base_rate": self.active_base_rate_, "train_metrics": self.train_metrics_,
            }
            (directory / STATE_FILE).write_text(json.dumps(state))
            return write_manifest(
                directory, KIND, id=f"churn-{hash_obj(state)[:12]}", data_hash=data_hash, params=self.get_params(),
                metrics={**self.train_metrics_, "selection": self.selection_, **(extra_metrics or {})}, labels=["retained", "churned"],
                horizon_days=self.horizon_days, cutoffs=self.cutoffs_, files=[TREES_FILE, STATE_FILE],
            )

    @classmethod
    def load(cls, directory: Path | str) -> ChurnModel:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        state = json.loads((directory / STATE_FILE).read_text())
        params = dict(state["params"])
        params["band_thresholds"] = tuple(params["band_thresholds"]) if params.get("band_thresholds") is not None else None
        model = cls(**params)
        untrusted = sio.get_untrusted_types(file=directory / TREES_FILE)
        unexpected = [t for t in untrusted if not any(t.startswith(prefix) for prefix in SKOPS_ALLOWED)]
        if unexpected:
            raise InvalidInput(f"{directory / TREES_FILE}: refusing to load unexpected types {unexpected}")
        model.trees_ = sio.load(directory / TREES_FILE, trusted=untrusted)
        model.features_ = list(state["features"])
        model.log_fill_, model.log_mean_, model.log_std_ = (np.asarray(state[k]) for k in ("log_fill", "log_mean", "log_std"))
        model.linear_coef_, model.linear_intercept_ = np.asarray(state["linear_coef"]), float(state["linear_intercept"])
        model.stacker_coef_, model.stacker_intercept_ = np.asarray(state["stacker_coef"]), float(state["stacker_intercept"])
        model.rfm_columns_ = list(state.get("rfm_columns", []))
        model.parts_, model.chosen_ = state.get("parts", {}), state.get("chosen", STACKED)
        model.selection_ = state.get("selection", {"chosen": STACKED, "source": "older artifact", "roc_auc": {}})
        model.reference_ = state["reference"]
        model.baselines_ = state["baselines"]
        model.cutoffs_, model.n_examples_ = state["cutoffs"], state["n_examples"]
        model.base_rate_, model.train_metrics_ = state["base_rate"], state["train_metrics"]
        model.active_base_rate_ = float(state.get("active_base_rate", state["base_rate"]))  # older artifacts: every customer
        model.manifest_ = manifest
        return model

    @property
    def model_id(self) -> str:
        return str(getattr(self, "manifest_", {}).get("id", "churn-unsaved"))

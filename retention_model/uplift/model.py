"""`UpliftModel`: encode features, choose a meta-learner by cross-validated Qini on the training data only,
refit it on all of it, save it as skops + JSON with a manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from common.artifacts import hash_obj, read_manifest, staged, write_manifest
from common.errors import InvalidInput
from retention_model.uplift.data import Encoder
from retention_model.uplift.learners import LEARNERS, UpliftLearner
from retention_model.uplift.metrics import qini_coefficient, uplift_at

KIND = "uplift"
MODELS_FILE, STATE_FILE = "uplift_models.skops", "uplift_model.json"
SKOPS_ALLOWED = ("sklearn.ensemble._hist_gradient_boosting", "sklearn._loss", "sklearn.linear_model", "numpy", "builtins")
MIN_PER_GROUP = 20


class UpliftModel:
    """Estimated change in the outcome if a customer is treated (offered), per customer."""

    state_: dict[str, Any]  # set by load()
    manifest_: dict[str, Any]  # set by load()

    def __init__(self, learners: tuple[str, ...] = LEARNERS, cv_folds: int = 3, random_state: int = 0) -> None:
        self.learners = tuple(learners)
        self.cv_folds = cv_folds
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {"learners": list(self.learners), "cv_folds": self.cv_folds, "random_state": self.random_state}

    def _matrix(self, frame: pd.DataFrame, path: Path | str) -> np.ndarray:
        X = self.encoder_.transform(frame, path)
        return cast(np.ndarray, (X - self.mean_) / self.std_)

    def fit(self, frame: pd.DataFrame, t: np.ndarray, y: np.ndarray, features: list[str], path: Path | str = "training data") -> UpliftModel:
        """Learn the encoding, cross-validate every learner (Qini), refit the best on all rows."""
        for arm, n in (("treated", int(t.sum())), ("control", int((1 - t).sum()))):
            if n < MIN_PER_GROUP:
                raise InvalidInput(f"{path}: only {n} {arm} row(s); uplift needs at least {MIN_PER_GROUP} treated and {MIN_PER_GROUP} control rows")
        self.encoder_ = Encoder.fit(frame, features)
        raw = self.encoder_.transform(frame, path)
        self.mean_, self.std_ = raw.mean(axis=0), raw.std(axis=0) + 1e-9
        X = (raw - self.mean_) / self.std_
        self.binary_ = bool(set(np.unique(y)) <= {0.0, 1.0})
        strata = t * 2 + (y > 0) if self.binary_ else t
        folds = list(StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state).split(X, strata))
        self.cv_: dict[str, dict[str, float]] = {}
        # A constant effect on a numeric outcome ranks nobody: m_lr only for 0/1 outcomes.
        candidates = [n for n in self.learners if self.binary_ or n != "m_lr"]
        with threadpool_limits(limits=1, user_api="openmp"):
            for name in candidates:
                qinis, u30 = [], []
                for train, test in folds:
                    learner = UpliftLearner(name, self.binary_, self.random_state).fit(X[train], t[train], y[train])
                    s = learner.uplift(X[test])
                    qinis.append(qini_coefficient(y[test], t[test], s))
                    u30.append(uplift_at(y[test], t[test], s, 0.3))
                self.cv_[name] = {"qini_coefficient": float(np.mean(qinis)), "qini_std": float(np.std(qinis)), "uplift_at_30pct": float(np.nanmean(u30))}
            self.learner_name_ = max(candidates, key=lambda n: self.cv_[n]["qini_coefficient"])
            self.learner_ = UpliftLearner(self.learner_name_, self.binary_, self.random_state).fit(X, t, y)
        self.n_rows_, self.treated_share_ = int(len(y)), float(t.mean())
        self.average_uplift_ = float(y[t == 1].mean() - y[t == 0].mean())
        return self

    def predict_frame(self, frame: pd.DataFrame, path: Path | str = "data") -> np.ndarray:
        with threadpool_limits(limits=1, user_api="openmp"):
            return self.learner_.uplift(self._matrix(frame, path))

    def save(self, directory: Path | str, data_hash: str = "", extra: dict[str, Any] | None = None) -> dict[str, Any]:
        with staged(Path(directory)) as directory:  # the old model serves until the new one is whole
            sio.dump(self.learner_.models, directory / MODELS_FILE)
            state = {
                "params": self.get_params(), "encoder": self.encoder_.to_json(), "mean": self.mean_.tolist(), "std": self.std_.tolist(),
                "learner": self.learner_name_, "binary": self.binary_, "treated_share": self.learner_.treated_share,
                "cv": self.cv_, "n_rows": self.n_rows_, "average_uplift": self.average_uplift_, **(extra or {}),
            }
            (directory / STATE_FILE).write_text(json.dumps(state))
            return write_manifest(
                directory, KIND, id=f"uplift-{hash_obj(state)[:12]}", data_hash=data_hash, params=self.get_params(),
                metrics={"cross_validated": self.cv_, "chosen": self.learner_name_}, learner=self.learner_name_,
                features=self.encoder_.columns, ignored_columns=self.encoder_.ignored, files=[MODELS_FILE, STATE_FILE], **(extra or {}),
            )

    @classmethod
    def load(cls, directory: Path | str) -> UpliftModel:
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        state = json.loads((directory / STATE_FILE).read_text())
        model = cls(**{**state["params"], "learners": tuple(state["params"]["learners"])})
        untrusted = sio.get_untrusted_types(file=directory / MODELS_FILE)
        unexpected = [u for u in untrusted if not u.startswith(SKOPS_ALLOWED)]
        if unexpected:
            raise InvalidInput(f"{directory / MODELS_FILE}: refusing to load unexpected types {unexpected}")
        learner = UpliftLearner(state["learner"], bool(state["binary"]))
        learner.models = sio.load(directory / MODELS_FILE, trusted=untrusted)
        learner.treated_share = float(state["treated_share"])
        model.learner_, model.learner_name_, model.binary_ = learner, state["learner"], bool(state["binary"])
        model.encoder_ = Encoder.from_json(state["encoder"])
        model.mean_, model.std_ = np.asarray(state["mean"]), np.asarray(state["std"])
        model.cv_, model.n_rows_, model.average_uplift_ = state["cv"], state["n_rows"], state["average_uplift"]
        model.state_, model.manifest_ = state, manifest
        return model

    @property
    def model_id(self) -> str:
        return str(getattr(self, "manifest_", {}).get("id", "uplift-unsaved"))

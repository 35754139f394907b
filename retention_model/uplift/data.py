"""Experiment CSVs for uplift: validation with file and line, and a feature encoding learned from training data.

One row per customer: a 0/1 treatment column, an outcome column (0/1 or a number, e.g. spend) and any
other columns as features. Numeric columns (every non-empty value parses as a number in the training
file) pass through with missing values filled by the training median plus a missing flag; other
columns are one-hot encoded on their most frequent training levels, the rest share an "other" column,
and levels never seen in training count as "other" (no error: new shops, new channels).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from common.errors import DataFileError, DataFileErrors, InvalidInput

MAX_LEVELS = 30  # one-hot columns per categorical feature; rarer levels share "other"
MIN_LEVEL_COUNT = 5
MAX_ERRORS = 200


def read_csv(path: Path | str) -> pd.DataFrame:
    """Every cell as text ('' = missing), header names stripped; clear errors for unreadable files."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(str(path), None, "no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataFileError(str(path), 1, "the file is empty; expected a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(str(path), None, f"not a readable CSV file ({str(exc).splitlines()[0]})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise DataFileError(str(path), 1, f"duplicate column(s) {', '.join(dupes)}")
    if frame.empty:
        raise DataFileError(str(path), None, "no data rows after the header")
    return frame.apply(lambda s: s.str.strip())


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.where(values != ""), errors="coerce")


def require_columns(frame: pd.DataFrame, path: Path | str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFileError(str(path), 1, f"missing column(s) {', '.join(missing)}; the header has {', '.join(frame.columns)}")


def _bad_rows(path: Path | str, mask: np.ndarray, values: pd.Series, message: str) -> list[DataFileError]:
    rows = np.flatnonzero(mask)[:MAX_ERRORS]
    return [DataFileError(str(path), int(i) + 2, message.format(value=values.iloc[i])) for i in rows]


def treatment_and_outcome(frame: pd.DataFrame, path: Path | str, treatment: str, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """The 0/1 treatment and numeric outcome, or every bad row at once (line 1 = header)."""
    require_columns(frame, path, [treatment, outcome])
    if treatment == outcome:
        raise InvalidInput(f"{path}: treatment and outcome must be different columns (both {treatment!r})")
    t_raw, y_raw = frame[treatment], frame[outcome]
    t, y = _numbers(t_raw), _numbers(y_raw)
    errors = _bad_rows(path, ~t.isin([0, 1]).to_numpy(), t_raw, f"treatment {treatment!r} must be 0 or 1, got {{value!r}}")
    errors += _bad_rows(path, ~np.isfinite(y.to_numpy(dtype=float, na_value=np.nan)), y_raw, f"outcome {outcome!r} must be a number, got {{value!r}}")
    if errors:
        errors.sort(key=lambda e: e.line or 0)
        raise DataFileErrors(errors)
    t_arr, y_arr = t.to_numpy(dtype=int), y.to_numpy(dtype=float)
    if t_arr.min() == t_arr.max():
        raise InvalidInput(f"{path}: every row has treatment {t_arr[0]}; uplift needs treated (1) and control (0) rows")
    return t_arr, y_arr


@dataclass
class Encoder:
    """Feature columns → a numeric matrix, learned from the training file and stored as JSON."""

    numeric: dict[str, float]            # column -> fill value (training median)
    categorical: dict[str, list[str]]     # column -> kept levels (one column each, plus "other")
    ignored: dict[str, str]               # column -> why it is not used

    @classmethod
    def fit(cls, frame: pd.DataFrame, features: list[str]) -> Encoder:
        numeric: dict[str, float] = {}
        categorical: dict[str, list[str]] = {}
        ignored: dict[str, str] = {}
        n = len(frame)
        for col in features:
            raw = frame[col]
            present = raw != ""
            values = _numbers(raw)
            if present.sum() == 0:
                ignored[col] = "always empty"
            elif values[present].notna().all():
                med = float(values.median())
                numeric[col] = med if np.isfinite(med) else 0.0
            else:
                counts = raw[present].value_counts()
                if len(counts) > max(50, 0.5 * n):
                    ignored[col] = f"an identifier ({len(counts)} distinct values in {n} rows)"
                    continue
                kept = [str(v) for v, c in counts.items() if c >= MIN_LEVEL_COUNT][:MAX_LEVELS]
                categorical[col] = kept or [str(counts.index[0])]
        if not numeric and not categorical:
            raise InvalidInput("no usable feature columns besides the treatment and outcome")
        return cls(numeric, categorical, ignored)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def feature_names(self) -> list[str]:
        names: list[str] = []
        for col in self.numeric:
            names += [col, f"{col}=missing"]
        for col, levels in self.categorical.items():
            names += [f"{col}={lv}" for lv in levels] + [f"{col}=other"]
        return names

    def transform(self, frame: pd.DataFrame, path: Path | str) -> np.ndarray:
        """Encode rows; a missing column or a non-number in a numeric column is an error naming the line."""
        require_columns(frame, path, self.columns)
        blocks: list[np.ndarray] = []
        errors: list[DataFileError] = []
        for col, fill in self.numeric.items():
            raw = frame[col]
            values = _numbers(raw)
            errors += _bad_rows(path, ((raw != "") & values.isna()).to_numpy(), raw, f"column {col!r} must be a number, got {{value!r}}")
            arr = values.to_numpy(dtype=float, na_value=np.nan)
            missing = ~np.isfinite(arr)
            blocks += [np.where(missing, fill, arr)[:, None], missing[:, None].astype(float)]
        if errors:
            errors.sort(key=lambda e: e.line or 0)
            raise DataFileErrors(errors)
        for col, levels in self.categorical.items():
            raw = frame[col].to_numpy()
            onehot = np.column_stack([raw == lv for lv in levels]).astype(float)
            other = ((raw != "") & (onehot.sum(axis=1) == 0)).astype(float)
            blocks += [onehot, other[:, None]]
        return np.hstack(blocks) if blocks else np.zeros((len(frame), 0))

    def to_json(self) -> dict[str, Any]:
        return {"numeric": self.numeric, "categorical": self.categorical, "ignored": self.ignored}

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> Encoder:
        return cls(dict(state["numeric"]), {k: list(v) for k, v in state["categorical"].items()}, dict(state.get("ignored", {})))

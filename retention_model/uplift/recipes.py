"""Train / score / evaluate an uplift model on any experiment's CSV (what `keepcart offers uplift` runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.artifacts import hash_obj
from common.errors import DataFileError
from retention_model.uplift.data import read_csv, treatment_and_outcome
from retention_model.uplift.metrics import uplift_report
from retention_model.uplift.model import UpliftModel


def train_csv(path: Path, treatment: str, outcome: str, out: Path, ignore: list[str] | None = None) -> dict[str, Any]:
    """Fit on every column but treatment, outcome and `ignore`; returns the manifest."""
    frame = read_csv(path)
    t, y = treatment_and_outcome(frame, path, treatment, outcome)
    unknown = [c for c in ignore or [] if c not in frame.columns]
    if unknown:
        raise DataFileError(str(path), 1, f"--ignore names unknown column(s) {', '.join(unknown)}")
    features = [c for c in frame.columns if c not in {treatment, outcome, *(ignore or [])}]
    model = UpliftModel().fit(frame, t, y, features, path)
    data_hash = hash_obj({"file": path.name, "rows": len(frame), "head": frame.head(50).to_dict("list")})
    return model.save(out, data_hash=data_hash, extra={"treatment": treatment, "outcome": outcome})


def score_csv(model_dir: Path, path: Path) -> tuple[UpliftModel, list[dict[str, Any]]]:
    """One row per input row, in order: the estimated uplift (and the learner's baseline response when it has one)."""
    model = UpliftModel.load(model_dir)
    frame = read_csv(path)
    uplift = model.predict_frame(frame, path)
    return model, [{"row": i + 1, "uplift": float(u)} for i, u in enumerate(uplift)]


def evaluate_csv(model_dir: Path, path: Path, treatment: str, outcome: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Qini, AUUC and uplift at the top 10/20/30 % against random targeting, on a labelled experiment file."""
    model = UpliftModel.load(model_dir)
    frame = read_csv(path)
    t, y = treatment_and_outcome(frame, path, treatment, outcome)
    score = model.predict_frame(frame, path)
    report = {"model_id": model.model_id, "learner": model.learner_name_, "data": str(path), "treatment": treatment,
              "outcome": outcome, **uplift_report(y, t, score)}
    rows = [{"row": i + 1, "uplift": float(s), "treatment": int(tt), "outcome": float(yy)} for i, (s, tt, yy) in enumerate(zip(score, t, y, strict=True))]
    return report, rows


def fmt_report(report: dict[str, Any]) -> list[str]:
    lines = [f"{report['customers']} customers ({report['treated']} treated, {report['control']} control); "
             f"outcome {report['treated_rate']:.4f} treated vs {report['control_rate']:.4f} control, average uplift {report['average_uplift']:+.4f}",
             f"learner {report['learner']}: qini_coefficient {report['qini_coefficient']:.5f}  auuc {report['auuc']:.5f}"
             + (f"  qini_normalised {report['qini_normalised']:.4f}" if report.get("qini_normalised") is not None else "")]

    def num(x: float | None) -> str:  # None: a share with no treated or no control row
        return "n/a" if x is None else f"{x:+.4f}"

    for key, v in report["uplift_at"].items():
        lines.append(f"top {key:<6} uplift {num(v['uplift'])}  random {num(v['random'])}  over random {num(v['over_random'])}")
    return lines

"""Train and evaluate recipes shared by `keepcart nlu ...`, `keepcart demo` and the benchmarks.

One code path from files to artifact, so a benchmark figure is what a shop gets from the CLI.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from bot.nlu.evaluation import evaluate, format_report
from bot.nlu.model import NLUModel
from bot.nlu.training_data import DATA_DIR, default_training_files, load_examples  # noqa: F401 (re-exported)
from common.artifacts import hash_files

log = logging.getLogger(__name__)
def train_nlu(data_paths: list[Path], out_dir: Path, base_model: str, seed: int = 13, progress: bool = True,
              **hyper: Any) -> dict[str, Any]:
    """Validate the data, fine-tune, calibrate, save the artifact; return its manifest."""
    paths = [Path(p) for p in data_paths]
    examples = load_examples(paths)
    started = time.perf_counter()
    model = NLUModel(base_model=base_model, seed=seed, **hyper).fit(examples, progress=progress)
    seconds = time.perf_counter() - started
    last = model.history_[-1] if model.history_ else {}
    metrics = {k: round(v, 4) for k, v in last.items() if k.startswith("val_")}
    best = next((h for h in model.history_ if h["epoch"] == model.training_["kept_epoch"]), None)
    if best:
        metrics = {k: round(v, 4) for k, v in best.items() if k.startswith("val_")}
    metrics["train_seconds"] = round(seconds, 1)
    return model.save(out_dir, data_hash=hash_files(paths), data_files=[str(p) for p in paths],
                      n_examples=len(examples), metrics=metrics)


def evaluate_nlu(model_dir: Path, data_path: Path, report_path: Path, predictions_path: Path | None = None,
                 progress: bool = True, quantize: bool = False) -> tuple[dict[str, Any], str]:
    """Score an artifact on a labelled file; write the JSON report (and predictions); return it and its table."""
    examples = load_examples([Path(data_path)])
    model = NLUModel.load(model_dir, quantize=quantize)
    report, predictions = evaluate(model, examples, progress=progress)
    report = {"model_id": model.model_id, "data": str(data_path), "load_seconds": round(model.load_seconds_, 3),
              "threshold": model.threshold_, "temperature": round(model.temperature_, 4), **report}
    report_path = Path(report_path)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2))
    if predictions_path is not None:
        Path(predictions_path).parent.mkdir(parents=True, exist_ok=True)
        with Path(predictions_path).open("w", encoding="utf-8") as handle:
            for row in predictions:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return report, format_report(report)

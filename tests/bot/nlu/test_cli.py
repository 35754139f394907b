"""`keepcart nlu ...`: clear errors without tracebacks, and an evaluate run that writes its files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.nlu.training_data import write_jsonl
from cli.main import app
from tests.bot.nlu.conftest import toy_examples

runner = CliRunner()


def test_train_reports_bad_data_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text('version: 1\nentities: [product]\nintents:\n  a:\n    - "buy [x](colour)"\n')
    result = runner.invoke(app, ["nlu", "train", "--data", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert f"{bad}:5: unknown entity 'colour'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_train_reports_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["nlu", "train", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "nope.csv: no such file" in result.output


def test_evaluate_refuses_a_directory_without_a_model(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("text,intent\nhi,greet\n")
    result = runner.invoke(app, ["nlu", "evaluate", "--model", str(tmp_path), "--data", str(data), "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 1 and "not an NLU model directory" in result.output


@pytest.mark.slow
def test_evaluate_writes_report_and_predictions(toy_model_dir: Path, tmp_path: Path) -> None:
    test = toy_examples(30, seed=11)
    write_jsonl(test, tmp_path / "test.jsonl")
    report, preds = tmp_path / "r.json", tmp_path / "p.jsonl"
    result = runner.invoke(app, ["nlu", "evaluate", "--model", str(toy_model_dir), "--data", str(tmp_path / "test.jsonl"),
                                 "--report", str(report), "--predictions", str(preds)])
    assert result.exit_code == 0, result.output
    assert "intent accuracy" in result.output
    data = json.loads(report.read_text())
    assert data["intent"]["accuracy"] >= 0.8 and "macro_f1" in data["intent"]
    assert {"p50", "p99"} <= set(data["latency_ms"]) and "micro_f1" in data["entities"]
    assert "out_of_scope" not in data  # no such gold labels in this file
    rows = [json.loads(line) for line in preds.read_text().splitlines()]
    assert len(rows) == data["n_examples"] >= 20  # repeated toy texts are kept once
    assert set(rows[0]) >= {"text", "gold_intent", "intent", "confidence", "ranking", "gold_entities", "entities"}

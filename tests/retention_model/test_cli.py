from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.retention_model.factories import synthetic_lines

runner = CliRunner()


@pytest.fixture
def data_dir(cli_data_dir: Path) -> Path:
    return cli_data_dir


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tx") / "transactions.csv"
    lines = synthetic_lines(n_customers=250, days=540, seed=7)
    lines["ordered_at"] = lines["ordered_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines.drop(columns="status").to_csv(path, index=False)
    return path


def test_train_evaluate_and_recommend(csv_file: Path, tmp_path: Path, data_dir: Path) -> None:
    model = tmp_path / "churn"
    result = runner.invoke(app, ["churn", "train", "--transactions", str(csv_file), "--cutoff", "2024-01-31", "--horizon-days", "60", "--out", str(model), "--windows", "2"])
    assert result.exit_code == 0, result.output
    assert "trained churn-" in result.output and (model / "manifest.json").exists()
    report, preds = tmp_path / "report.json", tmp_path / "preds.jsonl"
    result = runner.invoke(app, ["churn", "evaluate", "--model", str(model), "--transactions", str(csv_file), "--cutoff", "2024-04-30", "--horizon-days", "60", "--report", str(report), "--predictions", str(preds)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    for key in ("roc_auc", "pr_auc", "brier", "lift_at_10pct"):
        assert 0 <= data[key] <= 10
        assert set(data["baselines"]) == {"recency", "frequency", "rfm_logistic", "bgnbd"}
    first = json.loads(preds.read_text().splitlines()[0])
    assert set(first) == {"customer_id", "probability", "label"} and first["customer_id"] == "00000"
    rec_report = tmp_path / "rec.json"
    result = runner.invoke(app, ["recommend", "evaluate", "--transactions", str(csv_file), "--cutoff", "2024-04-30", "--k", "5", "--report", str(rec_report)])
    assert result.exit_code == 0, result.output
    assert {"hit_rate", "ndcg", "baselines"} <= set(json.loads(rec_report.read_text()))


def test_bad_csv_is_a_clear_error(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,order_id,ordered_at,amount\n1,A,2024-01-01,10\n1,B,yesterday-ish,10\n")
    result = runner.invoke(app, ["churn", "train", "--transactions", str(bad), "--cutoff", "2024-01-01", "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert f"{bad}:3: ordered_at 'yesterday-ish'" in result.output
    assert "Traceback" not in result.output


def test_score_needs_a_model(tmp_path: Path, data_dir: Path) -> None:
    result = runner.invoke(app, ["churn", "score", "--model", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "not a Keepcart artifact" in result.output


def test_duckdb_engine_gives_the_pandas_figures(csv_file: Path, tmp_path: Path, data_dir: Path) -> None:
    reports = {}
    for engine in ("pandas", "duckdb"):
        model, report = tmp_path / f"churn-{engine}", tmp_path / f"report-{engine}.json"
        common = ["--transactions", str(csv_file), "--horizon-days", "60", "--engine", engine]
        result = runner.invoke(app, ["churn", "train", *common, "--cutoff", "2024-01-31", "--out", str(model), "--windows", "2"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["churn", "evaluate", "--model", str(model), *common, "--cutoff", "2024-04-30", "--report", str(report)])
        assert result.exit_code == 0, result.output
        reports[engine] = json.loads(report.read_text())
    assert reports["duckdb"]["customers"] == reports["pandas"]["customers"]
    for key in ("roc_auc", "pr_auc", "brier", "churn_rate"):
        assert reports["duckdb"][key] == pytest.approx(reports["pandas"][key], rel=1e-6)


def test_engine_errors_are_clear(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,order_id,ordered_at,amount\n1,A,2024-01-01,10\n1,B,yesterday-ish,10\n")
    result = runner.invoke(app, ["churn", "train", "--transactions", str(bad), "--cutoff", "2024-01-01", "--out", str(tmp_path / "m"), "--engine", "duckdb"])
    assert result.exit_code == 1 and f"{bad}:3: ordered_at 'yesterday-ish'" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["churn", "train", "--transactions", str(bad), "--out", str(tmp_path / "m"), "--engine", "postgres"])
    assert result.exit_code == 2 and "--engine duckdb" in result.output
    result = runner.invoke(app, ["churn", "train", "--transactions", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "m"), "--engine", "duckdb"])
    assert result.exit_code == 1 and "nope.csv: no such file" in result.output
    result = runner.invoke(app, ["churn", "train", "--transactions", str(bad), "--out", str(tmp_path / "m"), "--engine", "spark"])
    assert result.exit_code == 2 and "spark" in result.output


def test_engine_training_samples_customer_windows(csv_file: Path, tmp_path: Path, data_dir: Path) -> None:
    args = ["churn", "train", "--transactions", str(csv_file), "--cutoff", "2024-01-31", "--horizon-days", "60", "--windows", "2", "--engine", "duckdb"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "m"), "--max-training-rows", "120"])
    assert result.exit_code == 0, result.output
    assert "on 2 windows (120 customer-windows" in result.output


def test_score_with_an_engine_stores_the_pandas_scores(tmp_path: Path, data_dir: Path) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cli import context
    from retention_model.tables import CustomerScore
    from tests.retention_model.factories import fill_shop

    context.session_factory()  # migrates the fresh SQLite database
    fill_shop(context.engine())
    model = tmp_path / "churn"
    result = runner.invoke(app, ["churn", "train", "--out", str(model), "--cutoff", "2024-02-28", "--horizon-days", "60", "--windows", "2", "--engine", "duckdb"])
    assert result.exit_code == 0, result.output
    stored = {}
    for engine in ("pandas", "duckdb"):
        result = runner.invoke(app, ["churn", "score", "--model", str(model), "--now", "2024-04-01T00:00:00+00:00", "--engine", engine])
        assert result.exit_code == 0, result.output
        assert "scored " in result.output and "of 121 customers" in result.output
        with Session(context.engine()) as session:
            stored[engine] = dict(session.execute(select(CustomerScore.customer_id, CustomerScore.churn_probability)).tuples().all())
    assert stored["duckdb"].keys() == stored["pandas"].keys() and len(stored["pandas"]) > 50
    assert all(abs(stored["duckdb"][c] - p) < 1e-9 for c, p in stored["pandas"].items())
    result = runner.invoke(app, ["churn", "score", "--model", str(model), "--engine", "postgres"])
    assert result.exit_code == 1 and "needs a PostgreSQL shop database" in result.output and "Traceback" not in result.output

"""Uplift: metrics on hand-checkable cases, learners that find a planted effect, the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from retention_model.uplift.metrics import qini_coefficient, qini_curve, uplift_at, uplift_report
from retention_model.uplift.model import UpliftModel

runner = CliRunner()


def planted(n: int, seed: int) -> pd.DataFrame:
    """Offers help only 'young' customers on the web; everyone else is unmoved (or slightly put off)."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 80, n)
    channel = rng.choice(["web", "phone", "store"], n)
    t = rng.integers(0, 2, n)
    base = 0.15 + 0.1 * (channel == "store")
    effect = np.where((age < 35) & (channel == "web"), 0.35, -0.03)
    y = (rng.random(n) < np.clip(base + t * effect, 0, 1)).astype(int)
    return pd.DataFrame({"age": age.round(1), "channel": channel, "noise": rng.normal(size=n).round(3), "offered": t, "bought": y})


def test_qini_of_a_known_case() -> None:
    # 4 treated (2 respond), 4 control (1 responds); ranking puts the treated responders first.
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    t = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    score = np.array([8, 7, 2, 1, 6, 5, 4, 3], float)
    curve = qini_curve(y, t, score) * len(y)
    assert curve[1] == pytest.approx(2.0)          # two treated responders, no control yet
    assert curve[-1] == pytest.approx(2 - 1 * 4 / 4)  # overall: 2 - 1 = 1 incremental
    assert qini_coefficient(y, t, score) > 0
    assert qini_coefficient(y, t, -score) < 0       # the reversed ranking is worse than random
    assert uplift_at(y, t, score, 0.5) == pytest.approx(2 / 2 - 1 / 2)  # top 4: treated 2 of 2, control 1 of 2


def test_random_scores_have_no_qini_and_report_compares_with_random() -> None:
    rng = np.random.default_rng(1)
    y, t = rng.integers(0, 2, 20000), rng.integers(0, 2, 20000)
    assert abs(qini_coefficient(y, t, rng.random(20000))) < 0.005
    report = uplift_report(y, t, rng.random(20000))
    assert set(report["uplift_at"]) == {"10pct", "20pct", "30pct"}
    assert report["uplift_at"]["30pct"]["random"] == pytest.approx(report["average_uplift"])


def test_model_finds_the_persuadable_and_survives_save_load(tmp_path: Path) -> None:
    train, test = planted(6000, 0), planted(4000, 1)
    model = UpliftModel().fit(train, train["offered"].to_numpy(), train["bought"].to_numpy().astype(float), ["age", "channel", "noise"])
    assert set(model.cv_) >= {"t_lr", "t_gb", "ct_lr", "x_gb"}
    assert model.learner_name_ == max(model.cv_, key=lambda n: model.cv_[n]["qini_coefficient"])
    s = model.predict_frame(test)
    rep = uplift_report(test["bought"].to_numpy(), test["offered"].to_numpy(), s)
    assert rep["qini_coefficient"] > 0.005
    assert rep["uplift_at"]["20pct"]["over_random"] > 0.1
    model.save(tmp_path / "m")
    again = UpliftModel.load(tmp_path / "m")
    assert np.allclose(again.predict_frame(test), s)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("uplift")
    planted(4000, 2).to_csv(d / "train.csv", index=False)
    test = planted(2000, 3)
    test.to_csv(d / "test.csv", index=False)
    score = test.drop(columns=["offered", "bought"]).head(5).astype(str)
    score.loc[0, "channel"] = "carrier-pigeon"  # never seen in training
    score.loc[1, "age"] = ""                    # missing number
    score.to_csv(d / "score.csv", index=False)
    return {"train": d / "train.csv", "test": d / "test.csv", "score": d / "score.csv", "dir": d}


def test_cli_train_score_evaluate(files: dict[str, Path], cli_data_dir: Path) -> None:
    model, d = files["dir"] / "model", files["dir"]
    res = runner.invoke(app, ["offers", "uplift", "train", "--data", str(files["train"]), "--treatment", "offered", "--outcome", "bought", "--out", str(model)])
    assert res.exit_code == 0, res.output
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["kind"] == "uplift" and manifest["features"] == ["age", "noise", "channel"]
    assert not list(model.glob("*.pkl"))
    res = runner.invoke(app, ["offers", "uplift", "score", "--model", str(model), "--data", str(files["score"]), "--predictions", str(d / "p.jsonl")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in (d / "p.jsonl").read_text().splitlines()]
    assert [r["row"] for r in rows] == [1, 2, 3, 4, 5] and all(isinstance(r["uplift"], float) for r in rows)
    res = runner.invoke(app, ["offers", "uplift", "evaluate", "--model", str(model), "--data", str(files["test"]), "--treatment", "offered",
                              "--outcome", "bought", "--report", str(d / "r.json")])
    assert res.exit_code == 0, res.output
    report = json.loads((d / "r.json").read_text())
    # the true persuadables ranked first score about 0.0085 here; a random ranking 0
    assert report["qini_coefficient"] > 0.005 and report["uplift_at"]["10pct"]["over_random"] > 0.15
    assert report["auuc"] > 0


def test_cli_errors_name_file_and_line(files: dict[str, Path], cli_data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("age,channel,offered,bought\n30,web,1,0\n31,web,yes,1\n32,web,0,\n")
    res = runner.invoke(app, ["offers", "uplift", "train", "--data", str(bad), "--treatment", "offered", "--outcome", "bought", "--out", str(tmp_path / "m")])
    assert res.exit_code == 1
    assert f"{bad}:3: treatment 'offered' must be 0 or 1, got 'yes'" in res.output
    assert f"{bad}:4: outcome 'bought' must be a number" in res.output
    res = runner.invoke(app, ["offers", "uplift", "train", "--data", str(bad), "--treatment", "treat", "--outcome", "bought", "--out", str(tmp_path / "m")])
    assert res.exit_code == 1 and f"{bad}:1: missing column(s) treat" in res.output
    model = files["dir"] / "model2"
    assert runner.invoke(app, ["offers", "uplift", "train", "--data", str(files["train"]), "--treatment", "offered", "--outcome", "bought", "--out", str(model)]).exit_code == 0
    score = tmp_path / "s.csv"
    score.write_text("age,channel,noise\n30,web,0.1\nold,web,0.2\n")
    res = runner.invoke(app, ["offers", "uplift", "score", "--model", str(model), "--data", str(score), "--predictions", str(tmp_path / "p.jsonl")])
    assert res.exit_code == 1 and f"{score}:3: column 'age' must be a number, got 'old'" in res.output
    score.write_text("age,noise\n30,0.1\n")
    res = runner.invoke(app, ["offers", "uplift", "score", "--model", str(model), "--data", str(score), "--predictions", str(tmp_path / "p.jsonl")])
    assert res.exit_code == 1 and "missing column(s) channel" in res.output


def test_numeric_outcome_uses_regressors_and_ranks_the_planted_effect() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    x = rng.uniform(0, 1, n)
    t = rng.integers(0, 2, n)
    spend = rng.gamma(2.0, 10.0, n) + t * np.where(x > 0.7, 30.0, 0.0)  # only x > 0.7 spend more when offered
    frame = pd.DataFrame({"x": x.round(4).astype(str), "t": t, "spend": spend})
    model = UpliftModel(learners=("m_lr", "t_lr", "ct_lr", "x_gb")).fit(frame, t, spend, ["x"])
    assert not model.binary_ and "m_lr" not in model.cv_  # a constant shift ranks nobody on a numeric outcome
    s = model.predict_frame(frame)
    assert s[x > 0.8].mean() > s[x < 0.5].mean() + 10


def test_report_is_strict_json_when_a_top_share_has_no_control() -> None:
    y = np.array([1, 0, 1, 0, 1, 0, 0, 0, 1, 0], float)
    t = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    report = uplift_report(y, t, -np.arange(10.0))  # the top 30 % are all treated
    assert report["uplift_at"]["30pct"]["uplift"] is None
    json.dumps(report, allow_nan=False)

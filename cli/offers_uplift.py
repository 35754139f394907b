"""`keepcart offers uplift`: learn whose behaviour an offer changes, from any randomised experiment's CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.context import fail, run_or_fail, write_report

app = typer.Typer(help="Uplift: who buys (or stays) because of an offer. Train on an experiment CSV, score, evaluate with Qini.",
                  no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", help="CSV, one row per customer: features, and for train/evaluate the treatment and outcome columns.")]
TreatmentOpt = Annotated[str, typer.Option("--treatment", help="Column holding 1 (treated / offered) or 0 (control / held out).")]
OutcomeOpt = Annotated[str, typer.Option("--outcome", help="Column holding the outcome: 0/1 (e.g. visit, stayed) or a number (e.g. spend).")]


@app.command("train")
def train(
    data: DataOpt, treatment: TreatmentOpt, outcome: OutcomeOpt,
    out: Annotated[Path, typer.Option("--out", help="Artifact directory to write.")],
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="A column that is not a feature (e.g. an id); repeatable.")] = None,
) -> None:
    """Fit every candidate learner, keep the one with the best cross-validated Qini on this file, save it."""
    from retention_model.uplift.recipes import train_csv

    manifest = run_or_fail(train_csv, data, treatment, outcome, out, ignore)
    cv = manifest["metrics"]["cross_validated"]
    typer.echo(f"trained {manifest['id']} ({manifest['learner']}) on {len(manifest['features'])} feature column(s) -> {out}")
    for name, m in sorted(cv.items(), key=lambda kv: -kv[1]["qini_coefficient"]):
        mark = "*" if name == manifest["learner"] else " "
        typer.echo(f" {mark} {name:<6} cross-validated qini {m['qini_coefficient']:.5f} ± {m['qini_std']:.5f}  uplift@30% {m['uplift_at_30pct']:+.4f}")
    if manifest["ignored_columns"]:
        typer.echo("ignored: " + "; ".join(f"{c} ({why})" for c, why in manifest["ignored_columns"].items()))


@app.command("score")
def score(
    model: Annotated[Path, typer.Option("--model", help="Artifact directory made by `keepcart offers uplift train`.")],
    data: DataOpt,
    predictions: Annotated[Path, typer.Option("--predictions", help="JSON lines to write, one per input row in order: {\"row\", \"uplift\"}.")],
) -> None:
    """Estimated uplift for every row of a CSV (treatment/outcome columns are not needed)."""
    from retention_model.uplift.recipes import score_csv

    loaded, rows = run_or_fail(score_csv, model, data)
    predictions.parent.mkdir(parents=True, exist_ok=True)
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    typer.echo(f"scored {len(rows)} row(s) with {loaded.model_id} ({loaded.learner_name_}) -> {predictions}")


@app.command("evaluate")
def evaluate(
    model: Annotated[Path, typer.Option("--model", help="Artifact directory made by `keepcart offers uplift train`.")],
    data: DataOpt, treatment: TreatmentOpt, outcome: OutcomeOpt,
    report: Annotated[Path, typer.Option("--report", help="JSON report: qini_coefficient, auuc, uplift_at.{10,20,30}pct vs random.")],
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write one JSON line per row: row, uplift, treatment, outcome.")] = None,
) -> None:
    """Qini coefficient, AUUC and uplift in the top 10/20/30 % against random targeting, on held-out experiment data."""
    from retention_model.uplift.recipes import evaluate_csv, fmt_report

    if not data.exists():
        raise fail(f"{data}: no such file")
    result, rows = run_or_fail(evaluate_csv, model, data, treatment, outcome)
    write_report(report, result, predictions, rows)
    for line in fmt_report(result):
        typer.echo(line)
    typer.echo(f"report -> {report}")


@app.command("fit-shop")
def fit_shop(
    retention_days: Annotated[int, typer.Option("--retention-days", min=1, max=365, help="Outcome: bought again within this many days after the exposure.")] = 30,
    min_per_group: Annotated[int, typer.Option("--min-per-group", min=20, help="Matured offer and hold-out exposures needed (each) before rules may target by uplift.")] = 200,
    out: Annotated[Path | None, typer.Option("--out", help="Artifact directory (default: <data_dir>/models/offer_uplift, where the offer agent reads it).")] = None,
) -> None:
    """Learn the shop's uplift model from its own offers and hold-outs (run it nightly, after `keepcart churn score`)."""
    from datetime import UTC, datetime

    from cli.context import session_factory, settings
    from retention_model.offers.uplift import train_shop_uplift

    target = out or settings().data_dir / "models" / "offer_uplift"
    with session_factory()() as session:
        status = run_or_fail(train_shop_uplift, session, target, retention_days, datetime.now(UTC), min_per_group)
    if not status["trained"]:
        typer.echo(f"not trained: {status['reason']}")
        return
    typer.echo(f"trained {status['model_id']} ({status['learner']}) on {status['treated']} offer and {status['holdout']} hold-out exposures -> {target}")

"""`keepcart churn`: train, evaluate and run the churn-risk model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.context import engine, fail, run_or_fail, session_factory, settings, write_report

ENGINES = ("pandas", "duckdb", "postgres")

app = typer.Typer(help="Churn risk: train on order histories, evaluate against baselines, score the shop's customers.", no_args_is_help=True)

TransactionsOpt = Annotated[
    Path | None,
    typer.Option("--transactions", help="Transactions CSV (customer_id, ordered_at, amount; optional order_id, product_id, quantity, status)."),
]
EngineOpt = Annotated[
    str,
    typer.Option("--engine", help="Where features are computed: pandas (in memory), duckdb (in process, bounded memory; CSV/Parquet or the shop copied in) "
                 "or postgres (inside the shop's PostgreSQL). See docs/retention_model.md, 'Features in the engine'."),
]
HorizonOpt = Annotated[int | None, typer.Option("--horizon-days", min=1, max=730, help="Days without a purchase that count as churn (default: the KEEPCART_RETENTION__HORIZON_DAYS setting).")]


def _load(transactions: Path | None, engine_name: str = "pandas", max_customers: int | None = None):  # type: ignore[no-untyped-def]
    """Transactions in memory (pandas), or SqlFeatures over a file or the shop database (duckdb, postgres)."""
    from common.db import unit_of_work
    from retention_model.shop_source import load_transactions_from_shop
    from retention_model.transactions import load_transactions_csv

    if engine_name not in ENGINES:
        raise fail(f"--engine {engine_name!r} is not one of {', '.join(ENGINES)}", 2)
    if engine_name != "pandas":
        return _open_engine(transactions, engine_name, max_customers)
    if transactions is not None:
        return run_or_fail(load_transactions_csv, transactions)
    with unit_of_work(session_factory()) as session:
        return load_transactions_from_shop(session)


def _open_engine(transactions: Path | None, engine_name: str, max_customers: int | None):  # type: ignore[no-untyped-def]
    from retention_model.pipeline import open_shop
    from retention_model.sql_sources import open_file

    if transactions is not None:
        if engine_name == "postgres":
            raise fail("--engine postgres computes features inside the shop's PostgreSQL; for a file use --engine duckdb", 2)
        return _engine_call(open_file, transactions, max_customers=max_customers)
    session_factory()  # the schema is migrated before the engine reads it
    return _engine_call(open_shop, engine(), engine_name, max_customers)


def _engine_call(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    """run_or_fail, plus engine errors (out of memory, a lost connection) as one readable line."""
    import duckdb
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return run_or_fail(func, *args, **kwargs)
    except (duckdb.Error, SQLAlchemyError) as exc:
        raise fail(f"feature engine failed: {str(exc).splitlines()[0]}") from None


def _close(data) -> None:  # type: ignore[no-untyped-def]
    from retention_model.sql_features import SqlFeatures
    from retention_model.sql_sources import close

    if isinstance(data, SqlFeatures):
        close(data)


def _fmt(metrics: dict[str, Any]) -> str:
    return "  ".join(f"{k} {metrics[k]:.4f}" for k in ("roc_auc", "pr_auc", "brier", "lift_at_10pct"))


@app.command("train")
def train_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Artifact directory to write (default: <data_dir>/models/churn).")] = None,
    transactions: TransactionsOpt = None,
    cutoff: Annotated[str | None, typer.Option("--cutoff", help="Last day of history of the latest training window (YYYY-MM-DD); its labels use the following horizon. Default: horizon days before the last order.")] = None,
    horizon_days: HorizonOpt = None,
    windows: Annotated[int, typer.Option("--windows", min=1, max=52, help="Cutoff windows stacked for training, stepping back from the latest training cutoff (--cutoff or --eval-cutoff).")] = 4,
    window_step_days: Annotated[int, typer.Option("--window-step-days", min=1, max=365, help="Days between consecutive training cutoffs.")] = 14,
    horizon_auto: Annotated[bool, typer.Option("--horizon-auto", help="Derive the horizon from the shop's gaps between purchases (80th percentile, whole weeks, 30-365 days) instead of --horizon-days.")] = False,
    eval_cutoff: Annotated[
        str | None,
        typer.Option("--eval-cutoff", help="Evaluation cutoff (YYYY-MM-DD) you will evaluate at: the latest training window then ends one horizon before it, so every training label window closes by that cutoff (no overlap). Replaces --cutoff."),
    ] = None,
    engine_name: EngineOpt = "pandas",
    max_training_rows: Annotated[
        int | None,
        typer.Option("--max-training-rows", min=100, help="Most customer-windows the engines read for training, a seeded sample per window beyond it; "
                     "pandas reads all (default: the KEEPCART_RETENTION__MAX_TRAINING_ROWS setting, 2,000,000)."),
    ] = None,
) -> None:
    """Train the churn model (and its baselines) on a CSV, or on the shop database when --transactions is omitted."""
    from retention_model.windows import per_window_limit

    out = out or settings().churn_model_dir()
    data = _load(transactions, engine_name, per_window_limit(windows, max_training_rows or settings().retention.max_training_rows))
    try:
        _train(data, out, cutoff, horizon_days, windows, window_step_days, horizon_auto, eval_cutoff, engine_name)
    finally:
        _close(data)


def _train(tx, out: Path, cutoff: str | None, horizon_days: int | None, windows: int, window_step_days: int,  # type: ignore[no-untyped-def]
           horizon_auto: bool, eval_cutoff: str | None, engine_name: str) -> None:
    from common.artifacts import hash_obj
    from retention_model.features import DAY, cutoff_boundary, latest_training_cutoff
    from retention_model.pipeline import train_churn

    if engine_name == "pandas" and tx.lines.empty:
        raise fail("no transactions to train on")
    if horizon_auto and engine_name != "pandas":
        raise fail("--horizon-auto reads every gap in memory; use it with --engine pandas, or give --horizon-days", 2)
    if horizon_auto and horizon_days:
        raise fail("give --horizon-days or --horizon-auto, not both", 2)
    horizon = horizon_days or settings().retention.horizon_days
    if horizon_auto:
        from retention_model.horizon import suggest_horizon

        before = run_or_fail(cutoff_boundary, eval_cutoff or cutoff) if (eval_cutoff or cutoff) else None
        horizon, stats = run_or_fail(suggest_horizon, tx, before)
        typer.echo(f"horizon {horizon} days: {int(stats['gaps'])} gaps between purchase days, median {stats['median_gap_days']:.0f}, 80th percentile {stats['p80_gap_days']:.0f}")
    if cutoff and eval_cutoff:
        raise fail("give --cutoff (the latest training window) or --eval-cutoff (train for that evaluation cutoff), not both", 2)
    if eval_cutoff:
        boundary = latest_training_cutoff(run_or_fail(cutoff_boundary, eval_cutoff), horizon)
    else:
        boundary = run_or_fail(cutoff_boundary, cutoff) if cutoff else cutoff_boundary(tx.end.to_pydatetime()) - horizon * DAY
    model = _engine_call(train_churn, tx, boundary, horizon, progress=True, n_windows=windows, window_step_days=window_step_days)
    data_hash = hash_obj({"data": tx.fingerprint(), "horizon_days": horizon})
    manifest = model.save(out, data_hash=data_hash)
    oof = model.train_metrics_["out_of_fold"]
    typer.echo(f"trained {manifest['id']} on {model.train_metrics_['windows']} windows ({model.n_examples_} customer-windows, churn rate {model.base_rate_:.3f}) -> {out}")
    typer.echo(f"training cutoffs (last day of history): {', '.join(str((cutoff_boundary(c) - DAY).date()) for c in model.cutoffs_)}")
    typer.echo(f"latest training labels end {(cutoff_boundary(model.cutoffs_[-1]) + (horizon - 1) * DAY).date()} (inclusive)")
    typer.echo(f"out-of-fold: {_fmt(oof)}")
    sel = model.selection_
    typer.echo(f"kept: {sel['chosen']} (ROC-AUC by {sel['source']}: " + ", ".join(f"{k} {v:.4f}" for k, v in sel["roc_auc"].items()) + ")")


@app.command("evaluate")
def evaluate_cmd(
    model_dir: Annotated[Path, typer.Option("--model", help="Churn artifact directory made by `keepcart churn train`.")],
    transactions: Annotated[Path, typer.Option("--transactions", help="Transactions CSV holding the history and the evaluation window.")],
    cutoff: Annotated[str, typer.Option("--cutoff", help="Last day of history (YYYY-MM-DD); labels come from the following horizon.")],
    report: Annotated[Path, typer.Option("--report", help="JSON report to write: roc_auc, pr_auc, brier, lift_at_10pct and the baselines'.")],
    horizon_days: HorizonOpt = None,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write one JSON line per customer: customer_id, probability, label.")] = None,
    engine_name: EngineOpt = "pandas",
) -> None:
    """Score customers active before the cutoff, compare with recency, RFM logistic regression and BG/NBD."""
    from retention_model.churn import ChurnModel
    from retention_model.evaluation import evaluate_churn
    from retention_model.features import cutoff_boundary

    model = run_or_fail(ChurnModel.load, model_dir)
    horizon = horizon_days or model.horizon_days
    tx = _load(transactions, engine_name)
    try:
        result, rows = _engine_call(evaluate_churn, model, tx, run_or_fail(cutoff_boundary, cutoff), horizon)
    finally:
        _close(tx)
    write_report(report, result, predictions, rows)
    typer.echo(f"{result['customers']} customers, churn rate {result['churn_rate']:.3f}, horizon {horizon} days after {result['cutoff']}")
    typer.echo(f"{'model':<14}{_fmt(result)}")
    for name, metrics in result["baselines"].items():
        typer.echo(f"{name:<14}{_fmt(metrics)}")
    for band, b in result["bands"].items():
        rate = "n/a" if b["churn_rate"] is None else f"{b['churn_rate']:.3f}"
        cut = f"p {b['probability'][0]:.2f}-{b['probability'][1]:.2f}" if b["probability"] else "no order in the horizon"
        typer.echo(f"band {band:<8} {cut:<24} {b['customers']:>6} customers ({b['share']:.1%})  realised churn {rate}")
    typer.echo(f"report -> {report}")


@app.command("score")
def score_cmd(
    model_dir: Annotated[Path | None, typer.Option("--model", help="Churn artifact directory (default: <data_dir>/models/churn).")] = None,
    now: Annotated[str | None, typer.Option("--now", help="Score as of this UTC time (ISO 8601; default: the current time).")] = None,
    engine_name: EngineOpt = "pandas",
) -> None:
    """Score every customer in the shop database who has ordered and store risk, value and reasons for the bot."""
    from retention_model.churn import ChurnModel
    from retention_model.pipeline import score_shop

    model = run_or_fail(ChurnModel.load, model_dir or settings().churn_model_dir())
    try:
        moment = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError:
        raise fail(f"--now {now!r} is not an ISO 8601 time", 2) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if engine_name not in ENGINES:
        raise fail(f"--engine {engine_name!r} is not one of {', '.join(ENGINES)}", 2)
    summary = _engine_call(score_shop, session_factory(), model, moment, progress=True, engine=engine_name)
    bands = summary["bands"]
    typer.echo(f"scored {summary['scored']} of {summary['customers']} customers with {summary['model_id']}: high {bands['high']}, medium {bands['medium']}, "
               f"low {bands['low']}, lapsed (no order in {model.horizon_days} days) {bands['lapsed']}")

"""`keepcart nlu train` and `keepcart nlu evaluate`: the NLU model from data files to a scored artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import fail, run_or_fail, settings

app = typer.Typer(help="Train and evaluate the intent + entity model (NLU).", no_args_is_help=True)


@app.command()
def train(
    data: Annotated[list[Path], typer.Option("--data", help="Training file(s): annotated .yml/.yaml, CSV text,intent, or JSONL {text,intent,entities}. Repeat for several.")],
    out: Annotated[Path, typer.Option("--out", help="Artifact directory to write (model.safetensors, tokenizer, labels, calibration, manifest.json).")],
    base_model: Annotated[str | None, typer.Option("--base-model", help="Hugging Face name or local path of the encoder to fine-tune (default: setting KEEPCART_NLU__BASE_MODEL).")] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Passes over the data, the learning rate annealed to zero over them (default: 6, more for small data: at least 400 steps, at most 12).")] = None,
    patience: Annotated[int | None, typer.Option("--patience", min=1, help="Stop after this many epochs without progress on the validation split (default: run every epoch of the schedule).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same data, seed and machine give the same model.")] = 13,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Messages per training step.")] = 32,
    lr: Annotated[float, typer.Option("--lr", min=0.0, help="Learning rate of the encoder (the two heads learn 20x faster).")] = 1e-4,
    validation_split: Annotated[float, typer.Option("--validation-split", min=0.0, max=0.5, help="Share of each intent held out for early stopping, calibration and the out-of-scope threshold (0 disables them).")] = 0.1,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", min=0.1, help="Stop training after this many minutes and keep the best epoch so far.")] = None,
    max_length: Annotated[int | None, typer.Option("--max-length", min=8, max=512, help="Tokens kept per message (default: setting KEEPCART_NLU__MAX_LENGTH).")] = None,
    order_pattern: Annotated[str | None, typer.Option("--order-pattern", help="Regex for the shop's order numbers (default: 10 digits starting with 10).")] = None,
    label_smoothing: Annotated[float, typer.Option("--label-smoothing", min=0.0, max=0.5, help="Label smoothing of the intent loss.")] = 0.1,
    refit: Annotated[bool, typer.Option("--refit/--no-refit", help="After validation has chosen the epochs and the calibration, train again on every example for that many epochs (about twice the training time).")] = False,
    lexical_weight: Annotated[float | None, typer.Option("--lexical-weight", min=0.0, max=0.9, help="Weight of the TF-IDF + logistic-regression model in the intent mix (0 switches it off; default: chosen on the validation split).")] = None,
    rule_entities: Annotated[str, typer.Option("--rule-entities", help="Regex extractors to run: 'auto' (those of order_id, email, amount, date that the data annotates), 'none', or a comma list.")] = "auto",
    more_files: Annotated[list[Path] | None, typer.Argument(help="More training files, so that `--data a.yml b.yml` (e.g. a shell glob) works.", show_default=False)] = None,
) -> None:
    """Fine-tune the encoder with an intent head and an entity (BIO) head, calibrate, save the artifact."""
    from bot.nlu.recipes import train_nlu

    s = settings()
    hyper: dict[str, object] = {"epochs": epochs, "patience": patience, "batch_size": batch_size, "lr": lr, "head_lr": lr * 20,
                                "validation_split": validation_split, "max_minutes": max_minutes,
                                "max_length": max_length or s.nlu.max_length, "label_smoothing": label_smoothing, "refit": refit,
                                "lexical_weight": lexical_weight}
    if order_pattern:
        hyper["order_pattern"] = order_pattern
    if rule_entities != "auto":
        hyper["rule_entities"] = [] if rule_entities == "none" else [t.strip() for t in rule_entities.split(",") if t.strip()]
    manifest = run_or_fail(train_nlu, [*data, *(more_files or [])], out, base_model or s.nlu.base_model, seed=seed, progress=True, **hyper)
    training, metrics = manifest.get("training", {}), manifest.get("metrics", {})
    typer.echo(f"model {manifest['id']} -> {out}")
    typer.echo(f"examples: {manifest['n_examples']} (train {training.get('n_train')}, validation {training.get('n_validation')}), "
               f"intents: {len(manifest['labels']['intents'])}, entities: {', '.join(manifest['labels']['entities']) or '-'}")
    typer.echo(f"epochs: {training.get('epochs_run')} (kept {training.get('kept_epoch')}, best on validation "
               f"{training.get('best_epoch')}, stopped by {training.get('stopped_by')}), "
               f"{metrics.get('train_seconds')} s")
    if training.get("refit_epochs"):
        typer.echo(f"refit on all {training.get('n_refit')} examples: {training['refit_epochs']} epochs, {training.get('refit_seconds')} s")
    if "val_intent_accuracy" in metrics:
        typer.echo(f"validation: intent accuracy {metrics['val_intent_accuracy']:.4f}, entity tag F1 {metrics['val_tag_f1']:.4f}")
    if training.get("lexical_weight"):
        mixed = training.get("val_mixed_accuracy")
        typer.echo(f"lexical mix: weight {training['lexical_weight']:.1f}, {training.get('lexical_seconds')} s"
                   + (f"; validation intent accuracy with it {mixed:.4f}" if mixed is not None else ""))
    cal = manifest["calibration"]
    typer.echo(f"calibration: temperature {cal['temperature']:.3f}, out-of-scope threshold {cal['threshold']:.2f}")


@app.command()
def evaluate(
    model: Annotated[Path, typer.Option("--model", help="Artifact directory written by `keepcart nlu train`.")],
    data: Annotated[Path, typer.Option("--data", help="Labelled test file (.yml/.yaml, .csv or .jsonl).")],
    report: Annotated[Path, typer.Option("--report", help="Where to write the JSON report.")],
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write one JSON line per example (gold and predicted intent, confidence, ranking, entities).")] = None,
    quantize: Annotated[bool, typer.Option("--quantize/--no-quantize", help="Score the dynamic int8 version of the model.")] = False,
) -> None:
    """Score a trained model: accuracy, macro-F1, per-intent and per-entity figures, out-of-scope, latency."""
    from bot.nlu.recipes import evaluate_nlu

    if not (model / "manifest.json").exists():
        raise fail(f"{model}: not an NLU model directory (no manifest.json); train one with `keepcart nlu train`")
    _, table = run_or_fail(evaluate_nlu, model, data, report, predictions, progress=True, quantize=quantize)
    typer.echo(table)
    typer.echo(f"\nreport written to {report}" + (f", predictions to {predictions}" if predictions else ""))


@app.command()
def corrections(
    out: Annotated[Path, typer.Option("--out", help="CSV (text,intent) to write: add it to the next `keepcart nlu train --data`.")],
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Corrections made in the last N days.")] = 365,
) -> None:
    """Export the intents support staff corrected in transcripts as training data."""
    import csv
    from datetime import timedelta

    from bot.policy import INTENT_ACTIONS
    from bot.staff import StaffDesk
    from bot.transcript import TranscriptStore
    from cli.context import session_factory
    from common.db import utcnow

    desk = StaffDesk(TranscriptStore(session_factory()), INTENT_ACTIONS)
    # One row per wording: the latest label wins, so training never sees one text under two intents.
    rows = list({c.text.strip().lower(): c for c in desk.corrections(utcnow() - timedelta(days=days))}.values())
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "intent"])
        writer.writerows((c.text, c.intent) for c in rows)
    by_intent: dict[str, int] = {}
    for c in rows:
        by_intent[c.intent] = by_intent.get(c.intent, 0) + 1
    summary = ", ".join(f"{intent} {n}" for intent, n in sorted(by_intent.items(), key=lambda kv: -kv[1]))
    typer.echo(f"{len(rows)} corrected message(s) from the last {days} days -> {out}" + (f" ({summary})" if rows else ""))

"""Churn on UCI Online Retail through the real CLI, beside recency, RFM logistic regression and BG/NBD.

Evaluate: cutoff 2011-09-09, horizon 90 days. Train with `--eval-cutoff 2011-09-09`: the latest training
window ends one horizon earlier (2011-06-11), so every training label window closes by the evaluation
cutoff (no overlap); stacked windows step back from it. The baselines are fitted by the same command
on exactly the same training rows; the single-window run gives the single-window baselines. Also
times scoring 100k synthetic customers.

    python benchmarks/churn_online_retail.py [--train-cutoff 2011-03-31|latest] [--windows 4] [--window-step-days 14] [--data ...online_retail.csv.gz]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"


def write_online_retail_csv(raw_path: Path, out_dir: Path = OUT) -> tuple[Path, Path]:
    """Our transactions CSV (lines without a customer dropped, C invoices as returns) and a products CSV."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tx_path, products_path = out_dir / "online_retail_transactions.csv", out_dir / "online_retail_products.csv"
    raw = pd.read_csv(raw_path, dtype={"CustomerID": str, "InvoiceNo": str, "StockCode": str, "Description": str})
    raw = raw[raw["CustomerID"].notna()].copy()
    raw["CustomerID"] = raw["CustomerID"].str.replace(r"\.0$", "", regex=True)
    is_return = raw["InvoiceNo"].str.startswith("C")
    raw = raw[is_return | (raw["Quantity"] > 0)]  # non-C negative lines are stock adjustments
    is_return = raw["InvoiceNo"].str.startswith("C")
    qty = raw["Quantity"].abs()
    value = (qty * raw["UnitPrice"]).round(2)
    tx = pd.DataFrame(
        {
            "customer_id": raw["CustomerID"], "order_id": raw["InvoiceNo"],
            "ordered_at": pd.to_datetime(raw["InvoiceDate"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "amount": value.where(~is_return, -value), "product_id": raw["StockCode"], "quantity": qty,
        }
    )
    tx.to_csv(tx_path, index=False)
    names = raw.dropna(subset=["Description"]).groupby("StockCode")["Description"].agg(lambda s: s.value_counts().index[0])
    pd.DataFrame({"product_id": names.index, "name": names.str.strip().str.capitalize().to_numpy()}).to_csv(products_path, index=False)
    return tx_path, products_path


def keepcart(*args: str) -> str:
    """Run the real CLI in a subprocess (same code path as a user), return its stdout."""
    env = {**os.environ, "KEEPCART_DATA_DIR": str(OUT / "keepcart-data"), "KEEPCART_LOG_LEVEL": "WARNING"}
    proc = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"keepcart {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def synthetic_population(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Order lines of `n` customers with varied rhythms (vectorised), for the scoring-speed test."""
    rng = np.random.default_rng(seed)
    n_orders = 1 + rng.poisson(rng.gamma(1.0, 4.0, n_customers))
    cust = np.repeat(np.arange(n_customers), n_orders)
    gaps = rng.gamma(2.0, np.repeat(rng.uniform(10, 80, n_customers), n_orders) / 2.0)
    first = np.repeat(rng.uniform(0, 500, n_customers), n_orders)
    starts = np.r_[0, np.cumsum(n_orders)[:-1]]
    csum = np.cumsum(gaps)
    offset = csum - np.repeat(csum[starts], n_orders)
    day = first + offset
    keep = day < 730
    start = pd.Timestamp("2023-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "customer_id": np.char.add("C", cust[keep].astype(str)), "order_id": np.char.add("O", np.arange(keep.sum()).astype(str)),
            "ordered_at": start + pd.to_timedelta(day[keep], unit="D"), "amount": rng.gamma(2.0, 30.0, keep.sum()).round(2),
            "product_id": np.char.add("P", rng.integers(0, 3000, keep.sum()).astype(str)), "quantity": 1.0, "status": "",
        }
    )


def time_scoring(model_dir: Path, n_customers: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from retention_model.churn import ChurnModel
    from retention_model.features import cutoff_boundary
    from retention_model.pipeline import score_customers
    from retention_model.transactions import from_frames

    tx = from_frames(synthetic_population(n_customers))
    model = ChurnModel.load(model_dir)
    start = time.perf_counter()
    scores = score_customers(model, tx, cutoff_boundary("2024-12-31"))
    elapsed = time.perf_counter() - start
    return {"customers_scored": int(len(scores)), "order_lines": int(len(tx.lines)), "seconds": round(elapsed, 2), "with_reasons": True}


EVAL_CUTOFF, HORIZON = "2011-09-09", 90


def train_and_evaluate(tx_path: Path, tag: str, extra: list[str], train_cutoff: str | None) -> dict:
    model_dir = OUT / f"churn_model_{tag}"
    t0 = time.perf_counter()
    cutoff = ["--cutoff", train_cutoff] if train_cutoff else ["--eval-cutoff", EVAL_CUTOFF]
    stdout = keepcart("churn", "train", "--transactions", str(tx_path), *cutoff, "--horizon-days", str(HORIZON), "--out", str(model_dir), *extra)
    train_s = time.perf_counter() - t0
    report_path = OUT / f"churn_eval_{tag}.json"
    keepcart("churn", "evaluate", "--model", str(model_dir), "--transactions", str(tx_path), "--cutoff", EVAL_CUTOFF, "--horizon-days", str(HORIZON),
             "--report", str(report_path), "--predictions", str(OUT / f"churn_predictions_{tag}.jsonl"))
    manifest = json.loads((model_dir / "manifest.json").read_text())
    return {**json.loads(report_path.read_text()), "train_seconds": round(train_s, 1), "model_dir": str(model_dir),
            "training_cutoffs": manifest["cutoffs"], "train_stdout": stdout}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--train-cutoff", default="2011-03-31",
                        help="latest training cutoff (the issue's example, default); 'latest' = one horizon before the evaluation cutoff")
    parser.add_argument("--windows", type=int, default=4, help="stacked training windows stepping back from the training cutoff")
    parser.add_argument("--window-step-days", type=int, default=14)
    parser.add_argument("--speed-customers", type=int, default=100_000)
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (UCI Online Retail, see ../shared/data/README.md)")
    tx_path, _ = write_online_retail_csv(args.data)
    train_cutoff = None if args.train_cutoff == "latest" else args.train_cutoff
    stacked = train_and_evaluate(tx_path, "stacked", ["--windows", str(args.windows), "--window-step-days", str(args.window_step_days)], train_cutoff)
    single = train_and_evaluate(tx_path, "single", ["--windows", "1"], train_cutoff)
    speed = time_scoring(Path(stacked["model_dir"]), args.speed_customers) if args.speed_customers else {}
    baselines = {f"{k} (stacked windows)": v for k, v in stacked["baselines"].items()}
    baselines |= {f"{k} (single window)": v for k, v in single["baselines"].items()}
    rows = [(f"ours, {args.windows} stacked windows", stacked), ("ours, single window", single)]
    rows += [(f"baseline: {k}", v) for k, v in baselines.items()]
    cut = lambda c: str((pd.Timestamp(c) - pd.Timedelta(days=1)).date())  # noqa: E731
    print(f"\nOnline Retail churn — evaluate cutoff {EVAL_CUTOFF}, horizon {HORIZON} days "
          f"({stacked['customers']} customers, churn rate {stacked['churn_rate']:.3f})")
    print(f"training cutoffs (last day of history): {cut(stacked['training_cutoffs'][0])} .. {cut(stacked['training_cutoffs'][-1])} "
          f"every {args.window_step_days} days ({len(stacked['training_cutoffs'])} windows); single window: {cut(single['training_cutoffs'][-1])}")
    print(f"{'model':<42}{'ROC-AUC':>9}{'PR-AUC':>9}{'Brier':>9}{'lift@10%':>10}")
    for name, m in rows:
        print(f"{name:<42}{m['roc_auc']:>9.4f}{m['pr_auc']:>9.4f}{m['brier']:>9.4f}{m['lift_at_10pct']:>10.3f}")
    best = max(baselines.items(), key=lambda kv: kv[1]["roc_auc"])
    best_brier = min(m["brier"] for m in baselines.values())
    for name, run in (("stacked", stacked), ("single", single)):
        print(f"ours ({name}) vs best baseline ({best[0]}): AUC {run['roc_auc'] - best[1]['roc_auc']:+.4f} (target +0.02), "
              f"Brier {run['brier'] - best[1]['brier']:+.4f} (vs best baseline Brier {run['brier'] - best_brier:+.4f}; target <= 0)")
    print(f"training: stacked {stacked['train_seconds']} s, single {single['train_seconds']} s")
    if speed:
        print(f"scoring {speed['customers_scored']} synthetic customers ({speed['order_lines']} order lines) with reasons: {speed['seconds']} s (target <= 60 s)")
    report = {"data": str(args.data), "eval_cutoff": EVAL_CUTOFF, "horizon_days": HORIZON, "runs": {"stacked": stacked, "single": single},
              "baselines": baselines, "best_baseline": best[0], "auc_margin": stacked["roc_auc"] - best[1]["roc_auc"],
              "brier_margin": stacked["brier"] - best[1]["brier"], "scoring_speed": speed}
    (OUT / "churn_online_retail.json").write_text(json.dumps(report, indent=2))
    print(f"report -> {OUT / 'churn_online_retail.json'}")


if __name__ == "__main__":
    main()

"""Churn on UCI Online Retail through the real CLI, beside recency, RFM logistic regression and BG/NBD.

Train: cutoff 2011-03-31 (stacked windows before it), horizon 90 days. Evaluate: cutoff 2011-09-09,
horizon 90 days — a later, non-overlapping window. Also times scoring 100k synthetic customers.

    python benchmarks/churn_online_retail.py [--data ../shared/data/online_retail/online_retail.csv.gz]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--speed-customers", type=int, default=100_000)
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data}: not found (UCI Online Retail, see ../shared/data/README.md)")
    tx_path, _ = write_online_retail_csv(args.data)
    runs = {"stacked (4 windows)": ["--windows", "4"], "single window": ["--windows", "1"]}
    results: dict[str, dict] = {}
    for name, extra in runs.items():
        model_dir = OUT / f"churn_model_{extra[1]}w"
        t0 = time.perf_counter()
        keepcart("churn", "train", "--transactions", str(tx_path), "--cutoff", "2011-03-31", "--horizon-days", "90", "--out", str(model_dir), *extra)
        train_s = time.perf_counter() - t0
        report_path = OUT / f"churn_eval_{extra[1]}w.json"
        keepcart("churn", "evaluate", "--model", str(model_dir), "--transactions", str(tx_path), "--cutoff", "2011-09-09", "--horizon-days", "90",
                 "--report", str(report_path), "--predictions", str(OUT / f"churn_predictions_{extra[1]}w.jsonl"))
        results[name] = {**json.loads(report_path.read_text()), "train_seconds": round(train_s, 1), "model_dir": str(model_dir)}
    main_run = results["stacked (4 windows)"]
    speed = time_scoring(Path(main_run["model_dir"]), args.speed_customers)
    rows = [("ours, stacked windows", main_run), ("ours, single window", results["single window"])]
    rows += [(f"baseline: {k}", v) for k, v in main_run["baselines"].items()]
    print(f"\nOnline Retail churn — train cutoff 2011-03-31, evaluate cutoff 2011-09-09, horizon 90 days "
          f"({main_run['customers']} customers, churn rate {main_run['churn_rate']:.3f})")
    print(f"{'model':<28}{'ROC-AUC':>9}{'PR-AUC':>9}{'Brier':>9}{'lift@10%':>10}")
    for name, m in rows:
        print(f"{name:<28}{m['roc_auc']:>9.4f}{m['pr_auc']:>9.4f}{m['brier']:>9.4f}{m['lift_at_10pct']:>10.3f}")
    best = max(main_run["baselines"].items(), key=lambda kv: kv[1]["roc_auc"])
    margin = main_run["roc_auc"] - best[1]["roc_auc"]
    print(f"margin over best baseline ({best[0]}): AUC {margin:+.4f} (target +0.02), Brier {main_run['brier'] - best[1]['brier']:+.4f} (target <= 0)")
    print(f"scoring {speed['customers_scored']} synthetic customers ({speed['order_lines']} order lines) with reasons: {speed['seconds']} s (target <= 60 s)")
    report = {"data": str(args.data), "train_cutoff": "2011-03-31", "eval_cutoff": "2011-09-09", "horizon_days": 90, "runs": results,
              "best_baseline": best[0], "auc_margin": margin, "brier_margin": main_run["brier"] - best[1]["brier"], "scoring_speed": speed}
    (OUT / "churn_online_retail.json").write_text(json.dumps(report, indent=2))
    print(f"report -> {OUT / 'churn_online_retail.json'}")


if __name__ == "__main__":
    main()

"""Churn features and scoring at shop scale: a synthetic shop generated as Parquet by DuckDB SQL, then
featurised, trained and scored with the SQL engine (and, for comparison, with pandas).

    nice -n 19 python benchmarks/churn_scale.py --customers 100000 --lines-per-customer 10 --compare-pandas
    nice -n 19 python benchmarks/churn_scale.py --customers 1000000 --lines-per-customer 10
    python benchmarks/churn_scale.py --customers 5000000 --lines-per-customer 10 --memory-limit 3GB
    python benchmarks/churn_scale.py --customers 5000000 --engine postgres --database-url postgresql://postgres@127.0.0.1/test

Each engine runs in its own process, so the peak RSS reported (resource.getrusage) is that engine's; with
`--engine postgres` the lines are copied into a table of a scratch schema of that database first (dropped at
the end) and the same feature queries run inside PostgreSQL (its server memory is not in the Python RSS).
The shop: per customer a first purchase day, a mean gap (inter-purchase times are gamma(2)-distributed
around it) and a churn hazard (each order is the last with probability p); baskets of one or more lines
from the customer's favourite corner of the catalogue; 3% of orders returned, 2% cancelled.
Writes <out>/report.json: seconds per phase, peak RSS per process, rows.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = "2023-01-01"


def _u(expr: str) -> str:
    """A deterministic uniform in (0, 1) from a hash: parallel-safe, unlike a seeded random()."""
    return f"((hash({expr}) % 1000003) + 0.5) / 1000003.0"


def generate_sql(customers: int, lines_per_customer: float, days: int, seed: int, path: Path) -> str:
    basket = 2.5  # mean lines per order
    mean_orders = max(1.0, 1.35 * lines_per_customer / basket)  # some orders fall after the end of the data
    return f"""
COPY (
WITH cust AS (
  SELECT i AS c,
         {_u(f"i * 7 + {seed}")} * {days} * 0.8 AS first_day,
         5 + 85 * {_u(f"i * 11 + {seed}")} AS mean_gap,
         LEAST(0.95, GREATEST(0.02, (0.4 + 1.2 * {_u(f"i * 13 + {seed}")}) / {mean_orders})) AS p_stop
  FROM range({customers}) t(i)
), counts AS (
  SELECT c, first_day, mean_gap, LEAST(200, 1 + CAST(FLOOR(LN({_u(f"c * 17 + {seed}")}) / LN(1 - p_stop)) AS BIGINT)) AS n_orders FROM cust
), ord AS (
  SELECT c, first_day, mean_gap, UNNEST(range(n_orders)) AS k FROM counts
), timed AS (
  SELECT c, k, first_day + SUM(CASE WHEN k = 0 THEN 0 ELSE -LN({_u(f"c * 1009 + k * 3 + {seed}")} * {_u(f"c * 1013 + k * 5 + {seed}")}) * mean_gap / 2 END)
         OVER (PARTITION BY c ORDER BY k ROWS UNBOUNDED PRECEDING) AS day
  FROM ord
), kept AS (
  SELECT c, k, day, 1 + CAST(FLOOR(-LN({_u(f"c * 31 + k * 7 + {seed}")}) * {basket - 1}) AS BIGINT) AS n_lines,
         {_u(f"c * 37 + k * 11 + {seed}")} AS s
  FROM timed WHERE day < {days}
), lines AS (
  SELECT c, k, day, s, UNNEST(range(n_lines)) AS j FROM kept
)
SELECT printf('C%08d', c) AS customer_id, printf('O%08d-%03d', c, k) AS order_id,
       TIMESTAMPTZ '{START} 00:00:00+00' + to_microseconds(CAST(day * 86400000000 AS BIGINT)) AS ordered_at,
       ROUND(2 + 60 * {_u(f"(c % 400) * 40 + j + {seed}")}, 2) * (1 + CAST(FLOOR(2 * {_u("c * 41 + k * 13 + j")}) AS BIGINT)) AS amount,
       printf('P%05d', (c % 400) * 12 + CAST(FLOOR(20 * {_u("c * 43 + k * 17 + j")}) AS BIGINT)) AS product_id,
       CAST(1 + FLOOR(2 * {_u("c * 41 + k * 13 + j")}) AS DOUBLE) AS quantity,
       CASE WHEN s < 0.03 THEN 'returned' WHEN s < 0.05 THEN 'cancelled' ELSE 'delivered' END AS status
FROM lines
) TO '{path}' (FORMAT parquet)
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def phase_generate(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    path = args.out / "lines.parquet"
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(f"SET temp_directory = '{args.out / 'tmp'}'")
    t = time.perf_counter()
    con.execute(generate_sql(args.customers, args.lines_per_customer, args.days, args.seed, path))
    seconds = time.perf_counter() - t
    stats = con.execute(f"SELECT COUNT(*), COUNT(DISTINCT customer_id), COUNT(DISTINCT order_id), MAX(ordered_at) FROM read_parquet('{path}')").fetchone()
    assert stats is not None
    return {"seconds": {"generate": seconds}, "lines": int(stats[0]), "customers": int(stats[1]), "orders": int(stats[2]),
            "last_order": str(stats[3]), "parquet_mb": path.stat().st_size / 2**20, "peak_rss_mb": peak_rss_mb()}


def _cutoffs(args: argparse.Namespace) -> tuple[Any, Any]:
    import pandas as pd

    end = pd.Timestamp(START, tz="UTC") + pd.Timedelta(days=args.days)
    return end - pd.Timedelta(days=args.horizon), end  # last training cutoff, scoring time


PG_SCHEMA = "kc_churn_scale"


def phase_load_pg(args: argparse.Namespace) -> dict[str, Any]:
    """The generated lines copied into PostgreSQL (DuckDB writes CSV, COPY reads it), with the engines' column types."""
    import duckdb
    import psycopg

    csv_path = args.out / "lines_pg.csv"
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"COPY (SELECT customer_id, order_id, epoch_us(ordered_at) AS at_us, amount, product_id, quantity, status "
                f"FROM read_parquet('{args.out / 'lines.parquet'}')) TO '{csv_path}' (HEADER false)")
    seconds = {"export_csv": time.perf_counter() - t}
    t = time.perf_counter()
    with psycopg.connect(args.database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as pg:
        pg.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        pg.execute(f"CREATE SCHEMA {PG_SCHEMA}")
        pg.execute(f"CREATE UNLOGGED TABLE {PG_SCHEMA}.lines (customer_id text, order_id text, at_us bigint, amount double precision, "
                   "product_id text, quantity double precision, status text)")
        done = 0
        with open(csv_path, "rb") as fh, pg.cursor().copy(f"COPY {PG_SCHEMA}.lines FROM STDIN (FORMAT csv)") as copy:
            while block := fh.read(1 << 24):
                copy.write(block)
                done += len(block)
                if done % (1 << 30) < (1 << 24):
                    log(f"postgres: copied {done / 2**30:.0f} GB")
        pg.execute(f"ANALYZE {PG_SCHEMA}.lines")
    csv_path.unlink()
    seconds["copy"] = time.perf_counter() - t
    log(f"postgres: lines loaded in {seconds['copy']:.0f}s")
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def _open(args: argparse.Namespace) -> Any:
    from retention_model.sql_sources import open_file
    from retention_model.windows import per_window_limit

    limit = per_window_limit(args.windows, args.max_training_rows)
    if args.engine == "postgres":
        from common.db import make_engine
        from retention_model.sql_features import SqlFeatures
        from retention_model.sql_sources import PgRunner

        runner = PgRunner(make_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)))
        return SqlFeatures(runner, f"{PG_SCHEMA}.lines", source="postgres", max_customers=limit, bucket_lines=args.bucket_lines)
    return open_file(args.out / "lines.parquet", max_customers=limit, memory_limit=args.memory_limit, threads=args.threads,
                     workdir=args.out, bucket_lines=args.bucket_lines)


def phase_train(args: argparse.Namespace) -> dict[str, Any]:
    """Train with the engine on sampled customer-windows (its own process: its peak RSS is training's)."""
    from retention_model.pipeline import train_churn
    from retention_model.sql_sources import close

    seconds: dict[str, float] = {}
    last_train, _ = _cutoffs(args)
    t = time.perf_counter()
    feats = _open(args)
    seconds["open"] = time.perf_counter() - t
    t = time.perf_counter()
    model = train_churn(feats, last_train, args.horizon, n_windows=args.windows, max_iter=args.max_iter)
    seconds["train"] = time.perf_counter() - t
    model.save(args.out / "model")
    log(f"engine: trained on {model.n_examples_} customer-windows in {seconds['train']:.1f}s")
    close(feats)
    return {"seconds": seconds, "training_rows": int(model.n_examples_), "peak_rss_mb": peak_rss_mb()}


def phase_engine(args: argparse.Namespace) -> dict[str, Any]:
    """Features and scores of every customer with the engine, a chunk at a time."""
    from retention_model.churn import ChurnModel
    from retention_model.pipeline import score_chunks
    from retention_model.sql_sources import close

    seconds: dict[str, float] = {}
    _, now = _cutoffs(args)
    model = ChurnModel.load(args.out / "model")
    t = time.perf_counter()
    feats = _open(args)
    seconds["open"] = time.perf_counter() - t
    log(f"engine: opened {feats.n_lines} lines in {seconds['open']:.1f}s")
    t = time.perf_counter()
    n = feats.count(now, args.horizon)
    seconds["features_materialise"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = sum(len(X) for X in feats.feature_chunks(now, args.horizon))
    seconds["features_stream"] = time.perf_counter() - t
    log(f"engine: features of {n} customers: {seconds['features_materialise']:.1f}s in the engine + {seconds['features_stream']:.1f}s streamed")
    t = time.perf_counter()
    scored = 0
    with open(args.out / "scores_engine.csv", "w") as fh:
        for i, chunk in enumerate(score_chunks(model, feats, now)):
            chunk.drop(columns="reasons").to_csv(fh, header=i == 0, index=False)
            scored += len(chunk)
    seconds["score"] = time.perf_counter() - t
    log(f"engine: scored {scored} customers in {seconds['score']:.1f}s (features included)")
    close(feats)
    return {"seconds": seconds, "customers_featurised": rows, "scored": scored, "peak_rss_mb": peak_rss_mb()}


def phase_pandas(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    from retention_model.churn import ChurnModel
    from retention_model.features import build_features
    from retention_model.pipeline import score_customers
    from retention_model.transactions import from_frames

    seconds: dict[str, float] = {}
    _, now = _cutoffs(args)
    t = time.perf_counter()
    frame = duckdb.connect().execute(f"SELECT * FROM read_parquet('{args.out / 'lines.parquet'}')").fetchdf()
    tx = from_frames(frame, source="lines.parquet")
    del frame
    seconds["load"] = time.perf_counter() - t
    log(f"pandas: loaded {len(tx.lines)} lines in {seconds['load']:.1f}s")
    t = time.perf_counter()
    X = build_features(tx, now, args.horizon)
    seconds["features"] = time.perf_counter() - t
    log(f"pandas: features of {len(X)} customers in {seconds['features']:.1f}s")
    model = ChurnModel.load(args.out / "model")
    t = time.perf_counter()
    scores = score_customers(model, tx, now)
    scores.drop(columns="reasons").to_csv(args.out / "scores_pandas.csv", index=False)
    seconds["score"] = time.perf_counter() - t
    log(f"pandas: scored {len(scores)} customers in {seconds['score']:.1f}s (features again included)")
    return {"seconds": seconds, "customers_featurised": len(X), "scored": len(scores), "peak_rss_mb": peak_rss_mb()}


def phase_drop_pg(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(args.database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as pg:
        pg.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
    return {"seconds": {}, "peak_rss_mb": peak_rss_mb()}


def compare(out: Path) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    a = pd.read_csv(out / "scores_engine.csv", dtype={"customer_id": str}).set_index("customer_id").sort_index()
    b = pd.read_csv(out / "scores_pandas.csv", dtype={"customer_id": str}).set_index("customer_id").sort_index()
    same = a.index.equals(b.index)
    diff = float(np.max(np.abs(a["churn_probability"].to_numpy() - b["churn_probability"].to_numpy()))) if same else float("nan")
    return {"same_customers": bool(same), "max_abs_probability_diff": diff, "same_bands": bool(same and (a["risk_band"] == b["risk_band"]).all())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines-per-customer", type=float, default=10.0)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--horizon", type=int, default=90)
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--max-training-rows", type=int, default=200_000)
    parser.add_argument("--max-iter", type=int, default=100, help="boosting iterations (the model's default is 200)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's memory limit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=["duckdb", "postgres"], default="duckdb")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL for --engine postgres (a scratch schema is created there)")
    parser.add_argument("--bucket-lines", type=int, default=None, help="order lines per bucket of customers (default: the library's)")
    parser.add_argument("--compare-pandas", action="store_true", help="also featurise and score in memory with pandas, and compare")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "churn_scale")
    parser.add_argument("--phase", choices=["generate", "load_pg", "train", "engine", "pandas", "drop_pg"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s", datefmt="%H:%M:%S")  # the engine's bucket progress
    if args.engine == "postgres" and not args.database_url:
        parser.error("--engine postgres needs --database-url")
    if args.bucket_lines is None:
        from retention_model.sql_features import BUCKET_LINES

        args.bucket_lines = BUCKET_LINES
    args.out.mkdir(parents=True, exist_ok=True)
    if args.phase:
        result = {"generate": phase_generate, "load_pg": phase_load_pg, "train": phase_train, "engine": phase_engine,
                  "pandas": phase_pandas, "drop_pg": phase_drop_pg}[args.phase](args)
        (args.out / f"{args.phase}.json").write_text(json.dumps(result, indent=2))
        return
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}
    pg = ["load_pg"] if args.engine == "postgres" else []
    phases = ["generate", *pg, "train", "engine"] + (["pandas"] if args.compare_pandas else []) + (["drop_pg"] if pg else [])
    for phase in phases:
        log(f"--- {phase}")
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--phase", phase], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        report[phase] = json.loads((args.out / f"{phase}.json").read_text())
        report[phase]["wall_seconds"] = time.perf_counter() - t
        log(f"{phase}: {report[phase]['seconds']} peak RSS {report[phase]['peak_rss_mb']:.0f} MB")
    if args.compare_pandas:
        report["comparison"] = compare(args.out)
        log(f"comparison: {report['comparison']}")
    report["load_avg_end"] = os.getloadavg()
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    log(f"report -> {args.out / 'report.json'}")


if __name__ == "__main__":
    main()

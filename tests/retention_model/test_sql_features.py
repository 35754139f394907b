"""The SQL features equal `build_features` on the same data, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from common.db import make_engine
from common.errors import DataFileErrors, InvalidInput
from retention_model.features import FEATURES, build_features, churn_labels
from retention_model.pipeline import score_shop, train_churn
from retention_model.shop_source import load_transactions_from_shop
from retention_model.sql_features import SqlFeatures, to_us
from retention_model.sql_sources import PgRunner, close, open_file, open_shop_duckdb, open_shop_postgres
from retention_model.tables import CustomerScore
from retention_model.transactions import load_transactions_csv
from tests.retention_model.factories import START, fill_shop, synthetic_lines

PG_URL = os.environ.get("KEEPCART_TEST_DATABASE_URL", "")
CUTOFFS = [START + pd.Timedelta(days=d) for d in (200, 420)]
COLUMNS = [*FEATURES, "expected_value"]


def tricky_lines(n_customers: int = 300) -> pd.DataFrame:
    """Synthetic histories plus returns, cancellations, same-day and same-time orders and lines without a product."""
    lines = synthetic_lines(n_customers, days=540, seed=3)
    rng = np.random.default_rng(7)
    orders = lines.drop_duplicates("order_id").reset_index(drop=True)
    extra = []
    for i, row in orders.sample(frac=0.12, random_state=1).iterrows():
        kind = i % 6
        at = row["ordered_at"]
        if kind == 0:  # a refund as a negative line, a week later
            extra.append((row["customer_id"], f"R{i}", at + pd.Timedelta(days=7), -float(rng.uniform(5, 20)), row["product_id"], 1.0, ""))
        elif kind == 1:  # a second order the same day, a few hours later
            extra.append((row["customer_id"], f"S{i}", at + pd.Timedelta(hours=3), float(rng.uniform(5, 40)), row["product_id"], 2.0, ""))
        elif kind == 2:  # a cancelled order
            extra.append((row["customer_id"], f"C{i}", at + pd.Timedelta(days=2), 30.0, row["product_id"], 1.0, "cancelled"))
        elif kind == 3:  # a returned order
            extra.append((row["customer_id"], f"T{i}", at + pd.Timedelta(days=3), 12.5, row["product_id"], 1.0, "returned"))
        elif kind == 4:  # a line without a product
            extra.append((row["customer_id"], row["order_id"], at, 4.0, None, 1.0, ""))
        else:  # another order at the very same time (order ids in file order)
            extra.append((row["customer_id"], f"{row['order_id']}~", at, 9.0, row["product_id"], 1.0, "refunded" if i % 12 == 5 else ""))
    out = pd.concat([lines, pd.DataFrame(extra, columns=lines.columns)], ignore_index=True)
    return out.sort_values(["customer_id", "ordered_at"], kind="stable").reset_index(drop=True)


def assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.columns) == COLUMNS
    assert got.index.tolist() == expected.index.tolist()
    for col in COLUMNS:
        a, b = expected[col].to_numpy(dtype=float), got[col].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        # expected_value: the Gamma-Gamma fit (numerical gradients) turns last-bit differences of summed spend into ~1e-4
        rtol = 1e-3 if col == "expected_value" else 1e-7
        np.testing.assert_allclose(b[~np.isnan(b)], a[~np.isnan(a)], rtol=rtol, atol=1e-9, err_msg=col)


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "tx.csv"
    frame = tricky_lines()
    frame["ordered_at"] = frame["ordered_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(path, index=False)
    return path


def test_duckdb_over_csv_matches_pandas(csv_file: Path) -> None:
    tx = load_transactions_csv(csv_file)
    feats = open_file(csv_file)
    try:
        assert feats.start == tx.start and feats.end == tx.end
        for cutoff in CUTOFFS:
            expected = build_features(tx, cutoff, 60)
            got = feats.features(cutoff, 60)
            assert (expected["returns_n"] > 0).sum() > 10 and (expected["cancelled_n"] > 0).sum() > 5 and (expected["n_orders"] == 1).sum() > 5
            assert_same(expected, got)
            np.testing.assert_array_equal(feats.labels(cutoff, 60, got.index), churn_labels(tx, cutoff, 60, expected.index))
    finally:
        close(feats)


def test_buckets_of_customers_give_the_same_features(csv_file: Path) -> None:
    """A large shop is featurised a bucket of customers at a time; product repeat rates still span all of them."""
    tx = load_transactions_csv(csv_file)
    feats = open_file(csv_file, bucket_lines=len(tx.lines) // 5)
    try:
        assert feats.buckets == 6
        sizes = feats.runner.con.execute(f"SELECT bucket, COUNT(DISTINCT customer_id) FROM {feats.orders_table} GROUP BY bucket").fetchall()
        assert len(sizes) == 6 and min(n for _, n in sizes) > 20
        for cutoff in CUTOFFS:
            expected = build_features(tx, cutoff, 60)
            got = feats.features(cutoff, 60)
            assert_same(expected, got)
            np.testing.assert_array_equal(feats.labels(cutoff, 60, got.index), churn_labels(tx, cutoff, 60, expected.index))
    finally:
        close(feats)


def test_a_training_sample_computes_only_the_buckets_it_needs_and_scoring_all(csv_file: Path) -> None:
    """Buckets are random samples of customers: a window keeping a few computes one bucket, not six."""
    tx = load_transactions_csv(csv_file)
    feats = open_file(csv_file, bucket_lines=len(tx.lines) // 5, max_customers=5)
    try:
        cutoff = CUTOFFS[-1]
        bucket0 = {r[0] for r in feats.runner.con.execute(f"SELECT DISTINCT customer_id FROM {feats.orders_table} WHERE bucket = 0").fetchall()}
        sampled = feats.features(cutoff, 60)
        assert 0 < len(sampled) <= 5 and set(sampled.index) <= bucket0
        expected = build_features(tx, cutoff, 60)
        own = ["recency_days", "tenure_days", "n_orders", "spend_total"]  # a customer's own history, not the shop's
        np.testing.assert_allclose(sampled[own].to_numpy(dtype=float), expected.loc[sampled.index, own].to_numpy(dtype=float))
        everyone = pd.concat(list(feats.feature_chunks(cutoff, 60)))  # scoring: every bucket
        assert len(everyone) == feats.count(cutoff, 60) == len(expected)
    finally:
        close(feats)


def test_chunks_and_samples_are_the_same_rows(csv_file: Path) -> None:
    feats = open_file(csv_file)
    feats.chunk_rows = 64
    try:
        whole = feats.features(CUTOFFS[1], 60)
        chunks = list(feats.feature_chunks(CUTOFFS[1], 60))
        assert len(chunks) > 2
        assert_same(whole, pd.concat(chunks))
        feats.max_customers = 50
        sample = feats.features(CUTOFFS[1], 60)
        assert len(sample) == 50 and sample.index.is_unique
        assert_same(whole.loc[sample.index], sample)
    finally:
        close(feats)


def test_documented_tie_break_same_instant_orders_by_order_id(tmp_path: Path) -> None:
    """Two orders at one microsecond: the SQL takes the larger order id as the latest (pandas: file order)."""
    path = tmp_path / "tie.csv"
    path.write_text("customer_id,order_id,ordered_at,amount\nA,o2,2024-01-01T10:00:00Z,20\nA,o1,2024-01-01T10:00:00Z,5\nA,o0,2023-12-01T10:00:00Z,7\n")
    feats = open_file(path)
    try:
        got = feats.features(pd.Timestamp("2024-02-01", tz="UTC"), 30)
    finally:
        close(feats)
    assert got.loc["A", "spend_last"] == 20.0
    assert build_features(load_transactions_csv(path), pd.Timestamp("2024-02-01", tz="UTC"), 30).loc["A", "spend_last"] == 5.0


def test_bad_csv_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,ordered_at,amount,status\nA,2024-01-01,10,\nB,yesterday,5,\nC,2024-01-02,ten,\nD,2024-01-03,3,lost\n")
    with pytest.raises(DataFileErrors) as err:
        open_file(path)
    message = str(err.value)
    assert f"{path}:3: ordered_at 'yesterday'" in message and f"{path}:4: amount 'ten'" in message and f"{path}:5: status 'lost'" in message
    missing = tmp_path / "missing.csv"
    missing.write_text("customer,ordered_at,amount\nA,2024-01-01,10\n")
    with pytest.raises(InvalidInput, match=r"missing.csv:1: missing column\(s\) customer_id"):
        open_file(missing)


def test_duckdb_over_parquet_matches_csv(csv_file: Path, tmp_path: Path) -> None:
    import duckdb

    parquet = tmp_path / "tx.parquet"
    duckdb.sql(f"COPY (SELECT * REPLACE (CAST(ordered_at AS TIMESTAMPTZ) AS ordered_at) FROM read_csv('{csv_file}')) TO '{parquet}' (FORMAT parquet)")
    a, b = open_file(csv_file), open_file(parquet)
    try:
        assert_same(a.features(CUTOFFS[1], 60), b.features(CUTOFFS[1], 60))
    finally:
        close(a)
        close(b)


# -- the shop database: streamed into DuckDB, or queried inside PostgreSQL ----------------------


@pytest.mark.parametrize("engine_kind", ["duckdb", "postgres"])
def test_shop_features_match_pandas(engine: Engine, engine_kind: str) -> None:
    if engine_kind == "postgres" and engine.dialect.name != "postgresql":
        pytest.skip("the postgres engine runs on a PostgreSQL shop only")
    fill_shop(engine)
    with Session(engine) as session:
        tx = load_transactions_from_shop(session)
    feats = open_shop_duckdb(engine, chunk_rows=97) if engine_kind == "duckdb" else open_shop_postgres(engine)
    try:
        for cutoff in CUTOFFS:
            expected = build_features(tx, cutoff, 90)
            assert expected["n_categories"].notna().all() and (expected["cancelled_n"] > 0).any() and (expected["returns_n"] > 0).any()
            assert (expected["complaints_n"] > 0).any() and (expected["escalations_n"] > 0).any()
            assert_same(expected, feats.features(cutoff, 90))
    finally:
        close(feats)


@pytest.mark.parametrize("buckets", [1, 4])
def test_postgres_lines_match_pandas(csv_file: Path, buckets: int) -> None:
    """The same SQL inside PostgreSQL over a lines table with negative amounts and line statuses, whole or by buckets."""
    if not PG_URL:
        pytest.skip("KEEPCART_TEST_DATABASE_URL not set")
    tx = load_transactions_csv(csv_file)
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    lines = tx.lines.assign(at_us=[to_us(t) for t in tx.lines["ordered_at"]]).drop(columns="ordered_at")
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE TABLE "{schema}".lines (customer_id text, order_id text, at_us bigint, amount double precision, '
                          "product_id text, quantity double precision, status text)"))
        conn.execute(text(f'INSERT INTO "{schema}".lines VALUES (:customer_id, :order_id, :at_us, :amount, :product_id, :quantity, :status)'),
                     [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in lines.to_dict("records")])
    try:
        runner = PgRunner(admin)
        feats = SqlFeatures(runner, f'"{schema}".lines', chunk_rows=50, bucket_lines=-(-len(lines) // buckets))
        try:
            assert feats.buckets == buckets
            assert (feats.bucketed_lines is not None) == (buckets > 1)  # copied once, sorted by bucket, not re-read per bucket
            for cutoff in CUTOFFS:
                assert_same(build_features(tx, cutoff, 60), feats.features(cutoff, 60))
        finally:
            close(feats)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_score_shop_in_engine_writes_the_same_scores(sessions: sessionmaker[Session]) -> None:
    engine = sessions.kw["bind"]
    fill_shop(engine)
    with Session(engine) as session:
        tx = load_transactions_from_shop(session)
    model = train_churn(tx, CUTOFFS[1], 60, n_windows=2, max_iter=30)
    now = (CUTOFFS[1] + pd.Timedelta(days=30)).to_pydatetime()
    by_engine = {}
    for kind in ["pandas", "duckdb"] + (["postgres"] if engine.dialect.name == "postgresql" else []):
        summary = score_shop(sessions, model, now, tx=tx if kind == "pandas" else None, engine=kind)
        with Session(engine) as session:
            rows = session.execute(select(CustomerScore.customer_id, CustomerScore.churn_probability, CustomerScore.risk_band, CustomerScore.expected_value)
                                   .order_by(CustomerScore.customer_id)).all()
            session.execute(delete(CustomerScore))
            session.commit()
        by_engine[kind] = (summary, rows)
    pandas_summary, pandas_rows = by_engine.pop("pandas")
    assert pandas_summary["scored"] > 50
    for summary, rows in by_engine.values():
        assert summary["scored"] == pandas_summary["scored"] and summary["customers"] == pandas_summary["customers"]
        assert [r[0] for r in rows] == [r[0] for r in pandas_rows]
        np.testing.assert_allclose([r[1] for r in rows], [r[1] for r in pandas_rows], rtol=1e-6)
        np.testing.assert_allclose([r[3] for r in rows], [r[3] for r in pandas_rows], rtol=1e-3)


def test_semicolon_export_without_order_ids_matches_pandas(tmp_path: Path) -> None:
    """A spreadsheet export: semicolons, decimal commas, no order_id (one order per customer and second), no status."""
    frame = synthetic_lines(80, days=400, seed=11)
    path = tmp_path / "export.csv"
    rows = [f"{r.customer_id};{r.ordered_at.strftime('%Y-%m-%d %H:%M:%S')};{r.amount:.2f}".replace(".", ",") + f";{r.product_id};{1 + i % 3}"
            for i, r in enumerate(frame.itertuples())]
    path.write_text("Customer_ID;Ordered_At;Amount;Product_ID;Quantity\n" + "\n".join(rows) + "\n")
    tx = load_transactions_csv(path)
    feats = open_file(path)
    try:
        cutoff = START + pd.Timedelta(days=300)
        assert_same(build_features(tx, cutoff, 60), feats.features(cutoff, 60))
    finally:
        close(feats)


def test_bad_parquet_names_the_file_and_row(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "bad.parquet"
    duckdb.sql(f"COPY (SELECT * FROM (VALUES ('A', TIMESTAMP '2024-01-01', 3.0), ('', TIMESTAMP '2024-01-02', 4.0)) t(customer_id, ordered_at, amount)) "
               f"TO '{path}' (FORMAT parquet)")
    with pytest.raises(DataFileErrors, match=r"bad.parquet:2: empty customer_id"):
        open_file(path)
    garbage = tmp_path / "garbage.parquet"
    garbage.write_text("not parquet")
    with pytest.raises(InvalidInput, match=r"garbage.parquet: not a readable Parquet file"):
        open_file(garbage)

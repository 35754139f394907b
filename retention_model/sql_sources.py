"""Where the SQL features run: DuckDB over CSV/Parquet exports or a copy of the shop, or the shop's PostgreSQL.

Each opener returns a `SqlFeatures` whose `lines` relation has the columns of `Transactions.lines`
(times as epoch microseconds), so one set of feature queries serves every source.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb
import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from common.errors import DataFileError, DataFileErrors, InvalidInput
from retention_model.shop_source import load_contacts
from retention_model.sql_features import BUCKET_LINES, DIALECTS, Dialect, SqlFeatures
from retention_model.transactions import CANCEL_STATUSES, KNOWN_STATUSES, OPTIONAL, REQUIRED, RETURN_STATUSES, _delimiter
from shop.tables import Order, OrderLine, Product

if TYPE_CHECKING:
    import psycopg

ENGINES = ("pandas", "duckdb", "postgres")
SHOP_LINES_SQL = """
SELECT o.customer_id, o.id AS order_id, {at} AS at_us,
  CASE WHEN l.product_id IS NULL THEN CAST(o.total AS DOUBLE PRECISION)
       ELSE CAST(l.quantity AS DOUBLE PRECISION) * CAST(l.unit_price AS DOUBLE PRECISION) END AS amount,
  l.product_id, CASE WHEN l.product_id IS NULL THEN 1.0 ELSE CAST(l.quantity AS DOUBLE PRECISION) END AS quantity,
  LOWER(COALESCE(o.status, '')) AS status
FROM {orders} o LEFT JOIN {order_lines} l ON l.order_id = o.id
"""


class _Statements:
    """`execute` and `row` over one `_run(sql)` that returns something with `fetchone()`."""

    def _run(self, sql: str) -> Any:
        raise NotImplementedError

    def execute(self, sql: str) -> None:
        self._run(sql)

    def row(self, sql: str) -> tuple[Any, ...]:
        found = self._run(sql).fetchone()
        return tuple(found) if found is not None else ()


class DuckRunner(_Statements):
    """An in-process DuckDB on a scratch file (tables larger than memory spill to disk), times in UTC."""

    dialect: Dialect = DIALECTS["duckdb"]

    def __init__(self, memory_limit: str = "2GB", threads: int = 2, workdir: Path | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="keepcart-duckdb-", dir=workdir))
        self.con = duckdb.connect(str(self._dir / "features.duckdb"))
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET preserve_insertion_order = true")

    def _run(self, sql: str) -> Any:
        return self.con.execute(sql)

    def frames(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        cursor = self.con.cursor()
        result = cursor.execute(sql)
        vectors = max(1, chunk_rows // 2048)
        try:
            while True:
                frame = result.fetch_df_chunk(vectors)
                if frame.empty:
                    return
                for lo in range(0, len(frame), chunk_rows):  # DuckDB hands out whole vectors of 2048 rows
                    yield frame.iloc[lo : lo + chunk_rows]
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)


class PgRunner(_Statements):
    """One PostgreSQL connection (temporary tables are per connection); results stream from a server-side cursor."""

    dialect: Dialect = DIALECTS["postgresql"]

    def __init__(self, engine: Engine, work_mem_mb: int = 256) -> None:
        if engine.dialect.name != "postgresql":
            raise InvalidInput(f"--engine postgres needs a PostgreSQL shop database, not {engine.dialect.name}")
        self.conn: Connection = engine.connect()
        self.conn.exec_driver_sql("SET TIME ZONE 'UTC'")
        # Aggregates of aggregates: the planner cannot estimate how many customers a CTE yields, and a nested
        # loop over two of them is quadratic (12.7M rows compared for 5,000 customers); hashing is linear.
        self.conn.exec_driver_sql("SET enable_nestloop = off")
        # A bucket's window functions sort ~5M lines: 256 MB keeps most sorts and hashes in memory, and a
        # query holds only a few of them at once (this connection only; the server's default is untouched).
        self.conn.exec_driver_sql(f"SET work_mem = '{int(work_mem_mb)}MB'")
        # The scratch tables are temporary: their pages live in this session's buffers (8 MB by default),
        # so every bucket's scan would go back to the files; set before the session's first temporary table.
        self.conn.exec_driver_sql("SET temp_buffers = '512MB'")

    def _run(self, sql: str) -> Any:
        return self.conn.exec_driver_sql(sql)

    def frames(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        """The rows as CSV through COPY, parsed by pandas' C reader: 5M customers x 50 features took 97 s
        as Python tuples from a server-side cursor. Ids stay text; empty fields (NULL) are NaN."""
        raw = cast("psycopg.Connection[Any]", self.conn.connection.dbapi_connection)
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER true)") as copy:
            stream = io.BufferedReader(_CopyReader(copy), buffer_size=1 << 20)
            yield from pd.read_csv(stream, chunksize=chunk_rows, dtype={"customer_id": str}, keep_default_na=False,
                                   na_values=[""])

    def close(self) -> None:
        self.conn.rollback()
        self.conn.close()


class _CopyReader(io.RawIOBase):
    """A file over the blocks a COPY ... TO STDOUT yields, for pandas to read."""

    def __init__(self, copy: Any) -> None:
        self._blocks, self._rest = iter(copy), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._rest = bytes(block)
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_header(path: Path, sep: str) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = next(csv.reader(fh, delimiter=sep), [])
    return [h.strip().lower() for h in header]


def _typed_select(scan: str, columns: dict[str, str], text_file: bool, decimal_comma: bool) -> str:
    """Rows of an export with Keepcart's types (NULL where a value does not parse), plus the raw text for messages."""

    def raw(col: str) -> str:
        return f"COALESCE(TRIM(CAST({_ident(columns[col])} AS VARCHAR)), '')" if col in columns else "''"

    def number(col: str) -> str:
        text = f"REPLACE({raw(col)}, ',', '.')" if decimal_comma else raw(col)
        return f"TRY_CAST({text} AS DOUBLE)" if text_file else f"TRY_CAST({_ident(columns[col])} AS DOUBLE)"

    ts = f"TRY_CAST({raw('ordered_at')} AS TIMESTAMPTZ)" if text_file else f"TRY_CAST({_ident(columns['ordered_at'])} AS TIMESTAMPTZ)"
    qty = f"CASE WHEN {raw('quantity')} = '' THEN 1.0 ELSE {number('quantity')} END" if "quantity" in columns else "1.0"
    order_id = raw("order_id") if "order_id" in columns else f"strftime({ts}, '%Y-%m-%dT%H:%M:%S')"
    return (
        f"SELECT row_number() OVER () AS row_no, {raw('customer_id')} AS customer_id, {order_id} AS order_id, {ts} AS ts, "
        f"{raw('ordered_at')} AS ts_raw, {number('amount')} AS amount, {raw('amount')} AS amount_raw, "
        f"NULLIF({raw('product_id')}, '') AS product_id, {qty} AS quantity, LOWER({raw('status')}) AS status FROM {scan}"
    )


def _problems_sql(typed: str, has_order_id: bool, max_errors: int) -> str:
    statuses = ", ".join(_quote(s) for s in sorted(KNOWN_STATUSES))
    returns = ", ".join(_quote(s) for s in sorted(RETURN_STATUSES | CANCEL_STATUSES))
    empty_order = "WHEN order_id = '' THEN 'empty order_id' " if has_order_id else ""
    known = ", ".join(sorted(s for s in KNOWN_STATUSES if s))
    return f"""
SELECT row_no, CASE
  WHEN customer_id = '' THEN 'empty customer_id' {empty_order}
  WHEN ts IS NULL THEN 'ordered_at ''' || ts_raw || ''' is not an ISO 8601 date or timestamp (use e.g. 2024-03-31 or 2024-03-31T14:05:00Z)'
  WHEN amount IS NULL OR NOT isfinite(amount) THEN 'amount ''' || amount_raw || ''' is not a number'
  WHEN status NOT IN ({statuses}) THEN 'status ''' || status || ''' is unknown (use one of {known} or leave it empty)'
  WHEN quantity IS NULL THEN 'quantity is not a number'
  WHEN quantity < 0 AND amount >= 0 AND status NOT IN ({returns}) THEN
    'negative quantity on a purchase (a return needs a negative amount or status returned/refunded/cancelled)'
END AS problem
FROM ({typed}) t WHERE problem IS NOT NULL ORDER BY row_no LIMIT {int(max_errors)}
"""


def open_file(path: Path | str, max_customers: int | None = None, memory_limit: str = "2GB", threads: int = 2,
              workdir: Path | None = None, bucket_lines: int = BUCKET_LINES) -> SqlFeatures:
    """DuckDB over a transactions CSV (the columns `keepcart churn train --transactions` takes) or Parquet export.

    Every bad row is reported with the file and line (Parquet: row), as `load_transactions_csv` does;
    timestamps must be ISO 8601 here (pandas also guesses other formats).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    runner = DuckRunner(memory_limit, threads, workdir)
    try:
        return _open_file(runner, path, max_customers, bucket_lines)
    except BaseException:
        runner.close()
        raise


def _open_file(runner: DuckRunner, path: Path, max_customers: int | None, bucket_lines: int) -> SqlFeatures:
    parquet = path.suffix.lower() in (".parquet", ".pq")
    sep = "," if parquet else _delimiter(path)
    try:
        if parquet:
            scan = f"read_parquet({_quote(str(path))})"
            names = [str(r[0]) for r in runner.con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
        else:
            names = _csv_header(path, sep)
            listed = ", ".join(_quote(n or f"column{i}") for i, n in enumerate(names))
            scan = (f"read_csv({_quote(str(path))}, delim={_quote(sep)}, header=true, all_varchar=true, names=[{listed}], "
                    "quote='\"', escape='\"', parallel=false)")
    except duckdb.Error as exc:
        raise DataFileError(str(path), None, f"not a readable {'Parquet' if parquet else 'CSV'} file ({str(exc).splitlines()[0]})") from None
    columns = {n.strip().lower(): n for n in names}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataFileError(str(path), 1, f"missing column(s) {', '.join(missing)}; the header must have {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})")
    typed = _typed_select(scan, columns, text_file=not parquet, decimal_comma=sep != ",")
    offset = 0 if parquet else 1  # a CSV's header is line 1
    try:
        bad = runner.con.execute(_problems_sql(typed, "order_id" in columns, 50)).fetchall()
        if bad:
            raise DataFileErrors([DataFileError(str(path), int(r[0]) + offset, str(r[1])) for r in bad])
        runner.execute(
            "CREATE TABLE kc_lines AS SELECT customer_id, order_id, epoch_us(ts) AS at_us, amount, product_id, ABS(quantity) AS quantity, "
            f"CASE WHEN status = 'canceled' THEN 'cancelled' ELSE status END AS status FROM ({typed}) t"
        )
    except duckdb.Error as exc:
        raise DataFileError(str(path), None, f"not a readable {'Parquet' if parquet else 'CSV'} file ({str(exc).splitlines()[0]})") from None
    if not runner.row("SELECT COUNT(*) FROM kc_lines")[0]:
        raise DataFileError(str(path), None, "no transactions (the file has a header only)")
    return SqlFeatures(runner, "kc_lines", source=str(path), max_customers=max_customers, bucket_lines=bucket_lines)


def _copy(engine: Engine, runner: DuckRunner, query: Any, table: str, columns: list[str], chunk_rows: int) -> None:
    """Stream one shop table into DuckDB, a chunk of rows at a time (no DuckDB extension needed)."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
        for part in result.partitions(chunk_rows):
            frame = pd.DataFrame([tuple(r) for r in part], columns=columns)
            for col in columns:
                if col == "placed_at":
                    frame["placed_us"] = (pd.to_datetime(frame.pop(col), utc=True).astype("datetime64[us, UTC]").astype("int64"))
                elif col in ("total", "quantity", "unit_price"):
                    frame[col] = frame[col].astype(float)
                else:
                    frame[col] = frame[col].astype(object)
            runner.con.register("kc_chunk", frame)
            runner.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM kc_chunk")
            runner.con.unregister("kc_chunk")


def open_shop_duckdb(engine: Engine, max_customers: int | None = None, with_contacts: bool = True, chunk_rows: int = 200_000,
                     memory_limit: str = "2GB", threads: int = 2, workdir: Path | None = None) -> SqlFeatures:
    """The shop's orders, lines and products streamed into DuckDB in chunks (SQLite or any SQLAlchemy database)."""
    runner = DuckRunner(memory_limit, threads, workdir)
    try:
        runner.execute("CREATE TABLE kc_shop_orders (id VARCHAR, customer_id VARCHAR, status VARCHAR, placed_us BIGINT, total DOUBLE)")
        runner.execute("CREATE TABLE kc_shop_lines (order_id VARCHAR, product_id VARCHAR, quantity DOUBLE, unit_price DOUBLE)")
        runner.execute("CREATE TABLE kc_products (product_id VARCHAR, category VARCHAR)")
        _copy(engine, runner, select(Order.id, Order.customer_id, Order.status, Order.placed_at, Order.total), "kc_shop_orders",
              ["id", "customer_id", "status", "placed_at", "total"], chunk_rows)
        _copy(engine, runner, select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity, OrderLine.unit_price), "kc_shop_lines",
              ["order_id", "product_id", "quantity", "unit_price"], chunk_rows)
        _copy(engine, runner, select(Product.id.label("product_id"), Product.category), "kc_products", ["product_id", "category"], chunk_rows)
        runner.execute("CREATE TABLE kc_lines AS " + SHOP_LINES_SQL.format(at="o.placed_us", orders="kc_shop_orders", order_lines="kc_shop_lines"))
        return _shop_features(runner, engine, "kc_lines", max_customers, with_contacts)
    except BaseException:
        runner.close()
        raise


def open_shop_postgres(engine: Engine, max_customers: int | None = None, with_contacts: bool = True) -> SqlFeatures:
    """The feature queries run inside the shop's PostgreSQL, over its orders, order_lines and products tables."""
    runner = PgRunner(engine)
    try:
        at = runner.dialect.epoch_us.format("o.placed_at")
        runner.execute("CREATE TEMP VIEW kc_lines AS " + SHOP_LINES_SQL.format(at=at, orders="orders", order_lines="order_lines"))
        runner.execute("CREATE TEMP VIEW kc_products AS SELECT id AS product_id, category FROM products")
        return _shop_features(runner, engine, "orders", max_customers, with_contacts)
    except BaseException:
        runner.close()
        raise


def _shop_features(runner: DuckRunner | PgRunner, engine: Engine, counted: str, max_customers: int | None,
                   with_contacts: bool) -> SqlFeatures:
    """The shop's `kc_lines` and `kc_products` as features; refused when `counted` holds no rows."""
    if not runner.row(f"SELECT COUNT(*) FROM {counted}")[0]:
        raise InvalidInput("the shop has no orders yet; nothing to compute churn features from")
    contacts = _contacts(engine) if with_contacts else None
    return SqlFeatures(runner, "kc_lines", "kc_products", contacts=contacts, source="shop database", max_customers=max_customers)


def _contacts(engine: Engine) -> pd.DataFrame:
    with Session(engine) as session:
        return load_contacts(session)


def close(features: SqlFeatures) -> None:
    """Drop the scratch tables and close the engine connection."""
    try:
        features.close()
    finally:
        features.runner.close()

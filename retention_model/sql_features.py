"""The churn features of `features.build_features`, computed by a SQL engine where the data lives.

A shop with millions of customers and hundreds of millions of order lines cannot load them into one
pandas frame. Here the engine (DuckDB in process, or the shop's PostgreSQL) does every per-line and
per-order aggregation; Python only sees one row per customer, a chunk at a time, and derives the cheap
ratios and the BG/NBD value columns with numpy. The SQL is plain and portable (window functions,
`percentile_cont ... WITHIN GROUP`, `stddev_pop`, `exp`): the only dialect difference is how a
timestamp becomes epoch microseconds and how customer ids sort (byte order, as numpy sorts them).

Input relation `lines`: customer_id, order_id, at_us (BIGINT epoch microseconds, UTC), amount,
product_id (NULL when unknown), quantity, status (lower case; "" when unknown) — the columns of
`Transactions.lines`. Optional relation `products`: product_id, category.

Known difference from pandas: two orders of one customer at the very same microsecond are ordered by
order_id here (pandas keeps file order); that only changes `spend_last` and `product_stickiness`.
Sums of money are added in another order than numpy adds them, so they differ in the last bits; the
Gamma-Gamma fit behind `expected_value` (numerical gradients) amplifies that to ~1e-4 relative.
Every other column agrees to 1e-7 (tests/retention_model/test_sql_features.py).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from common.errors import InvalidInput
from retention_model.features import DAY, FEATURES, rfm_summary
from retention_model.value import CustomerValueModel

log = logging.getLogger(__name__)
DAY_US = 86_400_000_000
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
CONTACT_COLUMNS = ("contacts_n", "contacts_90", "complaints_n", "complaints_90", "escalations_n")


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines: epoch microseconds of a timestamp, and byte-order sorting."""

    name: str
    epoch_us: str  # format string with one {} for the timestamp expression
    customer_order: str
    scratch: str  # how a scratch table is created: DuckDB's temp tables are invisible to its other cursors
    bucket: str  # format string with {col} and {k}: a stable, non-negative bucket number in [0, k) of a customer id
    analyze: str  # statement that gives the planner a scratch table's statistics ("" where it needs none)
    # Whether the lines are first copied into one partition per bucket. PostgreSQL's lines are often a view over
    # the shop's orders and lines, which a filter per bucket would join again each time; DuckDB scans fast enough.
    partitions: bool = False

    def bucket_of(self, col: str, buckets: int) -> str:
        """The bucket of `col`; a constant when there is one bucket (the common, small-shop case)."""
        return self.bucket.format(col=col, k=int(buckets)) if buckets > 1 else "0"


DIALECTS = {
    "duckdb": Dialect("duckdb", "epoch_us({})", "customer_id", "CREATE TABLE", "CAST(hash({col}) % {k} AS INTEGER)", ""),
    "postgresql": Dialect("postgresql", "CAST(EXTRACT(EPOCH FROM {}) * 1000000 AS BIGINT)", 'customer_id COLLATE "C"', "CREATE TEMP TABLE",
                          "CAST(MOD(CAST(hashtext({col}) AS BIGINT) + 2147483648, {k}) AS INTEGER)", "ANALYZE {}", partitions=True),
}
# Lines per bucket of customers: the feature query's window functions, percentiles and distinct counts hold a
# bucket in memory, not the shop (a bucket of 5M lines ran in 2 GB of DuckDB memory; 50M at once did not).
BUCKET_LINES = 5_000_000
# A training window computes the buckets holding this many times its sample of customers (not every
# customer has bought before a past cutoff).
SAMPLE_MARGIN = 3


class SqlRunner(Protocol):
    """One open connection to an engine; temporary tables live as long as it does."""

    dialect: Dialect

    def execute(self, sql: str) -> None: ...

    def row(self, sql: str) -> tuple[Any, ...]: ...

    def frames(self, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]: ...

    def close(self) -> None: ...


def to_us(stamp: pd.Timestamp) -> int:
    """Epoch microseconds of a UTC timestamp (the engines' time unit)."""
    return int((stamp - EPOCH) // pd.Timedelta(microseconds=1))


def from_us(value: float) -> pd.Timestamp:
    return EPOCH + pd.Timedelta(microseconds=int(value))


ORDERS_SQL = """
SELECT customer_id, order_id, MIN(at_us) AS at_us,
  MAX(CASE WHEN NOT cx AND amount >= 0 THEN 1 ELSE 0 END) AS active,
  MIN(CASE WHEN cx THEN 1 ELSE 0 END) AS cancelled,
  MAX(CASE WHEN amount < 0 OR rs THEN 1 ELSE 0 END) AS returned,
  SUM(CASE WHEN NOT cx AND amount >= 0 AND NOT rs THEN amount ELSE 0.0 END) AS spend,
  SUM(CASE WHEN NOT cx AND amount >= 0 AND NOT rs THEN quantity ELSE 0.0 END) AS items,
  SUM(CASE WHEN amount < 0 THEN -amount WHEN rs THEN amount ELSE 0.0 END) AS returned_value,
  SUM(CASE WHEN NOT cx AND amount >= 0 AND NOT rs THEN 1 ELSE 0 END) AS n_lines
FROM (SELECT customer_id, order_id, at_us, amount, quantity,
             status IN ('cancelled', 'canceled') AS cx, status IN ('returned', 'refunded') AS rs FROM {lines}) t
GROUP BY customer_id, order_id
"""

WINDOWS = "".join(f"  SUM(CASE WHEN {{c}} - at_us <= {w} * {DAY_US} THEN 1 ELSE 0 END) AS orders_{w},\n" for w in (30, 90, 180, 365))
EWM = "".join(f"  SUM(EXP(GREATEST(-d / {tau}.0, -700.0))) AS ewm_orders_{tau},\n" for tau in (30, 90, 180))

FEATURES_SQL = """
WITH hist AS (
  SELECT customer_id, order_id, at_us, active, cancelled, returned, spend, items, returned_value, n_lines,
         CAST({c} - at_us AS DOUBLE PRECISION) / 86400000000.0 AS d
  FROM {orders} WHERE at_us < {c}
), act AS (SELECT * FROM hist WHERE active = 1),
base AS (
  SELECT customer_id, MIN(d) AS recency_days, MAX(d) AS tenure_days, COUNT(*) AS n_orders, SUM(spend) AS spend_total,
  SUM(items) AS items_sum, SUM(n_lines) AS lines_sum,
""" + EWM + WINDOWS + """  SUM(spend * EXP(GREATEST(-d / 90.0, -700.0))) AS ewm_spend_90,
  COUNT(DISTINCT FLOOR(d / 30.0)) AS months_active,
  SUM(CASE WHEN {c} - at_us > 90 * {day} AND {c} - at_us <= 180 * {day} THEN 1 ELSE 0 END) AS orders_prev_90,
  SUM(CASE WHEN {c} - at_us <= 90 * {day} THEN spend ELSE 0.0 END) AS spend_90,
  SUM(CASE WHEN {c} - at_us > 90 * {day} AND {c} - at_us <= 180 * {day} THEN spend ELSE 0.0 END) AS spend_prev_90,
  SUM(CASE WHEN {c} - at_us > (365 - {h}) * {day} AND {c} - at_us <= 365 * {day} THEN 1 ELSE 0 END) AS season,
  SUM(CASE WHEN MOD(CAST(FLOOR(at_us / 86400000000.0) AS BIGINT) + 3, 7) >= 5 THEN 1 ELSE 0 END) AS weekend_n
  FROM act GROUP BY customer_id
), seq AS (
  SELECT customer_id, spend, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY at_us DESC, order_id DESC) AS rn_desc FROM act
), latest AS (SELECT customer_id, spend AS spend_last FROM seq WHERE rn_desc = 1),
visits AS (SELECT DISTINCT customer_id, FLOOR(d) AS dn FROM act),
vgap AS (
  SELECT customer_id, LAG(dn) OVER (PARTITION BY customer_id ORDER BY dn DESC) - dn AS g,
         ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY dn) AS rk
  FROM visits
), ipi AS (
  SELECT customer_id, COUNT(*) AS n_days, AVG(g) AS ipi_mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY g) AS ipi_median,
         STDDEV_POP(g) AS ipi_std, MAX(CASE WHEN rk = 1 THEN g END) AS ipi_last
  FROM vgap GROUP BY customer_id
), bought AS (
  SELECT customer_id, product_id FROM {lines} WHERE at_us < {c} AND product_id IS NOT NULL AND amount >= 0
), prods AS (
  SELECT b.customer_id, COUNT(DISTINCT b.product_id) AS n_products, COUNT(*) AS n_product_lines, {categories} AS n_categories
  FROM bought b {category_join} GROUP BY b.customer_id
), overall AS (SELECT SUM(s) / CAST(SUM(n) AS DOUBLE PRECISION) AS base FROM {sticky}),
stick AS (
  SELECT b.customer_id, AVG(COALESCE((pp.s + {prior} * o.base) / (pp.n + {prior}), o.base)) AS product_stickiness
  FROM bought b CROSS JOIN overall o LEFT JOIN {sticky} pp ON pp.product_id = b.product_id GROUP BY b.customer_id
), rc AS (
  SELECT customer_id, SUM(returned) AS returns_n, SUM(CASE WHEN returned = 1 THEN returned_value ELSE 0.0 END) AS returned_value,
         SUM(cancelled) AS cancelled_n, MIN(CASE WHEN returned = 1 THEN d END) AS days_since_return
  FROM hist GROUP BY customer_id
), future AS (
  SELECT DISTINCT customer_id FROM {orders} WHERE active = 1 AND at_us >= {c} AND at_us < {c} + {h} * {day}
)
SELECT b.*, ipi.n_days, ipi.ipi_mean, ipi.ipi_median, ipi.ipi_std, ipi.ipi_last, latest.spend_last,
       COALESCE(p.n_products, 0) AS n_products, COALESCE(p.n_product_lines, 0) AS n_product_lines, COALESCE(p.n_categories, 0) AS n_categories,
       st.product_stickiness, rc.returns_n, rc.returned_value, rc.cancelled_n, rc.days_since_return,
       CASE WHEN fu.customer_id IS NULL THEN 1 ELSE 0 END AS churned
FROM base b
JOIN ipi ON ipi.customer_id = b.customer_id
JOIN latest ON latest.customer_id = b.customer_id
LEFT JOIN prods p ON p.customer_id = b.customer_id
LEFT JOIN stick st ON st.customer_id = b.customer_id
LEFT JOIN rc ON rc.customer_id = b.customer_id
LEFT JOIN future fu ON fu.customer_id = b.customer_id
"""

# Per product, how many of its purchases (before the cutoff, old enough to tell) were followed by another
# order within the horizon: summed over buckets, since a product's rate spans all its customers.
STICKY_SQL = """
WITH seq AS (
  SELECT customer_id, order_id, at_us, LEAD(at_us) OVER (PARTITION BY customer_id ORDER BY at_us, order_id) AS next_us
  FROM {orders} WHERE at_us < {c} AND active = 1
), flags AS (
  SELECT customer_id, order_id, CASE WHEN next_us IS NOT NULL AND next_us - at_us <= {h} * {day} THEN 1.0 ELSE 0.0 END AS f
  FROM seq WHERE at_us < {c} - {h} * {day}
), bought AS (
  SELECT customer_id, order_id, product_id FROM {lines} WHERE at_us < {c} AND product_id IS NOT NULL AND amount >= 0
)
SELECT b.product_id, SUM(fl.f) AS s, COUNT(*) AS n
FROM bought b JOIN flags fl ON fl.customer_id = b.customer_id AND fl.order_id = b.order_id
GROUP BY b.product_id
"""

RFM_COLUMNS = "tenure_days, recency_days, n_days, spend_total, n_orders"


def features_sql(orders: str, lines: str, products: str | None, sticky: str, cutoff_us: int, horizon_days: int,
                 prior: float = 20.0) -> str:
    """The per-customer aggregate query for one cutoff (all literals are integers or fixed names).

    `sticky` is the relation of `sticky_sql` summed per product over every customer."""
    categories, join = ("COUNT(DISTINCT pr.category)", f"LEFT JOIN {products} pr ON pr.product_id = b.product_id") if products else ("0", "")
    return FEATURES_SQL.format(orders=orders, lines=lines, sticky=sticky, c=int(cutoff_us), h=int(horizon_days), day=DAY_US,
                               prior=float(prior), categories=categories, category_join=join)


def sticky_sql(orders: str, lines: str, cutoff_us: int, horizon_days: int) -> str:
    """Per product: purchases followed by a repeat order within the horizon (s) out of those that can tell (n)."""
    return STICKY_SQL.format(orders=orders, lines=lines, c=int(cutoff_us), h=int(horizon_days), day=DAY_US)


def _f(frame: pd.DataFrame, col: str) -> np.ndarray:
    return cast(np.ndarray, pd.to_numeric(frame[col]).to_numpy(dtype=float, na_value=np.nan))


def derive(agg: pd.DataFrame, cutoff: pd.Timestamp, start: pd.Timestamp, horizon_days: int, has_categories: bool,
           value: CustomerValueModel, contacts: pd.DataFrame | None) -> pd.DataFrame:
    """FEATURES + expected_value for a chunk of aggregate rows, exactly as `build_features` derives them."""
    out = pd.DataFrame(index=pd.Index(agg["customer_id"].astype(str).to_numpy(), name="customer_id"))
    n = _f(agg, "n_orders")
    recency, first = _f(agg, "recency_days"), _f(agg, "tenure_days")
    spend_total = _f(agg, "spend_total")
    spend_mean = spend_total / n
    items_mean, lines_mean = _f(agg, "items_sum") / n, _f(agg, "lines_sum") / n
    ipi_mean, ipi_median, ipi_std = _f(agg, "ipi_mean"), _f(agg, "ipi_median"), _f(agg, "ipi_std")
    n_days = _f(agg, "n_days")
    with np.errstate(divide="ignore", invalid="ignore"):
        cols: dict[str, np.ndarray] = {
            "recency_days": recency, "tenure_days": first, "n_orders": n, "n_days": n_days, "spend_total": spend_total,
            "spend_mean": spend_mean, "spend_last": _f(agg, "spend_last"),
            "last_vs_mean": _f(agg, "spend_last") / np.where(spend_mean == 0, np.nan, spend_mean),
            "items_mean": items_mean, "lines_mean": lines_mean, "ipi_mean": ipi_mean, "ipi_median": ipi_median, "ipi_std": ipi_std,
            "ipi_last": _f(agg, "ipi_last"), "gap_ratio": recency / np.maximum(ipi_median, 1),
            "gap_vs_mean": recency / np.maximum(ipi_mean, 1),
            "gap_z": (recency - ipi_mean) / (ipi_std + 1), "rate_30d": n_days / np.maximum(first, 1) * 30,
        }
        for w in (30, 90, 180, 365):
            cols[f"orders_{w}"] = _f(agg, f"orders_{w}")
        cols["orders_prev_90"] = _f(agg, "orders_prev_90")
        cols["trend_orders"] = cols["orders_90"] - cols["orders_prev_90"]
        cols["spend_90"], cols["spend_prev_90"] = _f(agg, "spend_90"), _f(agg, "spend_prev_90")
        cols["trend_spend"] = cols["spend_90"] - cols["spend_prev_90"]
        season = _f(agg, "season")
        cols["orders_same_season_last_year"] = season if cutoff - 365 * DAY >= start else np.full(len(agg), np.nan)
        n_products = _f(agg, "n_products")
        cols["n_products"] = n_products
        cols["n_categories"] = _f(agg, "n_categories") if has_categories else np.full(len(agg), np.nan)
        returns_n, returned_value = np.nan_to_num(_f(agg, "returns_n")), np.nan_to_num(_f(agg, "returned_value"))
        cols["returns_n"] = returns_n
        cols["returned_share"] = returned_value / np.maximum(spend_total + returned_value, 1e-9)
        cols["cancelled_n"] = np.nan_to_num(_f(agg, "cancelled_n"))
        cols["days_since_return"] = _f(agg, "days_since_return")
        cols["qty_per_line"] = items_mean / np.where(lines_mean == 0, np.nan, lines_mean)
        cols["avg_unit_price"] = spend_mean / np.where(items_mean == 0, np.nan, items_mean)
        cols["repeat_product_share"] = 1.0 - n_products / np.maximum(_f(agg, "n_product_lines"), 1)
        cols["weekend_share"] = _f(agg, "weekend_n") / n
        cols["ipi_cv"] = ipi_std / np.maximum(ipi_mean, 1)
        cols["product_stickiness"] = _f(agg, "product_stickiness")
        for tau in (30, 90, 180):
            cols[f"ewm_orders_{tau}"] = _f(agg, f"ewm_orders_{tau}")
        cols["ewm_spend_90"] = _f(agg, "ewm_spend_90")
        cols["active_month_share"] = _f(agg, "months_active") / (np.floor(first / 30) + 1)
    summary = rfm_summary(first - recency, first, n_days, spend_mean)
    predicted = value.predict(summary)
    cols["p_alive"], cols["bg_expected_purchases"] = predicted["p_alive"], predicted["expected_purchases"]
    cols["expected_value"] = predicted["expected_value"]
    for col in CONTACT_COLUMNS:
        cols[col] = np.full(len(agg), np.nan) if contacts is None else contacts[col].reindex(out.index).fillna(0).to_numpy(dtype=float)
    return pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)[[*FEATURES, "expected_value"]]


def contact_counts(contacts: pd.DataFrame | None, cutoff: pd.Timestamp) -> pd.DataFrame | None:
    """Per-customer support counts before the cutoff (one row per conversation in, one per customer out)."""
    if contacts is None:
        return None
    c = contacts[contacts["at"] < cutoff]
    recent = c["at"] >= cutoff - 90 * DAY
    frames = {
        "contacts_n": c.groupby("customer_id").size(), "contacts_90": c[recent].groupby("customer_id").size(),
        "complaints_n": c[c["complaint"]].groupby("customer_id").size(),
        "complaints_90": c[c["complaint"] & recent].groupby("customer_id").size(),
        "escalations_n": c[c["escalated"]].groupby("customer_id").size(),
    }
    return pd.DataFrame(frames).fillna(0).rename(index=str)


def sample_positions(n: int, limit: int | None, seed: int) -> np.ndarray | None:
    """Sorted row positions of a seeded sample of `limit` rows out of `n`; None means every row."""
    if limit is None or n <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def _take(chunks: Iterator[pd.DataFrame], positions: np.ndarray | None) -> Iterator[pd.DataFrame]:
    """The rows at `positions` (global, sorted) of a stream of chunks; every row when None."""
    offset = 0
    for chunk in chunks:
        if positions is None:
            yield chunk
        else:
            lo, hi = np.searchsorted(positions, [offset, offset + len(chunk)])
            if hi > lo:
                yield chunk.iloc[positions[lo:hi] - offset]
        offset += len(chunk)


class SqlFeatures:
    """Features and churn labels of the customers in an engine, computed there, read in chunks.

    Stands in for `Transactions` wherever the churn model needs windows (start, end, source, features,
    labels). `max_customers` caps the customers read per window (a seeded sample) so that training
    memory stays bounded; scoring uses `feature_chunks`, which reads every customer a chunk at a time.
    """

    def __init__(self, runner: SqlRunner, lines: str, products: str | None = None, contacts: pd.DataFrame | None = None,
                 source: str = "", max_customers: int | None = None, chunk_rows: int = 100_000, random_state: int = 0,
                 bucket_lines: int = BUCKET_LINES) -> None:
        self.runner, self.lines, self.products, self.contacts = runner, lines, products, contacts
        self.source, self.max_customers, self.chunk_rows, self.random_state = source, max_customers, chunk_rows, random_state
        tag = uuid.uuid4().hex[:10]
        self.orders_table, self.feature_table, self.sticky_table = f"kc_orders_{tag}", f"kc_features_{tag}", f"kc_sticky_{tag}"
        self.bucketed_lines: str | None = None
        lo, hi, count = runner.row(f"SELECT MIN(at_us), MAX(at_us), COUNT(*) FROM {lines}")
        if not count:
            raise InvalidInput(f"{source or 'transactions'}: no transactions")
        self.start, self.end, self.n_lines = from_us(lo), from_us(hi), int(count)
        self.buckets = max(1, -(-self.n_lines // max(1, bucket_lines)))
        bucket = runner.dialect.bucket_of("customer_id", self.buckets)
        orders = f"SELECT o.*, {bucket} AS bucket FROM ({{}}) o"
        if self.buckets > 1 and runner.dialect.partitions:
            self.bucketed_lines = f"kc_lines_{tag}"
            log.info("copying %d lines into %d buckets of customers", self.n_lines, self.buckets)
            self._partitioned(self.bucketed_lines, f"SELECT l.*, {bucket} AS bucket FROM {lines} l")
            part = f"(SELECT * FROM {self.bucketed_lines} WHERE bucket = {{k}}) AS bl"
            self._partitioned(self.orders_table, orders.format(ORDERS_SQL.format(lines=self.bucketed_lines)),
                              lambda k: orders.format(ORDERS_SQL.format(lines=part.format(k=k))))
        else:
            runner.execute(f"{runner.dialect.scratch} {self.orders_table} AS {orders.format(ORDERS_SQL.format(lines=lines))}")
            self._analyze(self.orders_table)
        self.has_categories = bool(products) and int(runner.row(f"SELECT COUNT(*) FROM {products}")[0]) > 0
        self._labels: dict[tuple[pd.Timestamp, int], pd.Series] = {}
        self._materialised: tuple[pd.Timestamp, int, int] | None = None
        self._per_bucket: int | None = None  # customers in bucket 0: what a training sample's buckets are sized by
        self._value: CustomerValueModel | None = None
        self._n = 0

    def _partitioned(self, table: str, select: str, per_bucket: Callable[[int], str] | None = None) -> None:
        """`table` filled with `select` (which has a bucket column), or bucket by bucket with `per_bucket(k)`,
        as one partition per bucket: each bucket's queries then read their own partition, never the shop's
        lines again."""
        scratch = self.runner.dialect.scratch
        self.runner.execute(f"{scratch} {table}_shape AS {select} LIMIT 0")
        self.runner.execute(f"{scratch} {table} (LIKE {table}_shape) PARTITION BY LIST (bucket)")
        self.runner.execute(f"DROP TABLE {table}_shape")
        for k in range(self.buckets):
            self.runner.execute(f"{scratch} {table}_{k} PARTITION OF {table} FOR VALUES IN ({k})")
        for sql in [per_bucket(k) for k in range(self.buckets)] if per_bucket else [select]:
            self.runner.execute(f"INSERT INTO {table} {sql}")
        self._analyze(table)

    def fingerprint(self) -> str:
        """A hash of the lines' count, money and time span: cheap in the engine, changes when the data does."""
        row = self.runner.row(f"SELECT COUNT(*), COUNT(DISTINCT customer_id), SUM(amount), SUM(quantity), MIN(at_us), MAX(at_us) FROM {self.lines}")
        return hashlib.sha256(repr(tuple(float(v) if v is not None else None for v in row)).encode()).hexdigest()

    def close(self) -> None:
        for table in (self.feature_table, self.sticky_table, self.orders_table, self.bucketed_lines):
            if table:
                self.runner.execute(f"DROP TABLE IF EXISTS {table}")

    def _analyze(self, table: str) -> None:
        """Statistics for a scratch table: without them PostgreSQL guesses one row and plans nested loops."""
        if self.runner.dialect.analyze:
            self.runner.execute(self.runner.dialect.analyze.format(table))

    def _bucket(self, k: int) -> tuple[str, str]:
        """The orders and lines of the customers in bucket k (everything when there is one bucket)."""
        if self.buckets == 1:
            return self.orders_table, self.lines
        if self.bucketed_lines:
            lines = f"(SELECT * FROM {self.bucketed_lines} WHERE bucket = {k}) AS bl"
        else:
            lines = f"(SELECT * FROM {self.lines} WHERE {self.runner.dialect.bucket_of('customer_id', self.buckets)} = {k}) AS bl"
        return f"(SELECT * FROM {self.orders_table} WHERE bucket = {k}) AS bo", lines

    def _by_bucket(self, table: str, query: Callable[[str, str], str], what: str, buckets: int) -> None:
        """`table` filled with `query(orders, lines)` run on one bucket of customers after another."""
        self.runner.execute(f"DROP TABLE IF EXISTS {table}")
        for k in range(buckets):
            sql = query(*self._bucket(k))
            self.runner.execute(f"{self.runner.dialect.scratch} {table} AS {sql}" if k == 0 else f"INSERT INTO {table} {sql}")
            if self.buckets > 1:
                log.info("%s: bucket %d of %d done", what, k + 1, buckets)

    def _sample_buckets(self) -> int:
        """Buckets enough for a training window's sample of `max_customers`, with room for the inactive.

        A bucket is a hash of the customer id, i.e. a random sample of customers: a window that keeps
        100k customers of 5M need not compute the other 4.5M (nor their product repeat rates)."""
        if self.max_customers is None or self.buckets == 1:
            return self.buckets
        if self._per_bucket is None:
            self._per_bucket = int(self.runner.row(f"SELECT COUNT(*) FROM (SELECT customer_id FROM {self.orders_table} "
                                                   f"WHERE bucket = 0 GROUP BY customer_id) c")[0])
        return min(self.buckets, -(-SAMPLE_MARGIN * self.max_customers // max(1, self._per_bucket)))

    def _materialise(self, cutoff: pd.Timestamp, horizon_days: int, sample: bool = False) -> int:
        """The aggregate table for one cutoff, plus a value model fitted the way build_features fits it.

        Large shops are done a bucket of customers at a time, so the engine's memory follows a bucket; the
        per-product repeat rates are summed over the buckets first, since they span customers. A training
        window (`sample`) computes only the buckets its sample needs; scoring computes all of them."""
        buckets = self._sample_buckets() if sample else self.buckets
        if self._materialised == (cutoff, horizon_days, buckets):
            return self._n
        c = to_us(cutoff)
        products = self.products if self.has_categories else None
        self._by_bucket(f"{self.sticky_table}_parts", lambda orders, lines: sticky_sql(orders, lines, c, horizon_days),
                        f"product repeat rates at {cutoff.date()}", buckets)
        self.runner.execute(f"DROP TABLE IF EXISTS {self.sticky_table}")
        self.runner.execute(f"{self.runner.dialect.scratch} {self.sticky_table} AS SELECT product_id, SUM(s) AS s, SUM(n) AS n "
                            f"FROM {self.sticky_table}_parts GROUP BY product_id")
        self.runner.execute(f"DROP TABLE {self.sticky_table}_parts")
        self._analyze(self.sticky_table)
        self._by_bucket(self.feature_table, lambda orders, lines: features_sql(orders, lines, products, self.sticky_table, c, horizon_days),
                        f"customer features at {cutoff.date()}", buckets)
        self._n = int(self.runner.row(f"SELECT COUNT(*) FROM {self.feature_table}")[0])
        self._materialised = (cutoff, horizon_days, buckets)
        self._value = self._fit_value(horizon_days)
        return self._n

    def _ordered(self, columns: str = "*") -> Iterator[pd.DataFrame]:
        sql = f"SELECT {columns} FROM {self.feature_table} ORDER BY {self.runner.dialect.customer_order}"
        return self.runner.frames(sql, self.chunk_rows)

    def _fit_value(self, horizon_days: int) -> CustomerValueModel:
        model = CustomerValueModel(horizon_days)
        if self._n == 0:
            return model
        rows = pd.concat(list(_take(self._ordered(RFM_COLUMNS), sample_positions(self._n, model.max_fit_customers, model.random_state))))
        first, last, n_days = _f(rows, "tenure_days"), _f(rows, "recency_days"), _f(rows, "n_days")
        return model.fit(rfm_summary(first - last, first, n_days, _f(rows, "spend_total") / _f(rows, "n_orders")))

    def _chunks(self, cutoff: pd.Timestamp, horizon_days: int, positions: np.ndarray | None,
                sample: bool = False) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        self._materialise(cutoff, horizon_days, sample)
        assert self._value is not None
        counts = contact_counts(self.contacts, cutoff)
        for chunk in _take(self._ordered(), positions):
            X = derive(chunk, cutoff, self.start, horizon_days, self.has_categories, self._value, counts)
            yield X, pd.to_numeric(chunk["churned"]).to_numpy(dtype=np.int64)

    def feature_chunks(self, cutoff: pd.Timestamp, horizon_days: int, positions: np.ndarray | None = None) -> Iterator[pd.DataFrame]:
        """FEATURES + expected_value of every customer (or of the rows at `positions`), by customer id, in chunks."""
        for X, _ in self._chunks(cutoff, horizon_days, positions):
            yield X

    def count(self, cutoff: pd.Timestamp, horizon_days: int) -> int:
        """How many customers have an active order before the cutoff."""
        return self._materialise(cutoff, horizon_days)

    def features(self, cutoff: pd.Timestamp, horizon_days: int = 90) -> pd.DataFrame:
        """One window's features in memory: all customers, or a seeded sample of `max_customers`."""
        n = self._materialise(cutoff, horizon_days, sample=True)
        seed = self.random_state + int(to_us(cutoff) // DAY_US)
        parts = list(self._chunks(cutoff, horizon_days, sample_positions(n, self.max_customers, seed), sample=True))
        if not parts:
            return pd.DataFrame(columns=[*FEATURES, "expected_value"], index=pd.Index([], name="customer_id"), dtype=float)
        X = pd.concat([p[0] for p in parts])
        self._labels[(cutoff, horizon_days)] = pd.Series(np.concatenate([p[1] for p in parts]), index=X.index)
        return X

    def labels(self, cutoff: pd.Timestamp, horizon_days: int, customers: pd.Index) -> np.ndarray:
        """1 when the customer makes no purchase in [cutoff, cutoff + horizon), as `features.churn_labels`."""
        end = cutoff + horizon_days * DAY
        if self.end < cutoff:
            raise InvalidInput(f"{self.source or 'transactions'}: data ends {self.end.date()}, before the cutoff {(cutoff - DAY).date()}; no labels can be built")
        if self.end < end - 2 * DAY:
            log.warning("transactions end %s, before the label window ends %s: late purchases are missing, so churn is overstated", self.end.date(), end.date())
        if (cutoff, horizon_days) not in self._labels:
            self.features(cutoff, horizon_days)
        known = self._labels[(cutoff, horizon_days)]
        return cast(np.ndarray, known.reindex(customers).fillna(1).to_numpy(dtype=np.int64))

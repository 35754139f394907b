"""Order histories as one columnar table, from a CSV file or the shop database.

Everything downstream (features, churn, value, recommendations) reads `Transactions`, so a shop's
database and an exported CSV go through exactly the same code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from common.errors import DataFileError, DataFileErrors

REQUIRED = ("customer_id", "ordered_at", "amount")
OPTIONAL = ("order_id", "product_id", "quantity", "status")
RETURN_STATUSES = frozenset({"returned", "refunded"})
CANCEL_STATUSES = frozenset({"cancelled", "canceled"})
KNOWN_STATUSES = frozenset({"", "placed", "paid", "shipped", "delivered", "completed", "complete"}) | RETURN_STATUSES | CANCEL_STATUSES
LINE_COLUMNS = ("customer_id", "order_id", "ordered_at", "amount", "product_id", "quantity", "status")


@dataclass
class Transactions:
    """Order lines plus optional product and support-contact tables.

    `lines` columns: customer_id, order_id (str), ordered_at (UTC), amount (float; negative = return),
    product_id (str or NA), quantity (float), status (str, lower case, "" when unknown).
    `products`: product_id, name, category, description, repeat_purchase, active.
    `contacts`: customer_id, at (UTC), complaint (bool), escalated (bool) — one row per conversation.
    """

    lines: pd.DataFrame
    products: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    source: str = ""
    customers: list[str] | None = None  # every known customer, buyers or not (shop database only)
    _orders: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def start(self) -> pd.Timestamp:
        return self.lines["ordered_at"].min()

    @property
    def end(self) -> pd.Timestamp:
        return self.lines["ordered_at"].max()

    def fingerprint(self) -> str:
        """A stable hash of the data, so training is skipped when nothing changed."""
        digest = hashlib.sha256()
        for frame in (self.lines, self.products, self.contacts):
            if frame is not None and len(frame):
                digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return digest.hexdigest()

    def orders(self) -> pd.DataFrame:
        """One row per (customer, order): time, spend, items, returns — computed once, cached."""
        if self._orders is None:
            self._orders = _order_table(self.lines)
        return self._orders


def _order_table(lines: pd.DataFrame) -> pd.DataFrame:
    status = lines["status"]
    cancelled = status.isin(CANCEL_STATUSES).to_numpy()
    negative = (lines["amount"] < 0).to_numpy()
    returned_status = status.isin(RETURN_STATUSES).to_numpy()
    # A returned order still shows the shopper came back; its money does not count as spend.
    active = ~cancelled & ~negative
    spend_line = active & ~returned_status
    amount = lines["amount"].to_numpy()
    qty = lines["quantity"].to_numpy()
    frame = pd.DataFrame(
        {
            "customer_id": lines["customer_id"].to_numpy(),
            "order_id": lines["order_id"].to_numpy(),
            "at": lines["ordered_at"].to_numpy(),
            "active": active,
            "cancelled": cancelled,
            "returned": negative | returned_status,
            "spend": np.where(spend_line, amount, 0.0),
            "items": np.where(spend_line, qty, 0.0),
            "returned_value": np.where(negative, -amount, np.where(returned_status, amount, 0.0)),
            "n_lines": spend_line.astype(np.int64),
        }
    )
    grouped = frame.groupby(["customer_id", "order_id"], sort=False, observed=True)
    orders = grouped.agg(
        at=("at", "min"),
        active=("active", "any"),
        cancelled=("cancelled", "all"),
        returned=("returned", "any"),
        spend=("spend", "sum"),
        items=("items", "sum"),
        returned_value=("returned_value", "sum"),
        n_lines=("n_lines", "sum"),
    ).reset_index()
    return orders.sort_values(["customer_id", "at"], kind="stable").reset_index(drop=True)


def _line_numbers(mask: np.ndarray) -> list[int]:
    return [int(i) + 2 for i in np.flatnonzero(mask)]  # header is line 1


def _parse_times(raw: pd.Series) -> pd.Series:
    """ISO 8601 first (fast, unambiguous); anything else falls back to pandas' mixed parser."""
    parsed = pd.to_datetime(raw, format="ISO8601", utc=True, errors="coerce")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        fallback = pd.to_datetime(raw[bad], format="mixed", utc=True, errors="coerce")
        parsed = parsed.copy()
        parsed[bad] = fallback
    return parsed.astype("datetime64[ns, UTC]")


def _delimiter(path: Path) -> str:
    """Comma unless the header line is clearly semicolon- or tab-separated (spreadsheet exports)."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    for sep in ("\t", ";"):
        if sep in header and "," not in header:
            return sep
    return ","


def load_transactions_csv(path: Path | str, max_errors: int = 50) -> Transactions:
    """Read and validate a transactions CSV; every bad row is reported with its file and line."""
    path = Path(path)
    sep = _delimiter(path)
    try:
        raw = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except FileNotFoundError:
        raise
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataFileError(str(path), None, f"not a readable CSV file ({exc})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise DataFileError(str(path), 1, f"missing column(s) {', '.join(missing)}; the header must have {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})")
    if raw.empty:
        raise DataFileError(str(path), None, "no transactions (the file has a header only)")
    errors: list[DataFileError] = []

    def flag(mask: np.ndarray, message: str) -> None:
        for line in _line_numbers(mask)[: max_errors - len(errors)]:
            errors.append(DataFileError(str(path), line, message))

    for col in ("customer_id", "order_id"):
        if col in raw.columns:
            raw[col] = raw[col].str.strip()
            flag((raw[col] == "").to_numpy(), f"empty {col}")
    text_times = raw["ordered_at"].str.strip().replace("", None)
    times = _parse_times(text_times)
    for line in _line_numbers(times.isna().to_numpy())[: max_errors - len(errors)]:
        errors.append(DataFileError(str(path), line, f"ordered_at {raw['ordered_at'].iat[line - 2]!r} is not a date or timestamp (use e.g. 2024-03-31 or 2024-03-31T14:05:00Z)"))
    if sep != ",":  # semicolon/tab files usually come with decimal commas: 12,50
        for col in ("amount", "quantity"):
            if col in raw.columns:
                raw[col] = raw[col].str.replace(",", ".", regex=False)
    amount = pd.to_numeric(raw["amount"].str.strip(), errors="coerce")
    for line in _line_numbers((amount.isna() | ~np.isfinite(amount.fillna(0))).to_numpy())[: max_errors - len(errors)]:
        errors.append(DataFileError(str(path), line, f"amount {raw['amount'].iat[line - 2]!r} is not a number"))
    status = raw["status"].str.strip().str.lower() if "status" in raw.columns else pd.Series("", index=raw.index)
    bad_status = ~status.isin(KNOWN_STATUSES)
    for line in _line_numbers(bad_status.to_numpy())[: max_errors - len(errors)]:
        errors.append(DataFileError(str(path), line, f"status {status.iat[line - 2]!r} is unknown (use one of {', '.join(sorted(s for s in KNOWN_STATUSES if s))} or leave it empty)"))
    if "quantity" in raw.columns:
        qtext = raw["quantity"].str.strip()
        quantity = pd.to_numeric(qtext.replace("", "1"), errors="coerce")
        flag(quantity.isna().to_numpy(), "quantity is not a number")
        is_return = (amount < 0) | status.isin(RETURN_STATUSES | CANCEL_STATUSES)
        flag(((quantity < 0) & ~is_return).to_numpy(), "negative quantity on a purchase (a return needs a negative amount or status returned/refunded/cancelled)")
        quantity = quantity.abs()
    else:
        quantity = pd.Series(1.0, index=raw.index)
    if errors:
        raise DataFileErrors(sorted(errors, key=lambda e: e.line or 0))
    product = raw["product_id"].str.strip().replace("", None) if "product_id" in raw.columns else pd.Series(None, index=raw.index, dtype=object)
    # Exports without order ids (one row per purchase, as in CDNOW): a customer's lines at one
    # timestamp form one order.
    order_id = raw["order_id"] if "order_id" in raw.columns else times.dt.strftime("%Y-%m-%dT%H:%M:%S")
    lines = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(str),
            "order_id": order_id.astype(str),
            "ordered_at": times,
            "amount": amount.astype(float),
            "product_id": product.astype(object),
            "quantity": quantity.astype(float),
            "status": status.replace({"canceled": "cancelled"}).astype(str),
        }
    )
    return Transactions(lines=lines, source=str(path))


def from_frames(
    lines: pd.DataFrame, products: pd.DataFrame | None = None, contacts: pd.DataFrame | None = None, source: str = "", customers: list[str] | None = None
) -> Transactions:
    """Build `Transactions` from already-typed frames (tests, the shop loader)."""
    lines = lines.copy()
    for col, default in (("product_id", None), ("quantity", 1.0), ("status", "")):
        if col not in lines.columns:
            lines[col] = default
    lines["customer_id"] = lines["customer_id"].astype(str)
    lines["order_id"] = lines["order_id"].astype(str)
    lines["ordered_at"] = pd.to_datetime(lines["ordered_at"], utc=True).astype("datetime64[ns, UTC]")
    lines["amount"] = lines["amount"].astype(float)
    lines["quantity"] = lines["quantity"].fillna(1.0).astype(float)
    lines["status"] = lines["status"].fillna("").astype(str).str.lower()
    return Transactions(lines=lines[list(LINE_COLUMNS)].reset_index(drop=True), products=products, contacts=contacts, source=source, customers=customers)


def load_products_csv(path: Path | str) -> pd.DataFrame:
    """Products for text similarity: product_id, name; optional category, description, repeat_purchase, active."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in ("product_id", "name") if c not in raw.columns]
    if missing:
        raise DataFileError(str(path), 1, f"missing column(s) {', '.join(missing)}; the header must have product_id, name (optional: category, description, repeat_purchase, active)")
    errors = [DataFileError(str(path), int(i) + 2, "empty product_id") for i in np.flatnonzero((raw["product_id"].str.strip() == "").to_numpy())]
    flags = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": None}
    out = pd.DataFrame({"product_id": raw["product_id"].str.strip(), "name": raw["name"].str.strip()})
    out["category"] = raw["category"].str.strip() if "category" in raw.columns else ""
    out["description"] = raw["description"].str.strip() if "description" in raw.columns else ""
    for col, default in (("repeat_purchase", False), ("active", True)):
        values = raw[col].str.strip().str.lower() if col in raw.columns else pd.Series("", index=raw.index)
        bad = ~values.isin(flags)
        errors += [DataFileError(str(path), int(i) + 2, f"{col} {values.iat[i]!r} is not true/false") for i in np.flatnonzero(bad.to_numpy())]
        out[col] = values.map(flags).fillna(default).astype(bool)
    if errors:
        raise DataFileErrors(errors[:50])
    return out.drop_duplicates("product_id", keep="last").reset_index(drop=True)

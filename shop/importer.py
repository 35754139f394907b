"""CSV import of a shop: every bad row reported with file and line, nothing half-imported.

Files (UTF-8, header row required; extra columns are ignored):
- customers: id, email, name [, address_line, city, postal_code, country, created_at]
- products:  id, name, category, price [, description, repeat_purchase]
- orders:    one row per order line: order_id, customer_id, placed_at, status, product_id,
             quantity, unit_price [, currency, carrier, tracking_number, shipped_at, delivered_at]
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.errors import DataFileError, DataFileErrors
from shop.tables import Customer, Order, OrderLine, OrderStatus, Product

REQUIRED = {
    "customers": ("id", "email", "name"),
    "products": ("id", "name", "category", "price"),
    "orders": ("order_id", "customer_id", "placed_at", "status", "product_id", "quantity", "unit_price"),
}
STATUSES = {s.value for s in OrderStatus}


@dataclass
class ImportSummary:
    customers: int = 0
    products: int = 0
    orders: int = 0
    order_lines: int = 0


class _Rows:
    """Reads one CSV file, checking the header and collecting errors with line numbers."""

    def __init__(self, path: Path, kind: str, errors: list[DataFileError]) -> None:
        self.path, self.kind, self.errors = path, kind, errors

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            handle = self.path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            self.errors.append(DataFileError(str(self.path), None, f"cannot read: {exc.strerror}"))
            return
        with handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED[self.kind] if c not in header]
            if missing:
                self.errors.append(DataFileError(str(self.path), 1, f"missing column(s) {', '.join(missing)} in the header of the {self.kind} file"))
                return
            reader.fieldnames = header
            try:
                for row in reader:
                    yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}
            except (csv.Error, UnicodeDecodeError) as exc:
                self.errors.append(DataFileError(str(self.path), reader.line_num, f"unreadable CSV: {exc}"))

    def error(self, line: int, message: str) -> None:
        self.errors.append(DataFileError(str(self.path), line, message))

    def parse(self, line: int, field: str, raw: str, convert: Callable[[str], Any]) -> Any:
        try:
            return convert(raw)
        except (ValueError, InvalidOperation):
            self.error(line, f"{field}: cannot read {raw!r}")
            return None


def _money(raw: str) -> Decimal:
    value = Decimal(raw)
    if value < 0 or not value.is_finite():
        raise ValueError
    return value.quantize(Decimal("0.01"))


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError
    return value


def _timestamp(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _optional_ts(raw: str) -> datetime | None:
    return _timestamp(raw) if raw else None


def _bool(raw: str) -> bool:
    if raw.lower() in ("", "0", "false", "no"):
        return False
    if raw.lower() in ("1", "true", "yes"):
        return True
    raise ValueError


def import_shop(session: Session, customers: Path | None, products: Path | None, orders: Path | None) -> ImportSummary:
    """Validate every file completely, then write all rows in the caller's transaction.

    Raises DataFileErrors listing every bad row; the caller rolls back, so nothing is half-imported.
    Rows whose id already exists are updated, so a shop can re-import a fresh export.
    """
    errors: list[DataFileError] = []
    customer_rows = _read_customers(_Rows(customers, "customers", errors)) if customers else {}
    product_rows = _read_products(_Rows(products, "products", errors)) if products else {}
    known_customers = set(customer_rows) | set(session.scalars(select(Customer.id)).all())
    known_products = set(product_rows) | set(session.scalars(select(Product.id)).all())
    order_rows, line_rows = _read_orders(_Rows(orders, "orders", errors), known_customers, known_products) if orders else ({}, [])
    if errors:
        raise DataFileErrors(errors)

    for row in customer_rows.values():
        session.merge(Customer(**row))
    for row in product_rows.values():
        session.merge(Product(**row))
    session.flush()
    addresses = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_({o["customer_id"] for o in order_rows.values()})))}
    for order_id, row in order_rows.items():
        c = addresses[row["customer_id"]]
        existing = session.get(Order, order_id)
        if existing is not None:
            session.delete(existing)
            session.flush()
        session.add(Order(id=order_id, ship_name=c.name, ship_address_line=c.address_line, ship_city=c.city,
                          ship_postal_code=c.postal_code, ship_country=c.country, **row))
    session.flush()
    for line in line_rows:
        session.add(OrderLine(**line))
    session.flush()
    return ImportSummary(len(customer_rows), len(product_rows), len(order_rows), len(line_rows))


def _read_customers(rows: _Rows) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    emails: dict[str, int] = {}
    for line, r in rows:
        if not r["id"]:
            rows.error(line, "id is empty")
            continue
        if r["id"] in out:
            rows.error(line, f"duplicate customer id {r['id']!r}")
            continue
        if "@" not in r["email"]:
            rows.error(line, f"email: {r['email']!r} is not an email address")
        elif r["email"].lower() in emails:
            rows.error(line, f"email {r['email']!r} already used on line {emails[r['email'].lower()]}")
        emails.setdefault(r["email"].lower(), line)
        country = r.get("country", "").upper()
        if country and len(country) != 2:
            rows.error(line, f"country: {country!r} is not a 2-letter ISO code")
        row: dict[str, Any] = {
            "id": r["id"], "email": r["email"], "name": r["name"], "address_line": r.get("address_line", ""),
            "city": r.get("city", ""), "postal_code": r.get("postal_code", ""), "country": country,
        }
        if r.get("created_at"):
            row["created_at"] = rows.parse(line, "created_at", r["created_at"], _timestamp)
        out[r["id"]] = row
    return out


def _read_products(rows: _Rows) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line, r in rows:
        if not r["id"] or not r["name"]:
            rows.error(line, "id and name must not be empty")
            continue
        if r["id"] in out:
            rows.error(line, f"duplicate product id {r['id']!r}")
            continue
        out[r["id"]] = {
            "id": r["id"], "name": r["name"], "category": r["category"], "description": r.get("description", ""),
            "price": rows.parse(line, "price", r["price"], _money),
            "repeat_purchase": rows.parse(line, "repeat_purchase", r.get("repeat_purchase", ""), _bool),
        }
    return out


ORDER_FIELDS = ("customer_id", "placed_at", "status", "currency", "carrier", "tracking_number", "shipped_at", "delivered_at")


def _read_orders(rows: _Rows, customers: set[str], products: set[str]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    orders: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    lines: list[dict[str, Any]] = []
    for line, r in rows:
        order_id = r["order_id"]
        if not order_id:
            rows.error(line, "order_id is empty")
            continue
        if r["customer_id"] not in customers:
            rows.error(line, f"customer_id {r['customer_id']!r} is neither in the customers file nor in the shop")
        if r["product_id"] not in products:
            rows.error(line, f"product_id {r['product_id']!r} is neither in the products file nor in the shop")
        status = r["status"].lower()
        if status not in STATUSES:
            rows.error(line, f"status {r['status']!r} is not one of {', '.join(sorted(STATUSES))}")
        order = {
            "customer_id": r["customer_id"], "status": status,
            "placed_at": rows.parse(line, "placed_at", r["placed_at"], _timestamp),
            "currency": (r.get("currency") or "EUR").upper(), "carrier": r.get("carrier") or None,
            "tracking_number": r.get("tracking_number") or None,
            "shipped_at": rows.parse(line, "shipped_at", r.get("shipped_at", ""), _optional_ts),
            "delivered_at": rows.parse(line, "delivered_at", r.get("delivered_at", ""), _optional_ts),
        }
        if order_id in orders:
            clash = [f for f in ORDER_FIELDS if orders[order_id][f] != order[f]]
            if clash:
                rows.error(line, f"order {order_id}: {', '.join(clash)} differ from line {first_line[order_id]}")
        else:
            orders[order_id], first_line[order_id] = order, line
            order["total"] = Decimal("0.00")
        quantity = rows.parse(line, "quantity", r["quantity"], _positive_int)
        price = rows.parse(line, "unit_price", r["unit_price"], _money)
        if quantity is not None and price is not None:
            orders[order_id]["total"] += quantity * price
        lines.append({"order_id": order_id, "product_id": r["product_id"], "quantity": quantity, "unit_price": price})
    return orders, lines

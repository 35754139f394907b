"""CSV import: header checks, every bad row named with file and line, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from common.db import unit_of_work
from common.errors import DataFileErrors
from shop.importer import import_shop
from shop.tables import Customer, Order, OrderLine, Product


def write(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    customers = write(tmp_path / "customers.csv", """
id,email,name,city,country
00042,ada@example.com,Ada Lovelace,Berlin,de
C2,bob@example.com,Bob Stone,Paris,FR
""")
    products = write(tmp_path / "products.csv", """
id,name,category,price,repeat_purchase
P1,Blue Canvas Sneakers,footwear,59.00,no
P2,House Blend Coffee,coffee,9.90,yes
""")
    orders = write(tmp_path / "orders.csv", """
order_id,customer_id,placed_at,status,product_id,quantity,unit_price,carrier,tracking_number
1001,00042,2026-10-01T10:00:00Z,shipped,P1,1,59.00,DHL,JD1
1001,00042,2026-10-01T10:00:00Z,shipped,P2,2,9.90,DHL,JD1
1002,C2,2026-10-03 09:00:00,paid,P2,1,9.90,,
""")
    return customers, products, orders


def counts(sessions):
    with sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Customer, Product, Order, OrderLine))


def test_imports_a_consistent_shop(sessions, files):
    with unit_of_work(sessions) as s:
        summary = import_shop(s, *files)
    assert (summary.customers, summary.products, summary.orders, summary.order_lines) == (2, 2, 2, 3)
    with sessions() as s:
        order = s.get(Order, "1001")
        assert str(order.total) == "78.80" and order.customer_id == "00042" and order.ship_city == "Berlin"
        assert order.placed_at.tzinfo is not None
        assert s.get(Customer, "00042").country == "DE"
        assert s.get(Product, "P2").repeat_purchase is True


def test_reimport_updates_instead_of_duplicating(sessions, files):
    for _ in range(2):
        with unit_of_work(sessions) as s:
            import_shop(s, *files)
    assert counts(sessions) == (2, 2, 2, 3)


def test_every_bad_row_is_reported_and_nothing_is_written(sessions, files, tmp_path):
    customers, products, _ = files
    bad = write(tmp_path / "bad_orders.csv", """
order_id,customer_id,placed_at,status,product_id,quantity,unit_price
1001,00042,2026-10-01T10:00:00Z,shipped,P1,1,59.00
1002,NOPE,2026-10-01,paid,P1,1,59.00
1003,C2,yesterday,paid,P1,1,59.00
1004,C2,2026-10-01,lost,P1,-1,abc
""")
    with pytest.raises(DataFileErrors) as info:
        with unit_of_work(sessions) as s:
            import_shop(s, customers, products, bad)
    text = str(info.value)
    for expected in ("bad_orders.csv:3: customer_id 'NOPE'", "bad_orders.csv:4: placed_at", "bad_orders.csv:5: status 'lost'",
                     "bad_orders.csv:5: quantity", "bad_orders.csv:5: unit_price"):
        assert expected in text
    assert counts(sessions) == (0, 0, 0, 0)


def test_missing_header_column_is_named(sessions, tmp_path):
    f = write(tmp_path / "customers.csv", "id,name\nC1,Ada\n")
    with pytest.raises(DataFileErrors, match=r"customers.csv:1: missing column\(s\) email"):
        with sessions() as s:
            import_shop(s, f, None, None)


def test_duplicate_ids_and_emails(sessions, tmp_path):
    f = write(tmp_path / "customers.csv", "id,email,name\nC1,a@x.io,A\nC1,b@x.io,B\nC2,A@x.io,C\n")
    with pytest.raises(DataFileErrors) as info:
        with sessions() as s:
            import_shop(s, f, None, None)
    assert "customers.csv:3: duplicate customer id 'C1'" in str(info.value)
    assert "customers.csv:4: email 'A@x.io' already used on line 2" in str(info.value)


def test_inconsistent_order_header_fields(sessions, files, tmp_path):
    customers, products, _ = files
    f = write(tmp_path / "orders.csv", """
order_id,customer_id,placed_at,status,product_id,quantity,unit_price
9,00042,2026-10-01,paid,P1,1,1.00
9,00042,2026-10-01,shipped,P2,1,1.00
""")
    with pytest.raises(DataFileErrors, match=r"orders.csv:3: order 9: status differ from line 2"):
        with sessions() as s:
            import_shop(s, customers, products, f)

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import DataFileError, DataFileErrors
from retention_model.transactions import load_products_csv, load_transactions_csv


def write(tmp_path: Path, text: str, name: str = "tx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_ids_kept_as_strings_and_returns_recognised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "customer_id,order_id,ordered_at,amount,product_id,quantity,status\n"
        "00042,0007,2024-01-05,10.50,000123,2,\n"
        "00042,C0007,2024-01-09T10:00:00Z,-10.50,000123,2,\n"
        "00042,0008,2024-02-01 09:30,20,000124,1,cancelled\n",
    )
    tx = load_transactions_csv(path)
    assert tx.lines["customer_id"].tolist() == ["00042"] * 3
    assert tx.lines["order_id"].tolist() == ["0007", "C0007", "0008"]
    assert tx.lines["product_id"].tolist() == ["000123", "000123", "000124"]
    assert str(tx.lines["ordered_at"].dt.tz) == "UTC"
    orders = tx.orders().set_index("order_id")
    assert orders.loc["0007", "active"] and orders.loc["0007", "spend"] == pytest.approx(10.5)
    assert orders.loc["C0007", "returned"] and not orders.loc["C0007", "active"]
    assert orders.loc["0008", "cancelled"] and not orders.loc["0008", "active"]


def test_bad_rows_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "customer_id,order_id,ordered_at,amount,quantity\n"
        "1,A,2024-01-01,10,1\n"
        "1,B,not-a-date,10,1\n"
        "2,C,2024-01-02,ten,1\n"
        "3,D,2024-01-03,5,-2\n"
        "4,E,2024-01-03,-5,-2\n",
    )
    with pytest.raises(DataFileErrors) as info:
        load_transactions_csv(path)
    lines = {(e.line, e.path) for e in info.value.errors}
    assert lines == {(3, str(path)), (4, str(path)), (5, str(path))}
    message = str(info.value)
    assert f"{path}:3: ordered_at 'not-a-date'" in message
    assert f"{path}:4: amount 'ten' is not a number" in message
    assert f"{path}:5: negative quantity" in message


def test_missing_columns_name_the_header_line(tmp_path: Path) -> None:
    path = write(tmp_path, "customer,order_id,ordered_at\n1,A,2024-01-01\n")
    with pytest.raises(DataFileError) as info:
        load_transactions_csv(path)
    assert info.value.line == 1
    assert "customer_id" in str(info.value) and "amount" in str(info.value)


def test_without_order_ids_a_customers_rows_at_one_time_are_one_order(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,ordered_at,amount,product_id\n7,2024-01-01T10:00:00Z,3,A\n7,2024-01-01T10:00:00Z,4,B\n"
                           "7,2024-02-01,5,A\n8,2024-01-01T10:00:00Z,6,A\n")
    orders = load_transactions_csv(path).orders()
    assert [(c, float(s)) for c, s in zip(orders["customer_id"], orders["spend"])] == [("7", 7.0), ("7", 5.0), ("8", 6.0)]


def test_unknown_status_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,order_id,ordered_at,amount,status\n1,A,2024-01-01,3,lost\n")
    with pytest.raises(DataFileErrors, match=r"tx.csv:2: status 'lost' is unknown"):
        load_transactions_csv(path)


def test_products_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "product_id,name,category,repeat_purchase\n007,Tea,drinks,yes\n008,Pot,kitchen,\n", "p.csv")
    products = load_products_csv(path)
    assert products["product_id"].tolist() == ["007", "008"]
    assert products["repeat_purchase"].tolist() == [True, False]
    bad = write(tmp_path, "product_id,name,repeat_purchase\n1,Tea,maybe\n", "bad.csv")
    with pytest.raises(DataFileErrors, match=r"bad.csv:2: repeat_purchase 'maybe'"):
        load_products_csv(bad)


def test_semicolon_export_with_decimal_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id;order_id;ordered_at;amount\n007;1;2024-01-01;12,50\n007;2;2024-02-01;-3,25\n")
    tx = load_transactions_csv(path)
    assert tx.lines["amount"].tolist() == [12.5, -3.25]
    assert tx.lines["customer_id"].tolist() == ["007", "007"]

"""The SQL shop backend: every order operation is scoped to its customer and guarded by status."""

from __future__ import annotations

import pytest

from common.errors import Conflict
from shop.backend import Address
from shop.sql_backend import SqlShopBackend
from tests.factories import small_shop


@pytest.fixture
def shop(sessions):
    small_shop(sessions)
    return SqlShopBackend(sessions)


def test_lists_own_orders_newest_first(shop):
    orders = shop.list_orders("C001")
    assert [o.id for o in orders] == ["1000000004", "1000000003", "1000000002", "1000000001"]
    assert orders[0].lines[0].product_name == "Ground Coffee House Blend"
    assert orders[0].lines[0].product_id == "00042"


def test_another_customers_order_is_invisible(shop):
    assert shop.get_order("C001", "2000000001") is None
    with pytest.raises(Exception) as info:
        shop.cancel_order("C001", "2000000001")
    assert "not found" in str(info.value)
    assert shop.get_order("C002", "2000000001").status == "paid"


def test_cancel_only_before_shipping(shop):
    assert shop.cancel_order("C001", "1000000004").status == "cancelled"
    assert shop.get_order("C001", "1000000004").status == "cancelled"
    with pytest.raises(Conflict, match="shipped"):
        shop.cancel_order("C001", "1000000003")


def test_return_window_and_idempotent_return(shop):
    first = shop.start_return("C001", "1000000002", "too small")
    again = shop.start_return("C001", "1000000002", "too small")
    assert first.id == again.id and first.status == "requested"
    with pytest.raises(Conflict, match="30 days"):
        shop.start_return("C001", "1000000001", "changed my mind")
    with pytest.raises(Conflict, match="only delivered"):
        shop.start_return("C001", "1000000003", "x")


def test_change_address_before_shipping(shop):
    new = Address("", "Rue de Rivoli 1", "Paris", "75001", "FR")
    order = shop.change_shipping_address("C001", "1000000004", new)
    assert (order.address.line, order.address.city, order.address.country) == ("Rue de Rivoli 1", "Paris", "FR")
    with pytest.raises(Conflict):
        shop.change_shipping_address("C001", "1000000003", new)


def test_search_products_ranks_by_matching_words(shop):
    found = shop.search_products("blue sneakers")
    assert found[0].id == "P001"
    assert shop.search_products("xy") == []
    assert shop.search_products("are your products sustainable?") == []  # "are" used to find "Stoneware ..."
    assert [p.id for p in shop.search_products("do you sell the espresso cups")] == ["P003"]  # plural finds "Cup"
    assert shop.search_products("esp") == []  # whole words only, never a piece of "Espresso"
    assert [p.id for p in shop.get_products(["P002", "nope", "00042"])] == ["P002", "00042"]


def test_a_change_retried_with_its_idempotency_key_is_reported_not_made_again(shop, sessions):
    from sqlalchemy import func, select

    from shop.tables import ShopChange

    assert shop.cancel_order("C001", "1000000004", idempotency_key="conv/7/cancel").status == "cancelled"
    assert shop.cancel_order("C001", "1000000004", idempotency_key="conv/7/cancel").status == "cancelled"  # no Conflict
    with pytest.raises(Conflict, match="cancel"):  # another turn asking again is told why not
        shop.cancel_order("C001", "1000000004", idempotency_key="conv/9/cancel")
    first = shop.start_return("C001", "1000000002", "too small", idempotency_key="conv/8/return")
    assert shop.start_return("C001", "1000000002", "too small", idempotency_key="conv/8/return").id == first.id
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ShopChange)) == 2


def test_an_idempotency_key_reused_for_another_change_is_refused(shop):
    shop.start_return("C001", "1000000002", "too small", idempotency_key="conv/8/x")
    with pytest.raises(Conflict, match="another change"):
        shop.cancel_order("C001", "1000000004", idempotency_key="conv/8/x")
    assert shop.get_order("C001", "1000000004").status != "cancelled"

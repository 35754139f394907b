"""Order references: the shop's id shape, learnt from its ids, and orders named by the shopper."""

from __future__ import annotations

import pytest

from bot.order_refs import IdShape, named_as_order


def test_the_id_shape_keeps_at_most_half_the_id_as_prefix():
    """Recent ids share "1044"; the shop's ids share "10": old orders must still be recognised."""
    shape = IdShape.learn(["1044356383", "1044270892", "1000089624"])
    assert shape is not None and shape.prefix == "10"
    assert shape.matches("1000089624") and shape.matches("1050000001") and not shape.matches("2000000001")
    assert IdShape.learn(["1044356383", "1044270892"]).prefix == "1044"  # the common prefix, within half the length


@pytest.mark.parametrize(("text", "named"), [
    ("where's order 2000000001?", ["2000000001"]),
    ("my order number is 12345", ["12345"]),
    ("order no. A-77 please", ["A-77"]),
    ("cancel my order from 2 weeks ago", []),
    ("I want to order 2 more mugs", []),
    ("Meir 1, 2000 Antwerpen", []),
])
def test_an_order_named_by_the_shopper_is_found_whatever_its_shape(text, named):
    assert named_as_order(text) == named


def test_a_named_order_that_is_not_the_shoppers_is_not_found_never_swapped_for_another():
    from tests.bot.fakes import FakeShop, order
    from tests.bot.test_dialogue import TABLE, Conversation

    TABLE["where's order 2000000001?"] = ("track_order", {})
    c = Conversation(FakeShop([order("1000000001", "delivered", 10), order("1000000002", "paid", 1)]))
    reply = c.say("where's order 2000000001?")[0]
    assert "couldn't find order 2000000001" in reply and "1000000002" not in reply


@pytest.mark.parametrize(("text", "current", "expected"), [
    ("the first one", None, "1000000001"),            # a position: the oldest of the list
    ("cancel my first order", None, "1000000001"),
    ("the second one please", None, "1000000002"),
    ("what's the status of it first", "1000000003", "1000000003"),  # "first" here is "before that"
    ("first, where is it?", "1000000003", "1000000003"),
    ("where is it", "1000000002", "1000000002"),      # "it" is the order under discussion
    ("where is it", None, None),                      # ... and nothing without one
])
def test_positions_qualify_an_order_and_it_means_the_order_under_discussion(text, current, expected):
    from bot.order_refs import resolve
    from tests.bot.fakes import order

    orders = [order("1000000003", "paid", 1), order("1000000002", "shipped", 5), order("1000000001", "delivered", 30)]
    found = resolve(text, orders, None, current)
    assert [o.id for o in found] == ([expected] if expected else [])


@pytest.mark.parametrize(("text", "expected"), [
    ("can I change the address?", None),             # "can" is a verb, not the watering can
    ("what do you have on my delivery", None),
    ("the watering can arrived bent", "1000000001"),  # the product, named
])
def test_request_words_never_name_a_product(text, expected):
    from bot.order_refs import resolve
    from tests.bot.fakes import order

    orders = [order("1000000002", "shipped", 5, product="Yellow Organic Cotton T-Shirt"),
              order("1000000001", "delivered", 30, product="Galvanised Steel Watering Can")]
    found = resolve(text, orders, None)
    assert [o.id for o in found] == ([expected] if expected else [])

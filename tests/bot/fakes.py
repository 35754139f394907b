"""Fakes behind the dialogue's ports: a scripted parser, an in-memory shop, a tiny help centre."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.nlu.types import Entity, Parse
from common.errors import Conflict, NotFound
from shop.backend import CANCELLABLE, Address, CustomerView, LineView, OrderView, ProductView, ReturnView, why_not

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


class ScriptedParser:
    """Reads 'intent: text [entity=value ...]'-free messages via a table of exact texts."""

    model_id = "fake-nlu"

    def __init__(self, table: dict[str, tuple[str, dict[str, str]]]) -> None:
        self.table = table

    def parse(self, text: str) -> Parse:
        intent, ents = self.table.get(text, ("out_of_scope", {}))
        entities = []
        for name, value in ents.items():
            start = text.find(value)
            entities.append(Entity(start, start + len(value), name, value))
        for m in re.finditer(r"\b10\d{8}\b", text):
            if not any(e.entity == "order_id" for e in entities):
                entities.append(Entity(m.start(), m.end(), "order_id", m.group()))
        return Parse(text, intent, 0.99 if intent != "out_of_scope" else 0.2, [(intent, 0.99)], entities, self.model_id)


def order(oid: str, status: str, days_ago: int, product: str = "Blue Canvas Sneakers", customer: str = "C1") -> OrderView:
    placed = NOW - timedelta(days=days_ago)
    return OrderView(oid, customer, status, placed, Decimal("59.00"), "EUR", Address("Ada", "Hauptstr. 5", "Berlin", "10115", "DE"),
                     [LineView("P1", product, "footwear", 1, Decimal("59.00"))], "DHL" if status == "shipped" else None,
                     "JD0001" if status == "shipped" else None, placed if status == "shipped" else None,
                     placed + timedelta(days=3) if status == "delivered" else None)


class FakeShop:
    def __init__(self, orders: list[OrderView]) -> None:
        self.orders = {o.id: o for o in orders}
        self.calls: list[tuple[str, str]] = []
        self.keys: list[str | None] = []  # the idempotency key of each change
        self.returns: list[ReturnView] = []

    def find_customer(self, customer_id: str) -> CustomerView | None:
        return CustomerView(customer_id, "Ada Lovelace", "ada@example.com", "DE") if customer_id == "C1" else None

    def list_orders(self, customer_id: str, limit: int = 10) -> list[OrderView]:
        mine = [o for o in self.orders.values() if o.customer_id == customer_id]
        return sorted(mine, key=lambda o: o.placed_at, reverse=True)[:limit]

    def get_order(self, customer_id: str, order_id: str) -> OrderView | None:
        o = self.orders.get(order_id)
        return o if o and o.customer_id == customer_id else None

    def cancel_order(self, customer_id: str, order_id: str, idempotency_key: str | None = None) -> OrderView:
        self.keys.append(idempotency_key)
        o = self.get_order(customer_id, order_id)
        if o is None:
            raise NotFound("order not found")
        if o.status not in CANCELLABLE:
            raise Conflict(f"order {order_id} is {o.status} and can no longer be cancelled")
        self.calls.append(("cancel", order_id))
        self.orders[order_id] = replace(o, status="cancelled")
        return self.orders[order_id]

    def start_return(self, customer_id: str, order_id: str, reason: str, product_ids: list[str] | None = None,
                     idempotency_key: str | None = None) -> ReturnView:
        self.keys.append(idempotency_key)
        self.calls.append(("return", order_id))
        self.returns.append(ReturnView("R-1", order_id, "requested", list(product_ids or [])))
        return self.returns[-1]

    def find_return(self, customer_id: str, order_id: str) -> ReturnView | None:
        return next((r for r in self.returns if r.order_id == order_id and self.get_order(customer_id, order_id)), None)

    def why_not(self, order: OrderView, change: str) -> str | None:
        return why_not(order, change, NOW)

    def sample_order_ids(self, limit: int = 500) -> list[str]:
        return list(self.orders)[:limit]

    def change_shipping_address(self, customer_id: str, order_id: str, address: Address,
                                idempotency_key: str | None = None) -> OrderView:
        self.keys.append(idempotency_key)
        self.calls.append(("address", order_id))
        self.orders[order_id] = replace(self.orders[order_id], address=address)
        return self.orders[order_id]

    def get_products(self, product_ids: list[str]) -> list[ProductView]:
        return [ProductView(i, f"Product {i}", "footwear", Decimal("10.00")) for i in product_ids]

    def search_products(self, query: str, limit: int = 5) -> list[ProductView]:
        return [ProductView("P1", "Blue Canvas Sneakers", "footwear", Decimal("59.00"))] if "sneaker" in query.lower() else []


@dataclass
class FakeAnswer:
    text: str
    title: str
    url: str
    doc_id: str
    score: float


class FakeKnowledge:
    index_id = "kb-fake"

    def answer(self, query: str, lenient: bool = False) -> FakeAnswer | None:
        if "return" in query.lower():
            return FakeAnswer("You can return items within 30 days of delivery.", "Returns", "https://help.example/returns", "returns", 0.8)
        if "gift" in query.lower():
            return FakeAnswer("Gift wrapping costs 3 euros an order.", "Gift wrapping", "https://help.example/gifts", "gifts", 0.8)
        return None

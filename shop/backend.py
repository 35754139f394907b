"""The shop as the bot sees it: a `ShopBackend` port and plain value objects.

A real deployment adds an adapter for its platform's API that implements the same Protocol;
`shop/sql_backend.py` is the implementation over Keepcart's own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

CANCELLABLE = ("placed", "paid")
RETURNABLE = ("delivered",)
ADDRESS_CHANGEABLE = ("placed", "paid")
RETURN_WINDOW_DAYS = 30


@dataclass(frozen=True)
class CustomerView:
    id: str
    name: str
    email: str
    country: str


@dataclass(frozen=True)
class LineView:
    product_id: str
    product_name: str
    category: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Address:
    name: str
    line: str
    city: str
    postal_code: str
    country: str

    def one_line(self) -> str:
        return ", ".join(p for p in (self.name, self.line, f"{self.postal_code} {self.city}".strip(), self.country) if p)


@dataclass(frozen=True)
class OrderView:
    id: str
    customer_id: str
    status: str
    placed_at: datetime
    total: Decimal
    currency: str
    address: Address
    lines: list[LineView] = field(default_factory=list)
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    def describe_items(self, limit: int = 3) -> str:
        names = [f"{line.quantity}× {line.product_name}" if line.quantity > 1 else line.product_name for line in self.lines]
        more = f" and {len(names) - limit} more" if len(names) > limit else ""
        return ", ".join(names[:limit]) + more


@dataclass(frozen=True)
class ProductView:
    id: str
    name: str
    category: str
    price: Decimal
    description: str = ""


@dataclass(frozen=True)
class ReturnView:
    id: str
    order_id: str
    status: str
    product_ids: list[str] = field(default_factory=list)  # empty: the whole order


CHANGES = ("cancel", "return", "change_address")


def why_not(order: OrderView, change: str, now: datetime, return_window_days: int = RETURN_WINDOW_DAYS) -> str | None:
    """Why `order` cannot get `change` ("cancel", "return", "change_address"), in words; None when it can.

    The one place these rules live: the SQL backend enforces them and the dialogue explains them.
    """
    if change == "cancel":
        return None if order.status in CANCELLABLE else f"it is already {order.status}; only orders that have not shipped can be cancelled"
    if change == "change_address":
        return None if order.status in ADDRESS_CHANGEABLE else f"it is already {order.status}; the address can only change before it ships"
    if change == "return":
        if order.status not in RETURNABLE:
            return f"it is {order.status}; only delivered orders can be returned"
        if now - (order.delivered_at or order.placed_at) > timedelta(days=return_window_days):
            return f"it was delivered more than {return_window_days} days ago (our return window)"
        return None
    raise ValueError(f"unknown change {change!r}; one of {CHANGES}")


class ShopBackend(Protocol):
    """What the dialogue may ask of the shop. Every order call is scoped to one customer,
    so a shopper can never reach another shopper's order, even with a guessed id."""

    def find_customer(self, customer_id: str) -> CustomerView | None: ...

    def list_orders(self, customer_id: str, limit: int = 10) -> list[OrderView]: ...

    def get_order(self, customer_id: str, order_id: str) -> OrderView | None: ...

    # The changes take the turn's `idempotency_key`: a retried turn with the same key reports the
    # change it already made instead of making it again (an external shop's adapter passes the key
    # to its API, e.g. an Idempotency-Key header).
    def cancel_order(self, customer_id: str, order_id: str, idempotency_key: str | None = None) -> OrderView: ...

    def start_return(self, customer_id: str, order_id: str, reason: str, product_ids: list[str] | None = None,
                     idempotency_key: str | None = None) -> ReturnView: ...

    def change_shipping_address(self, customer_id: str, order_id: str, address: Address,
                                idempotency_key: str | None = None) -> OrderView: ...

    def find_return(self, customer_id: str, order_id: str) -> ReturnView | None:
        """The return registered for this order of this customer, if any ("where is my return?")."""
        ...

    def search_products(self, query: str, limit: int = 5) -> list[ProductView]: ...

    def get_products(self, product_ids: list[str]) -> list[ProductView]: ...

    def why_not(self, order: OrderView, change: str) -> str | None:
        """Why this order cannot get this change now (None: it can); see `shop.backend.why_not`."""
        ...

    def sample_order_ids(self, limit: int = 500) -> list[str]:
        """Some of the shop's order ids, so the dialogue can learn their shape."""
        ...

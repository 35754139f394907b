"""Who plays each story, the variables the story may use, and the shop's state before and after.

Every story gets a customer no earlier story of the run used, so one story's cancellation never
becomes the next story's starting point. State is read straight from the shop's tables: the runner
checks what really changed in the database, not what the bot said it did.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversation_tests.format import VARIABLE, Shopper
from shop.backend import RETURN_WINDOW_DAYS
from shop.tables import Customer, Order, OrderLine, Product, ReturnRequest

# A story takes a while to play: an order two days from leaving the return window counts as outside.
RETURNABLE_MARGIN = timedelta(days=2)


class NoShopper(LookupError):
    """No unused customer of the shop fits a story's shopper selector."""


@dataclass
class Cast:
    """The customer a story plays, and the values of its variables."""

    customer_id: str | None
    variables: dict[str, str] = field(default_factory=dict)
    watched_orders: list[str] = field(default_factory=list)

    def fill(self, text: str, regex: bool = False) -> str:
        """`text` with its {variables} replaced (escaped when `text` is a regular expression)."""
        def value(m: re.Match[str]) -> str:
            v = self.variables[m.group(1)]
            return re.escape(v) if regex else v
        return VARIABLE.sub(value, text)


@dataclass(frozen=True)
class ShopState:
    orders: dict[str, tuple[str, tuple[str, ...]]]  # order id -> (status, shipping address fields)
    returns: int
    customer_address: tuple[str, ...] | None
    status_counts: dict[str, int]


class ShopperPicker:
    """Hands each story a fresh customer whose orders match its selector."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.used: set[str] = set()
        with sessions() as session:
            rows = session.execute(select(Order.customer_id, Order.id, Order.status, Order.delivered_at)
                                   .order_by(Order.customer_id, Order.placed_at.desc(), Order.id)).all()
            self.countries = dict(session.execute(select(Customer.id, Customer.country)).all())
        window_start = datetime.now(UTC) - timedelta(days=RETURN_WINDOW_DAYS) + RETURNABLE_MARGIN
        self.orders: dict[str, list[tuple[str, str]]] = {}
        for customer_id, order_id, status, delivered_at in rows:
            self.orders.setdefault(customer_id, []).append((order_id, status))
            if status == "delivered" and delivered_at is not None and _aware(delivered_at) >= window_start:
                self.orders[customer_id].append((order_id, "returnable"))

    def cast(self, shopper: Shopper, variables: set[str]) -> Cast:
        """Pick the customer and bind `variables` (names without braces)."""
        if shopper.anonymous:
            cast = Cast(None)
        elif shopper.customer_id:
            if shopper.customer_id not in self.countries:
                raise NoShopper(f"customer {shopper.customer_id} is not in the shop")
            cast = Cast(shopper.customer_id)
        else:
            cast = Cast(self._pick(shopper))
        if cast.customer_id:
            self.used.add(cast.customer_id)
            cast.watched_orders = list(dict.fromkeys(o for o, _ in self.orders.get(cast.customer_id, [])))
        for name in sorted(variables):
            cast.variables[name] = self._bind(cast, name)
        return cast

    def _pick(self, shopper: Shopper) -> str:
        need = Counter(shopper.orders)
        for customer_id in sorted(self.countries):
            if customer_id in self.used or (shopper.country and self.countries[customer_id] != shopper.country):
                continue
            have = Counter(s for _, s in self.orders.get(customer_id, []))
            if all(have[s] >= n for s, n in need.items()):
                return customer_id
        where = f" in {shopper.country}" if shopper.country else ""
        raise NoShopper(f"no unused customer{where} has orders {sorted(shopper.orders)}")

    def _bind(self, cast: Cast, name: str) -> str:
        head, *rest = name.split(".")
        with self.sessions() as session:
            if head == "customer":
                customer = session.get(Customer, cast.customer_id)
                assert customer is not None
                if rest[0] == "first_name":
                    return customer.name.split()[0]
                return str(getattr(customer, rest[0]))
            if rest == ["other_customer"]:
                other = next(c for c in sorted(self.orders, reverse=True) if c not in self.used and c != cast.customer_id)
                self.used.add(other)
                order_id = self.orders[other][0][0]  # their newest order
                cast.watched_orders.append(order_id)
                return order_id
            status, *more = rest
            index = int(more.pop(0)) - 1 if more and more[0].isdigit() else 0
            mine = self.orders.get(cast.customer_id or "", [])
            matching = list(dict.fromkeys(o for o, s in mine if status == "last" or s == status))
            if len(matching) <= index:
                raise NoShopper(f"customer {cast.customer_id} has no {status} order number {index + 1}")
            order_id = matching[index]
            field_name = more[0] if more else "id"
            if field_name == "id":
                return order_id
            if field_name == "carrier":
                return session.scalar(select(Order.carrier).where(Order.id == order_id)) or ""
            return session.scalar(select(Product.name).join(OrderLine, OrderLine.product_id == Product.id)
                                  .where(OrderLine.order_id == order_id).order_by(OrderLine.id).limit(1)) or ""

    def snapshot(self, cast: Cast) -> ShopState:
        """The state a story may change: its orders (status, shipping address), returns, the customer's address."""
        with self.sessions() as session:
            rows = session.scalars(select(Order).where(Order.id.in_(cast.watched_orders))).all() if cast.watched_orders else []
            orders = {o.id: (o.status, (o.ship_name, o.ship_address_line, o.ship_city, o.ship_postal_code, o.ship_country)) for o in rows}
            returns_query = select(func.count(ReturnRequest.id))
            if cast.customer_id:
                returns_query = returns_query.where(ReturnRequest.order_id.in_(cast.watched_orders or ["-"]))
            returns = session.scalar(returns_query) or 0
            address = None
            if cast.customer_id:
                c = session.get(Customer, cast.customer_id)
                address = (c.address_line, c.city, c.postal_code, c.country) if c else None
            counts = {s: n for s, n in session.execute(select(Order.status, func.count(Order.id)).group_by(Order.status))} \
                if cast.customer_id is None else {}
        return ShopState(orders, returns, address, counts)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

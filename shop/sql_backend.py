"""`ShopBackend` over Keepcart's own SQL tables."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from common.db import unit_of_work
from common.errors import Conflict, NotFound
from common.text import STOPWORDS, singular
from shop.backend import (
    Address,
    CustomerView,
    LineView,
    OrderView,
    ProductView,
    ReturnView,
    why_not,
)
from shop.tables import Customer, Order, OrderLine, OrderStatus, Product, ReturnRequest, ShopChange

# Words of a product request that name no product ("do you sell any ...", "show me items ...").
SEARCH_FILLER = frozenset("sell sold buy got offer offers show find looking look product products item items stock thing things".split())
_WORD = re.compile(r"[a-z0-9]+")


def _order_view(order: Order) -> OrderView:
    return OrderView(
        id=order.id,
        customer_id=order.customer_id,
        status=order.status,
        placed_at=order.placed_at,
        total=order.total,
        currency=order.currency,
        address=Address(order.ship_name, order.ship_address_line, order.ship_city, order.ship_postal_code, order.ship_country),
        lines=[LineView(line.product_id, line.product.name, line.product.category, line.quantity, line.unit_price)
               for line in order.lines],
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
    )


class SqlShopBackend:
    """Each call runs in its own short transaction, so the dialogue never holds locks."""

    def __init__(self, sessions: sessionmaker[Session], clock: type[datetime] = datetime) -> None:
        self._sessions = sessions
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock.now(UTC)

    def _owned_order(self, session: Session, customer_id: str, order_id: str, lock: bool = False) -> Order:
        stmt = (
            select(Order)
            .where(Order.id == order_id, Order.customer_id == customer_id)
            .options(selectinload(Order.lines).selectinload(OrderLine.product))
        )
        if lock:
            stmt = stmt.with_for_update(of=Order)
        order = session.scalars(stmt).first()
        if order is None:  # another customer's order reads exactly like a missing one
            raise NotFound(f"order {order_id} not found")
        return order

    def find_customer(self, customer_id: str) -> CustomerView | None:
        with self._sessions() as session:
            c = session.get(Customer, customer_id)
            return CustomerView(c.id, c.name, c.email, c.country) if c else None

    def list_orders(self, customer_id: str, limit: int = 10) -> list[OrderView]:
        with self._sessions() as session:
            orders = session.scalars(
                select(Order)
                .where(Order.customer_id == customer_id)
                .order_by(Order.placed_at.desc(), Order.id.desc())
                .limit(limit)
                .options(selectinload(Order.lines).selectinload(OrderLine.product))
            ).all()
            return [_order_view(o) for o in orders]

    def get_order(self, customer_id: str, order_id: str) -> OrderView | None:
        with self._sessions() as session:
            try:
                return _order_view(self._owned_order(session, customer_id, order_id))
            except NotFound:
                return None

    def why_not(self, order: OrderView, change: str) -> str | None:
        return why_not(order, change, self._now())

    def sample_order_ids(self, limit: int = 500) -> list[str]:
        """The newest and the oldest ids: a sample of recent ones alone shares a longer prefix than the shop's ids do."""
        with self._sessions() as session:
            newest = list(session.scalars(select(Order.id).order_by(Order.placed_at.desc()).limit(limit // 2)))
            oldest = list(session.scalars(select(Order.id).order_by(Order.placed_at.asc()).limit(limit - limit // 2)))
            seen = set(newest)
            return newest + [i for i in oldest if i not in seen]

    def _refuse(self, order: Order, change: str) -> None:
        problem = why_not(_order_view(order), change, self._now())
        if problem:
            raise Conflict(f"order {order.id}: {problem}")

    def _done_before(self, session: Session, key: str | None, kind: str, order_id: str) -> ShopChange | None:
        """The change this key already made (a retried turn), else None; a key reused for another change is refused."""
        if key is None:
            return None
        done = session.get(ShopChange, key)
        if done is not None and (done.kind, done.order_id) != (kind, order_id):
            raise Conflict(f"idempotency key {key!r} was used for another change")
        return done

    def _record(self, session: Session, key: str | None, kind: str, order_id: str, result_id: str | None = None) -> None:
        if key is not None:
            session.add(ShopChange(key=key, kind=kind, order_id=order_id, result_id=result_id, created_at=self._now()))

    def cancel_order(self, customer_id: str, order_id: str, idempotency_key: str | None = None) -> OrderView:
        with unit_of_work(self._sessions) as session:
            order = self._owned_order(session, customer_id, order_id, lock=True)
            if self._done_before(session, idempotency_key, "cancel", order_id):
                return _order_view(order)
            self._refuse(order, "cancel")
            order.status = OrderStatus.CANCELLED
            order.updated_at = self._now()
            self._record(session, idempotency_key, "cancel", order_id)
            session.flush()
            return _order_view(order)

    def start_return(self, customer_id: str, order_id: str, reason: str, product_ids: list[str] | None = None,
                     idempotency_key: str | None = None) -> ReturnView:
        """Register a return of the whole order, or of the lines with `product_ids`; one per order."""
        with unit_of_work(self._sessions) as session:
            order = self._owned_order(session, customer_id, order_id, lock=True)
            done = self._done_before(session, idempotency_key, "return", order_id)
            existing = session.scalars(select(ReturnRequest).where(ReturnRequest.order_id == order_id)).first()
            if done is not None and existing is not None:
                return ReturnView(existing.id, existing.order_id, existing.status, list(existing.product_ids or []))
            self._refuse(order, "return")
            if existing is not None:
                return ReturnView(existing.id, existing.order_id, existing.status, list(existing.product_ids or []))
            known = {line.product_id for line in order.lines}
            chosen = [p for p in (product_ids or []) if p in known]
            rma = ReturnRequest(id=f"R-{secrets.token_hex(4).upper()}", order_id=order_id, reason=reason[:500],
                                product_ids=chosen, created_at=self._now())
            session.add(rma)
            self._record(session, idempotency_key, "return", order_id, rma.id)
            session.flush()
            return ReturnView(rma.id, rma.order_id, rma.status, chosen)

    def find_return(self, customer_id: str, order_id: str) -> ReturnView | None:
        with self._sessions() as session:
            row = session.scalars(select(ReturnRequest).join(Order, Order.id == ReturnRequest.order_id)
                                  .where(ReturnRequest.order_id == order_id, Order.customer_id == customer_id)).first()
            return ReturnView(row.id, row.order_id, row.status, list(row.product_ids or [])) if row else None

    def change_shipping_address(self, customer_id: str, order_id: str, address: Address,
                                idempotency_key: str | None = None) -> OrderView:
        with unit_of_work(self._sessions) as session:
            order = self._owned_order(session, customer_id, order_id, lock=True)
            if self._done_before(session, idempotency_key, "change_address", order_id):
                return _order_view(order)
            self._refuse(order, "change_address")
            order.ship_name = address.name or order.ship_name
            order.ship_address_line = address.line
            order.ship_city = address.city
            order.ship_postal_code = address.postal_code
            order.ship_country = address.country or order.ship_country
            order.updated_at = self._now()
            self._record(session, idempotency_key, "change_address", order_id)
            session.flush()
            return _order_view(order)

    def search_products(self, query: str, limit: int = 5) -> list[ProductView]:
        """Active products whose name or category holds the query's words, most words matched first.

        Whole words, singular or plural ("mugs" finds "Mug"), never inside another word ("match" is not
        "Matcha"); function words and shopping verbs are dropped first.
        """
        words = {singular(w) for w in _WORD.findall(query.lower())
                 if len(w) > 2 and w not in STOPWORDS and w not in SEARCH_FILLER}
        if not words:
            return []
        with self._sessions() as session:
            conditions = [or_(Product.name.ilike(f"%{w}%"), Product.category.ilike(f"%{w}%")) for w in sorted(words)[:6]]
            rows = session.scalars(select(Product).where(Product.active.is_(True), or_(*conditions)).limit(500)).all()

            def score(p: Product) -> int:
                return len(words & {singular(t) for t in _WORD.findall(f"{p.name} {p.category}".lower())})

            best = sorted((p for p in rows if score(p)), key=lambda p: (-score(p), p.name))[:limit]
            return [ProductView(p.id, p.name, p.category, p.price, p.description) for p in best]

    def get_products(self, product_ids: list[str]) -> list[ProductView]:
        """Products by id, in the order asked (unknown ids are skipped)."""
        with self._sessions() as session:
            found = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))}
            return [ProductView(p.id, p.name, p.category, p.price, p.description) for i in product_ids if (p := found.get(i))]

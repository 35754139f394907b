"""The demo shop generator: deterministic, coherent, and carrying the signal later models need."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from common.errors import Conflict, InvalidInput
from shop.demo import DemoSummary, demo_shop_is_present, generate_demo_shop
from shop.demo_catalog import CATEGORIES, COMPLEMENTS
from shop.tables import Customer, Order, OrderLine, OrderStatus, Product

NOW = datetime(2026, 11, 25, tzinfo=UTC)
TRACKING = {"DHL": r"00340434\d{12}", "DPD": r"\d{14}", "UPS": r"1Z[0-9A-Z]{6}\d{10}"}


def _generate(sessions: sessionmaker[Session], seed: int = 11) -> DemoSummary:
    with sessions() as session:
        summary = generate_demo_shop(session, seed=seed, customers=200, now=NOW)
        session.commit()
    return summary


def _dump(session: Session) -> list[list[tuple[object, ...]]]:
    out = []
    for table in (Customer, Product, Order, OrderLine):
        cols = [c for c in table.__table__.columns if c.name != "id" or table is not OrderLine]
        rows = session.execute(select(*cols).order_by(*table.__table__.primary_key.columns)).all()
        out.append([tuple(r) for r in rows])
    return out


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> Iterator[tuple[DemoSummary, Session]]:
    summary = _generate(sessions)
    with sessions() as session:
        yield summary, session


def test_same_seed_and_now_give_identical_rows(sessions: sessionmaker[Session]) -> None:
    _generate(sessions, seed=3)
    with sessions() as session:
        first = _dump(session)
        for table in (OrderLine, Order, Customer, Product):
            session.execute(delete(table))
        session.commit()
    _generate(sessions, seed=3)
    with sessions() as session:
        assert _dump(session) == first
        for table in (OrderLine, Order, Customer, Product):
            session.execute(delete(table))
        session.commit()
    _generate(sessions, seed=4)
    with sessions() as session:
        assert _dump(session)[2] != first[2]


def test_refuses_a_shop_that_has_data_and_reports_presence(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert not demo_shop_is_present(session)
    _generate(sessions)
    with sessions() as session:
        assert demo_shop_is_present(session)
        with pytest.raises(Conflict):
            generate_demo_shop(session, customers=10, now=NOW)


def test_naive_now_is_rejected(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(InvalidInput):
        generate_demo_shop(session, customers=5, now=datetime(2026, 1, 1))


def test_summary_matches_the_database_and_every_status_is_present(shop: tuple[DemoSummary, Session]) -> None:
    summary, session = shop
    counts = Counter(session.scalars(select(Order.status)))
    assert summary.orders_by_status == {s.value: counts[s.value] for s in OrderStatus}
    assert all(counts[s.value] > 0 for s in OrderStatus), counts
    assert summary.customers == 200 == len(session.scalars(select(Customer.id)).all())
    assert summary.products == len(session.scalars(select(Product.id)).all()) >= 250
    assert summary.order_lines == len(session.scalars(select(OrderLine.id)).all())
    assert summary.examples and all(ex.orders for ex in summary.examples)
    for ex in summary.examples:
        for status, order_id in ex.orders.items():
            order = session.get(Order, order_id)
            assert order is not None and order.customer_id == ex.customer_id and order.status == status


def test_ids_are_strings_in_the_documented_shapes(shop: tuple[DemoSummary, Session]) -> None:
    _, session = shop
    customer_ids = session.scalars(select(Customer.id)).all()
    order_ids = session.scalars(select(Order.id)).all()
    assert all(isinstance(i, str) and re.fullmatch(r"C\d{5}", i) for i in customer_ids)
    assert all(isinstance(i, str) and re.fullmatch(r"10\d{8}", i) for i in order_ids)
    assert len(set(order_ids)) == len(order_ids)
    assert all(re.fullmatch(r"P\d{4}", i) for i in session.scalars(select(OrderLine.product_id)))
    emails = session.scalars(select(Customer.email)).all()
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9._]+@example\.(com|net|org)", e) for e in emails)


def test_totals_equal_line_sums(shop: tuple[DemoSummary, Session]) -> None:
    _, session = shop
    sums: dict[str, Decimal] = defaultdict(Decimal)
    sizes: Counter[str] = Counter()
    for line in session.scalars(select(OrderLine)):
        sums[line.order_id] += line.unit_price * line.quantity
        sizes[line.order_id] += 1
    for order in session.scalars(select(Order)):
        assert order.total == sums[order.id] and order.total > 0
        assert 1 <= sizes[order.id] <= 4
        assert order.currency == "EUR"


def test_statuses_are_coherent_with_timestamps(shop: tuple[DemoSummary, Session]) -> None:
    _, session = shop
    oldest = NOW - timedelta(days=730)
    for order in session.scalars(select(Order)):
        stamps = [t for t in (order.placed_at, order.updated_at, order.shipped_at, order.delivered_at) if t]
        assert all(t.tzinfo is not None and oldest <= t <= NOW for t in stamps), order.id
        assert order.updated_at >= order.placed_at
        if order.status in ("placed", "paid", "cancelled"):
            assert order.shipped_at is None and order.carrier is None and order.tracking_number is None
        else:
            assert order.carrier in TRACKING and re.fullmatch(TRACKING[order.carrier], order.tracking_number or "")
            assert order.shipped_at is not None and order.shipped_at > order.placed_at
        if order.status == "shipped":
            assert order.delivered_at is None
        if order.status in ("delivered", "returned", "refunded"):
            assert order.delivered_at is not None and order.shipped_at is not None
            assert timedelta(days=1) <= order.delivered_at - order.placed_at <= timedelta(days=8)
            assert order.delivered_at > order.shipped_at
        if order.status in ("placed", "paid"):
            assert NOW - order.placed_at < timedelta(days=3)
        if order.status == "shipped":
            assert NOW - order.placed_at < timedelta(days=9)
    for customer in session.scalars(select(Customer)):
        assert oldest <= customer.created_at <= NOW
        assert customer.country and customer.city and customer.postal_code and customer.address_line
        for order in customer.orders:
            assert customer.created_at <= order.placed_at
            assert (order.ship_name, order.ship_address_line, order.ship_city, order.ship_postal_code,
                    order.ship_country) == (customer.name, customer.address_line, customer.city,
                                            customer.postal_code, customer.country)


def test_purchase_rhythms_show_up(shop: tuple[DemoSummary, Session]) -> None:
    _, session = shop
    per_customer: dict[str, list[Order]] = defaultdict(list)
    for order in session.scalars(select(Order).order_by(Order.placed_at)):
        per_customer[order.customer_id].append(order)
    counts = [len(v) for v in per_customer.values()]
    assert len(per_customer) == 200  # every customer has ordered at least once
    assert 0.15 <= sum(c == 1 for c in counts) / 200 <= 0.5
    assert sum(c >= 8 for c in counts) >= 10
    assert sum(v[-1].placed_at < NOW - timedelta(days=120) for v in per_customer.values()) >= 30
    lasts = [v[-1] for v in per_customer.values()]
    assert sum(o.status in ("placed", "paid") for o in lasts) >= 2
    assert sum(o.status == "shipped" for o in lasts) >= 2
    assert sum(o.status == "delivered" and o.delivered_at >= NOW - timedelta(days=30) for o in lasts) >= 5


def test_bad_experiences_raise_the_chance_of_lapsing(shop: tuple[DemoSummary, Session]) -> None:
    """Churn signal: a customer whose last order before a cutoff went wrong comes back less often."""
    _, session = shop
    cutoff = NOW - timedelta(days=120)
    last_before: dict[str, Order] = {}
    came_back: set[str] = set()
    for order in session.scalars(select(Order).order_by(Order.placed_at)):
        if order.placed_at < cutoff:
            last_before[order.customer_id] = order
        else:
            came_back.add(order.customer_id)

    def bad(o: Order) -> bool:
        late = o.delivered_at is not None and o.shipped_at is not None
        late = late and o.delivered_at - o.shipped_at > timedelta(days=4)
        return o.status in ("cancelled", "returned", "refunded") or late

    groups: dict[bool, list[bool]] = {True: [], False: []}
    for cid, order in last_before.items():
        groups[bad(order)].append(cid not in came_back)
    assert len(groups[True]) >= 10
    lapse_bad = sum(groups[True]) / len(groups[True])
    lapse_ok = sum(groups[False]) / len(groups[False])
    assert lapse_bad > lapse_ok + 0.1


def test_baskets_carry_co_purchase_and_repeat_signal(shop: tuple[DemoSummary, Session]) -> None:
    """Recommendation signal: complementary kinds share baskets far above chance; staples are rebought."""
    _, session = shop
    kinds = sorted((k.name for ks in CATEGORIES.values() for k in ks), key=len, reverse=True)
    kind_of = {p.id: next(k for k in kinds if p.name.split(" — ")[0].endswith(k))
               for p in session.scalars(select(Product))}
    repeat = set(session.scalars(select(Product.id).where(Product.repeat_purchase)))
    assert 30 <= len(repeat) <= 150
    baskets: dict[str, list[str]] = defaultdict(list)
    for line in session.scalars(select(OrderLine).order_by(OrderLine.id)):
        baskets[line.order_id].append(line.product_id)
    multi = [b for b in baskets.values() if len(b) > 1]

    def complement_share(groups: list[list[str]]) -> float:
        hits = 0
        for basket in groups:
            present = {kind_of[p] for p in basket}
            hits += any(set(COMPLEMENTS.get(k, ())) & present for k in present)
        return hits / len(groups)

    pool = [p for b in multi for p in b]
    random.Random(0).shuffle(pool)
    shuffled, i = [], 0
    for basket in multi:
        shuffled.append(pool[i: i + len(basket)])
        i += len(basket)
    assert complement_share(multi) > 3 * complement_share(shuffled)
    owner = dict(session.execute(select(Order.id, Order.customer_id)).tuples().all())
    rebuys = Counter((owner[o], p) for o, b in baskets.items() for p in set(b) if p in repeat)
    assert sum(n >= 3 for n in rebuys.values()) >= 10


def test_progress_bar_goes_to_stderr(sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    with sessions() as session:
        generate_demo_shop(session, customers=20, now=NOW, progress=True)
        session.rollback()
    assert "demo shop" in capsys.readouterr().err


def test_default_now_is_today_at_midnight_utc(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        summary = generate_demo_shop(session, customers=5)
        session.rollback()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert summary.now == today
    assert summary.last_order_at is not None and summary.last_order_at < today

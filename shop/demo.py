"""The seeded demo shop "Harbour & Pine": customers with latent purchase rhythms, and their orders.

Signal is planted on purpose so later models have something real to learn: each customer has a
segment (loyal, lapsing, one-off, churned, new, seasonal) that sets the rhythm of their orders,
2-3 favourite categories, staple consumables they rebuy, and baskets built from complementary
kinds (coffee + mugs, tent + sleeping bag). A bad experience (cancelled, returned, refunded or late
order) makes a customer likely to stop buying. Same seed and same `now` give identical rows.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from tqdm import tqdm

from common.errors import Conflict, InvalidInput
from shop.demo_catalog import (
    COMPLEMENTS,
    COUNTRIES,
    CURRENCY,
    EMAIL_DOMAINS,
    SEASONS,
    SHOP_NAME,
    Catalog,
    CatalogProduct,
    Country,
    ascii_name,
    build_catalog,
    tracking_number,
)
from shop.tables import Customer, Order, OrderLine, OrderStatus, Product

# Shares chosen so that, as in a real shop's year (Online Retail: 29-38% of customers without an order in the
# last 90 days at three cutoffs), about a third of the demo's customers have lapsed.
SEGMENTS = {"loyal": 0.39, "lapsing": 0.18, "one_off": 0.13, "churned": 0.07, "new": 0.19, "seasonal": 0.04}
# Order outcomes (cumulative thresholds); "late" is delivered, but more than 4 days in transit.
OUTCOMES = (("cancelled", 0.03), ("returned", 0.055), ("refunded", 0.075), ("late", 0.12))
# Chance that a bad experience ends a customer's buying; loyal customers forgive more often.
STOP_AFTER_BAD = {"loyal": 0.25, "seasonal": 0.4}
STOP_AFTER_BAD_DEFAULT = 0.6
CARRIERS = (("DHL", 0.5), ("DPD", 0.3), ("UPS", 0.2))
HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 6, 7, 9, 11, 12, 10, 6, 3]  # evening peak
HISTORY_DAYS = 730
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DemoExample:
    """A customer worth trying in the demo, and one order id per status they have."""

    customer_id: str
    email: str
    name: str
    segment: str
    why: str
    orders: dict[str, str]


@dataclass(frozen=True)
class DemoSummary:
    shop_name: str
    seed: int
    now: datetime
    customers: int
    products: int
    orders: int
    order_lines: int
    orders_by_status: dict[str, int]
    segments: dict[str, int]
    first_order_at: datetime | None
    last_order_at: datetime | None
    examples: list[DemoExample] = field(default_factory=list)

    def describe(self) -> str:
        """A few readable lines for the CLI and the README."""
        statuses = ", ".join(f"{s} {n}" for s, n in self.orders_by_status.items())
        lines = [
            f"{self.shop_name}: {self.customers} customers, {self.products} products, "
            f"{self.orders} orders ({self.order_lines} lines), seed {self.seed}",
            f"orders {self.first_order_at:%Y-%m-%d} to {self.last_order_at:%Y-%m-%d}: {statuses}",
        ]
        for ex in self.examples:
            orders = ", ".join(f"{s} {oid}" for s, oid in ex.orders.items())
            lines.append(f"  {ex.customer_id} {ex.email} ({ex.why}): {orders}")
        return "\n".join(lines)


@dataclass
class _Shopper:
    segment: str
    country: Country
    first: str
    last: str
    address_line: str
    city: str
    postal_code: str
    favourites: list[str]
    fav_weights: list[float]
    staples: list[CatalogProduct] = field(default_factory=list)
    joined: datetime | None = None
    orders: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False  # gave up after a bad experience
    id: str = ""
    email: str = ""


def demo_shop_is_present(session: Session) -> bool:
    """True when the first demo customer is in the database (so `keepcart demo` can skip generating)."""
    email = session.scalar(select(Customer.email).where(Customer.id == "C00001"))
    return email is not None and email.rsplit("@", 1)[-1] in EMAIL_DOMAINS


def generate_demo_shop(
    session: Session, seed: int = 7, customers: int = 2000, now: datetime | None = None, progress: bool = False
) -> DemoSummary:
    """Fill an empty shop with the demo data; the caller commits. Raises Conflict if the shop has data."""
    if customers < 1:
        raise InvalidInput("customers must be at least 1")
    if now is None:
        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    now = now.astimezone(UTC).replace(microsecond=0)
    for table in (Customer, Product, Order):
        if session.scalar(select(func.count()).select_from(table)):
            raise Conflict("the shop already has data; the demo shop is only generated into an empty shop")
    rng = random.Random(seed)
    catalog = Catalog(build_catalog(rng), rng)
    start = now - timedelta(days=HISTORY_DAYS)
    shoppers: list[_Shopper] = []
    with tqdm(total=customers, desc="demo shop: customers", unit="cust", disable=not progress, file=sys.stderr) as bar:
        for _ in range(customers):
            shopper = _new_shopper(rng, catalog)
            days = _plan_days(rng, shopper.segment, start)
            shopper.joined = _sec(start + timedelta(days=days[0] - rng.uniform(0, min(20.0, days[0]))))
            for d in days:
                latest = now - timedelta(minutes=rng.randint(15, 600))  # never in the future
                placed = min(_at_hour(rng, start + timedelta(days=int(d))), latest)
                outcome = _outcome(rng)
                shopper.orders.append(_order(rng, shopper, catalog, placed, now, outcome))
                if outcome != "ok" and rng.random() < STOP_AFTER_BAD.get(shopper.segment, STOP_AFTER_BAD_DEFAULT):
                    shopper.stopped = True
                    break
            shopper.joined = min(shopper.joined, shopper.orders[0]["placed_at"])
            shoppers.append(shopper)
            bar.update()
    _add_open_orders(rng, shoppers, catalog, now)
    _assign_ids(rng, shoppers)
    return _write(session, shoppers, catalog, seed, now, progress)


def _new_shopper(rng: random.Random, catalog: Catalog) -> _Shopper:
    segment = rng.choices(list(SEGMENTS), list(SEGMENTS.values()))[0]
    country = rng.choices(COUNTRIES, [c.weight for c in COUNTRIES])[0]
    city, codes = rng.choice(country.cities)
    favourites = rng.sample(catalog.categories, rng.choice((2, 2, 3)))
    weights = sorted((rng.uniform(0.5, 3.0) for _ in favourites), reverse=True)
    return _Shopper(segment, country, rng.choice(country.first), rng.choice(country.last),
                    country.street_line(rng), city, rng.choice(codes), favourites, weights)


def _acquired(rng: random.Random, latest: float) -> float:
    """A first-order day in [0, latest), more of them recent: a growing shop gains more customers each month."""
    return latest * float(rng.random() ** 0.6)


def _plan_days(rng: random.Random, segment: str, start: datetime) -> list[float]:
    """Order days (0 = two years ago) from the segment's rhythm, before bad experiences cut it short."""
    end = float(HISTORY_DAYS)
    if segment == "one_off":
        return [_acquired(rng, end - 3)]
    if segment == "seasonal":  # Christmas shopping most years, sometimes a spring order
        out = []
        for year in range(start.year, start.year + 3):
            if rng.random() < 0.85:
                out.append((datetime(year, 11, 20, tzinfo=UTC) - start).days + rng.uniform(0, 30))
            if rng.random() < 0.4:
                out.append((datetime(year, 4, 1, tzinfo=UTC) - start).days + rng.uniform(0, 60))
        return sorted(d for d in out if 0 <= d < end) or [rng.uniform(0, end - 3)]
    if segment == "new":
        t, mean, stop = rng.uniform(end - 60, end - 1), rng.uniform(12, 40), end
    elif segment == "loyal":
        t, mean, stop = _acquired(rng, 580), rng.uniform(18, 60), end
    elif segment == "lapsing":
        t, mean, stop = _acquired(rng, 430), rng.uniform(20, 50), end - rng.uniform(0, 80)
    else:  # churned: active for a few months, silent for more than 120 days
        t, mean = rng.uniform(0, 480), rng.uniform(18, 45)
        stop = min(t + rng.uniform(90, 300), end - 121 - rng.uniform(0, 60))
    days, growth, settle = [], rng.uniform(1.3, 1.7), rng.randint(3, 7)
    while t < stop:
        days.append(t)
        gap = mean * rng.lognormvariate(0, 0.5)  # a rhythm, not a clock: real gaps vary by a factor of two
        if segment == "lapsing" and len(days) >= settle:
            gap *= growth ** (len(days) - settle + 1)
        t += gap
    return days or [stop - 1]


def _at_hour(rng: random.Random, day: datetime) -> datetime:
    hour = rng.choices(range(24), HOURS)[0]
    return day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


def _sec(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def _outcome(rng: random.Random) -> str:
    r = rng.random()
    return next((name for name, limit in OUTCOMES if r < limit), "ok")


def _events(rng: random.Random, placed: datetime, outcome: str, quick: bool = False) -> list[tuple[str, datetime]]:
    """The order's life: placed, paid (minutes, or days for bank transfers), shipped, delivered, after."""
    bank = not quick and rng.random() < 0.15
    paid = placed + (timedelta(days=rng.uniform(0.5, 2)) if bank else timedelta(minutes=rng.uniform(1, 30)))
    shipped = paid + timedelta(days=rng.uniform(0.3, 1.5))
    if outcome == "cancelled":
        cancel = placed + (shipped - placed) * rng.uniform(0.1, 0.9)
        return [("placed", placed)] + ([("paid", paid)] if paid < cancel else []) + [("cancelled", cancel)]
    transit = rng.uniform(4.5, 6) if outcome == "late" else rng.uniform(0.8, 3.5)
    delivered = min(shipped + timedelta(days=transit), placed + timedelta(days=7.95))
    events = [("placed", placed), ("paid", paid), ("shipped", shipped), ("delivered", delivered)]
    if outcome in ("returned", "refunded"):
        events.append((outcome, delivered + timedelta(days=rng.uniform(3, 21))))
    return events


def _basket(rng: random.Random, shopper: _Shopper, catalog: Catalog, month: int) -> list[CatalogProduct]:
    """1-4 distinct products: a staple or a favourite-category pick, then complements and favourites."""
    size = rng.choices((1, 2, 3, 4), (45, 30, 17, 8))[0]
    if shopper.staples and rng.random() < 0.5:
        first = rng.choice(shopper.staples)
    else:
        if rng.random() < 0.12:
            category = rng.choice(catalog.categories)
        else:
            weights = [w * SEASONS.get(c, {}).get(month, 1.0) for c, w in zip(shopper.favourites, shopper.fav_weights)]
            category = rng.choices(shopper.favourites, weights)[0]
        first = catalog.pick(rng, category)
        if first.repeat_purchase and first not in shopper.staples and len(shopper.staples) < 3:
            shopper.staples.append(first)
    basket = [first]
    for _ in range(size - 1):
        partners = [k for p in basket for k in COMPLEMENTS.get(p.kind, ())]
        if partners and rng.random() < 0.6:
            item = rng.choice(catalog.by_kind[rng.choice(partners)])
        else:
            item = catalog.pick(rng, rng.choices(shopper.favourites, shopper.fav_weights)[0])
        if item not in basket:
            basket.append(item)
    return basket


def _order(rng: random.Random, shopper: _Shopper, catalog: Catalog, placed: datetime, now: datetime,
           outcome: str, keep: str | None = None, quick: bool = False) -> dict[str, Any]:
    """One order row (without its id yet) and its lines; `keep` stops the life at that status."""
    events = _events(rng, placed, outcome, quick)
    if keep is not None:
        events = events[: [s for s, _ in events].index(keep) + 1]
    events = [(status, _sec(at)) for status, at in events]
    reached = {status: at for status, at in events if at <= now}
    status, updated = next((s, at) for s, at in reversed(events) if at <= now)
    carrier = rng.choices([c for c, _ in CARRIERS], [w for _, w in CARRIERS])[0] if "shipped" in reached else None
    lines: list[dict[str, Any]] = []
    for product in _basket(rng, shopper, catalog, placed.month):
        qty = rng.choices((1, 2, 3), (60, 30, 10))[0] if product.repeat_purchase else rng.choices((1, 2), (92, 8))[0]
        lines.append({"product_id": product.id, "quantity": qty, "unit_price": product.price})
    total = sum((ln["unit_price"] * ln["quantity"] for ln in lines), Decimal("0")).quantize(Decimal("0.01"))
    return {
        "status": status, "placed_at": placed, "updated_at": updated, "total": total, "currency": CURRENCY,
        "carrier": carrier, "tracking_number": tracking_number(rng, carrier) if carrier else None,
        "shipped_at": reached.get("shipped"), "delivered_at": reached.get("delivered"), "coupon_code": None,
        "_lines": lines, "_outcome": outcome,
    }


def _add_open_orders(rng: random.Random, shoppers: list[_Shopper], catalog: Catalog, now: datetime) -> None:
    """Make sure the demo always has cancellable, trackable and returnable orders right now."""
    active = [s for s in shoppers if s.segment in ("loyal", "new") and s.orders and not s.stopped
              and s.orders[-1]["placed_at"] < now - 30 * DAY]
    rng.shuffle(active)
    per = max(2, len(shoppers) // 60)
    plans = (("placed", 1 / 24, 0.8), ("paid", 1 / 24, 0.25), ("shipped", 1.9, 3.5), ("delivered", 8, 28))
    for i, (keep, lo, hi) in enumerate(plans):
        for shopper in active[i * per: (i + 1) * per]:
            placed = (now - timedelta(days=rng.uniform(lo, hi))).replace(microsecond=0)
            stop = None if keep == "delivered" else keep
            shopper.orders.append(_order(rng, shopper, catalog, placed, now, "ok", keep=stop, quick=True))


def _assign_ids(rng: random.Random, shoppers: list[_Shopper]) -> None:
    """Customer ids in sign-up order; order ids ascending in time with gaps, like a real shop's."""
    shoppers.sort(key=lambda s: s.joined)  # type: ignore[arg-type,return-value]
    taken: set[str] = set()
    for i, s in enumerate(shoppers, start=1):
        s.id = f"C{i:05d}"
        first, last = ascii_name(s.first), ascii_name(s.last)
        local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}", f"{first}_{last}"))
        email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        while email in taken:
            email = f"{local}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        taken.add(email)
        s.email = email
    orders = sorted(((o["placed_at"], s.id, o) for s in shoppers for o in s.orders), key=lambda t: t[:2])
    gap = max(2, min(9000, 99_000_000 // max(1, len(orders))))
    number = 1_000_000_000 + rng.randrange(10_000, 90_000)
    for _, _, order in orders:
        number += rng.randint(1, gap)
        order["id"] = str(number)


def _write(session: Session, shoppers: list[_Shopper], catalog: Catalog, seed: int,
           now: datetime, progress: bool) -> DemoSummary:
    """Bulk-insert every row (executemany in chunks): ~30k rows in a few seconds on SQLite."""
    customers = [{"id": s.id, "email": s.email, "name": f"{s.first} {s.last}", "address_line": s.address_line,
                  "city": s.city, "postal_code": s.postal_code, "country": s.country.code, "created_at": s.joined}
                 for s in shoppers]
    products = [{"id": p.id, "name": p.name, "category": p.category, "description": p.description,
                 "price": p.price, "repeat_purchase": p.repeat_purchase, "active": True} for p in catalog.products]
    orders: list[dict[str, Any]] = []
    for s in shoppers:
        ship = {"customer_id": s.id, "ship_name": f"{s.first} {s.last}", "ship_address_line": s.address_line,
                "ship_city": s.city, "ship_postal_code": s.postal_code, "ship_country": s.country.code}
        orders.extend({**{k: v for k, v in o.items() if not k.startswith("_")}, **ship} for o in s.orders)
    orders.sort(key=lambda o: o["id"])
    by_id = {o["id"]: o for s in shoppers for o in s.orders}
    lines = [{"order_id": o["id"], **ln} for o in orders for ln in by_id[o["id"]]["_lines"]]
    total = len(customers) + len(products) + len(orders) + len(lines)
    with tqdm(total=total, desc="demo shop: writing", unit="row", disable=not progress, file=sys.stderr) as bar:
        for table, rows in ((Customer, customers), (Product, products), (Order, orders), (OrderLine, lines)):
            for i in range(0, len(rows), 2000):
                session.execute(insert(table), rows[i: i + 2000])
                bar.update(len(rows[i: i + 2000]))
    session.flush()
    by_status = {s.value: 0 for s in OrderStatus}
    for o in orders:
        by_status[o["status"]] += 1
    segments = {name: sum(1 for s in shoppers if s.segment == name) for name in SEGMENTS}
    placed = [o["placed_at"] for o in orders]
    return DemoSummary(SHOP_NAME, seed, now, len(customers), len(products), len(orders), len(lines), by_status,
                       segments, min(placed, default=None), max(placed, default=None), _examples(shoppers, now))


def _examples(shoppers: list[_Shopper], now: datetime) -> list[DemoExample]:
    """One customer per thing worth trying in the demo: cancel, track, return, a regular, a churner."""
    def last_is(status: str) -> Any:
        def test(s: _Shopper) -> bool:
            last = s.orders[-1]
            if last["status"] != status or s.segment == "one_off":
                return False
            return status != "delivered" or last["delivered_at"] >= now - 30 * DAY
        return test

    wanted = [
        (last_is("placed"), "latest order placed, not paid yet: cancellable"),
        (last_is("paid"), "latest order paid, not shipped: cancellable"),
        (last_is("shipped"), "latest order on its way: trackable"),
        (last_is("delivered"), "delivered within 30 days: returnable"),
        (lambda s: s.segment == "churned" and s.orders[-1]["status"] in ("cancelled", "returned", "refunded"),
         "churned after a bad experience"),
    ]
    examples: list[DemoExample] = []
    used: list[str] = []
    regular = max(shoppers, key=lambda s: len(s.orders))
    for test, why in wanted:
        match = next((s for s in shoppers if s.orders and s.id not in used and test(s)), None)
        if match is not None:
            used.append(match.id)
            examples.append(_example(match, why))
    if regular.id not in used:
        examples.append(_example(regular, f"regular with {len(regular.orders)} orders"))
    return examples


def _example(s: _Shopper, why: str) -> DemoExample:
    latest: dict[str, str] = {}
    for o in s.orders:
        latest[o["status"]] = o["id"]
    return DemoExample(s.id, s.email, f"{s.first} {s.last}", s.segment, why, latest)

"""The database side of `benchmarks/reliability.py`: choosing the shoppers, and auditing what was stored.

Everything is read straight from the tables (never through the API under test): the conversation
event logs, the orders and returns, the offer exposures, coupons and rule budgets. `snapshot` is
taken before the run so that only what the run changed is judged; `audit` returns the figures and
one line per violated invariant.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import events as ev
from bot.tables import EventRow
from retention_model.offers.tables import CouponRow, ExposureRow, OfferRuleRow
from retention_model.tables import CustomerScore
from shop.tables import Order, ReturnRequest

YES = frozenset({"yes", "yes please", "yes, go ahead"})


@dataclass(frozen=True)
class Shopper:
    customer_id: str
    cancellable: str | None  # a paid/placed order: address change, then cancel
    returnable: str | None  # a delivered order inside the return window
    latest: str  # the most recent order (tracking)
    risk_band: str | None


@dataclass
class Snapshot:
    orders: dict[str, tuple[str, tuple[str, str, str, str]]]  # id -> (status, address)
    returns: set[str]
    max_exposure_id: int
    max_coupon_id: int
    rule_spent: dict[int, tuple[int, Decimal]]
    started_at: datetime
    customers: list[str] = field(default_factory=list)


def choose_shoppers(session: Session, n: int, now: datetime) -> list[Shopper]:
    """The `n` demo customers with the most to do: cancellable and returnable orders, high churn risk first."""
    window = now - timedelta(days=25)  # well inside the 30-day return window for the whole run
    rows = session.execute(select(Order.id, Order.customer_id, Order.status, Order.placed_at, Order.delivered_at)).all()
    bands = dict(session.execute(select(CustomerScore.customer_id, CustomerScore.risk_band)).tuples().all())
    per: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        per[row.customer_id].append(row)
    shoppers = []
    for cid, orders in per.items():
        orders.sort(key=lambda o: (o.placed_at, o.id), reverse=True)
        cancellable = next((o.id for o in orders if o.status in ("placed", "paid")), None)
        returnable = next((o.id for o in orders if o.status == "delivered" and o.delivered_at is not None
                           and o.delivered_at.replace(tzinfo=window.tzinfo) >= window), None)
        shoppers.append(Shopper(cid, cancellable, returnable, orders[0].id, bands.get(cid)))
    # Half who can cancel, half who can return (high risk first in both: they get the offers), taken in turn.
    cancel = sorted((s for s in shoppers if s.cancellable), key=lambda s: (s.returnable is None, s.risk_band != "high", s.customer_id))
    give_back = sorted((s for s in shoppers if s.returnable and not s.cancellable), key=lambda s: (s.risk_band != "high", s.customer_id))
    rest = sorted((s for s in shoppers if not (s.cancellable or s.returnable)), key=lambda s: s.customer_id)
    mixed = [s for pair in zip(cancel, give_back) for s in pair]
    longer = cancel if len(cancel) > len(give_back) else give_back
    return (mixed + longer[len(mixed) // 2:] + rest)[:n]


def snapshot(session: Session, customers: list[str], now: datetime) -> Snapshot:
    orders = {o.id: (o.status, (o.ship_address_line, o.ship_city, o.ship_postal_code, o.ship_country))
              for o in session.scalars(select(Order).where(Order.customer_id.in_(customers)))}
    returns = set(session.scalars(select(ReturnRequest.id)))
    spent = {r.id: (r.spent_count, Decimal(r.spent_money)) for r in session.scalars(select(OfferRuleRow))}
    return Snapshot(orders, returns, session.scalar(select(func.max(ExposureRow.id))) or 0,
                    session.scalar(select(func.max(CouponRow.id))) or 0, spent, now, customers)


def _order_after(text: str, marker: str) -> str | None:
    """The order id right after `marker` in a reply ("Done: order 123 is cancelled" -> 123)."""
    at = text.find(marker)
    if at < 0:
        return None
    rest = text[at + len(marker):].split(" ", 1)[0]
    return rest.rstrip(".,:") or None


def _change(text: str) -> tuple[str, str] | None:
    """(kind, order id) of a reply that reports a done shop change, else None."""
    if text.startswith("Done: order ") and " is cancelled" in text:
        return "cancel", _order_after(text, "Done: order ") or ""
    if text.startswith("Done: order ") and " will be delivered to " in text:
        return "address", _order_after(text, "Done: order ") or ""
    if text.startswith("Your return ") and " is registered" in text:
        return "return", _order_after(text, " for order ") or ""
    return None


def audit(session: Session, sent: dict[str, dict[str, str]], conv_customer: dict[str, str], snap: Snapshot) -> tuple[dict[str, Any], list[str]]:
    """Figures and violations. `sent`: conversation id -> {client_message_id: text} the clients sent."""
    problems: list[str] = []
    f: Counter[str] = Counter()
    changes: dict[str, list[tuple[str, str]]] = defaultdict(list)  # kind -> [(order, conversation)]
    presented: dict[str, str] = {}  # coupon code -> conversation
    rows = session.scalars(select(EventRow).where(EventRow.conversation_id.in_(list(sent))).order_by(EventRow.conversation_id, EventRow.seq)).all()
    by_conv: dict[str, list[EventRow]] = defaultdict(list)
    for r in rows:
        by_conv[r.conversation_id].append(r)
    for conv, expected in sent.items():
        events = by_conv.get(conv, [])
        users = [e for e in events if e.type == ev.USER_UTTERED]
        stored = Counter(e.client_message_id for e in users)
        f["messages_sent"] += len(expected)
        f["messages_stored"] += len(users)
        for cid in expected:
            if stored[cid] == 0:
                f["lost"] += 1
                problems.append(f"lost: {conv} {cid} {expected[cid]!r}")
            elif stored[cid] > 1:
                f["duplicated"] += stored[cid] - 1
                problems.append(f"duplicated: {conv} {cid} stored {stored[cid]} times")
        for cid in stored.keys() - expected.keys():
            f["duplicated"] += stored[cid]
            problems.append(f"stored but never sent: {conv} {cid}")
        answers: dict[int, list[EventRow]] = defaultdict(list)
        for e in events:
            if "in_reply_to" in e.payload:
                answers[int(e.payload["in_reply_to"])].append(e)
        text_of = {e.seq: str(e.payload.get("text", "")) for e in users}
        for u in users:
            turn = answers.get(u.seq, [])
            acts = [e for e in turn if e.type == ev.ACTION_EXECUTED]
            if not acts:
                f["unanswered"] += 1
                problems.append(f"unanswered: {conv} seq {u.seq} {text_of[u.seq]!r}")
            elif len(acts) > 1:
                f["answered_twice"] += 1
                problems.append(f"answered {len(acts)} times: {conv} seq {u.seq} {text_of[u.seq]!r}")
            for e in turn:
                if e.type == ev.BOT_UTTERED and (change := _change(str(e.payload.get("text", "")))):
                    kind, order = change
                    changes[kind].append((order, conv))
                    said = " ".join(text_of[u.seq].lower().split())
                    if kind in ("cancel", "return", "address") and said not in YES:
                        problems.append(f"{kind} of {order} without a yes: answered {said!r} in {conv}")
                if e.type == ev.OFFER_PRESENTED and e.payload.get("code"):
                    presented[str(e.payload["code"])] = conv
        f["turns_answered"] += sum(1 for u in users if answers.get(u.seq))
    _audit_shop(session, snap, changes, f, problems)
    _audit_offers(session, snap, presented, conv_customer, f, problems)
    return dict(f), problems


def _audit_shop(session: Session, snap: Snapshot, changes: dict[str, list[tuple[str, str]]], f: Counter[str], problems: list[str]) -> None:
    now_orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(list(snap.orders))))}
    said = {kind: Counter(order for order, _ in items) for kind, items in changes.items()}
    cancelled = {i for i, o in now_orders.items() if o.status == "cancelled" and snap.orders[i][0] != "cancelled"}
    moved = {i for i, o in now_orders.items()
             if (o.ship_address_line, o.ship_city, o.ship_postal_code, o.ship_country) != snap.orders[i][1]}
    new_returns = session.scalars(select(ReturnRequest).where(ReturnRequest.order_id.in_(list(snap.orders)))).all()
    per_order = Counter(r.order_id for r in new_returns)
    returned = {r.order_id for r in new_returns if r.id not in snap.returns}
    for kind, done, label in (("cancel", cancelled, "cancelled"), ("address", moved, "address changed"), ("return", returned, "returned")):
        told = said.get(kind, Counter())
        f[f"orders_{kind}"] = len(done)
        for order, n in told.items():
            if n > 1:
                f["double_shop_changes"] += n - 1
                problems.append(f"{label} {n} times: order {order}")
        for order in done - told.keys():
            f["shop_changes_without_turn"] += 1
            problems.append(f"order {order} {label} in the shop but no turn says so (half a turn)")
        for order in told.keys() - done:
            problems.append(f"a turn says order {order} was {label} but the shop shows no change")
    for order, n in per_order.items():
        if n > 1:
            f["double_shop_changes"] += n - 1
            problems.append(f"{n} returns for order {order}")
    f.setdefault("double_shop_changes", 0)
    f.setdefault("shop_changes_without_turn", 0)


def _audit_offers(session: Session, snap: Snapshot, presented: dict[str, str], conv_customer: dict[str, str],
                  f: Counter[str], problems: list[str]) -> None:
    exposures = session.scalars(select(ExposureRow).where(ExposureRow.id > snap.max_exposure_id)).all()
    coupons = session.scalars(select(CouponRow).where(CouponRow.id > snap.max_coupon_id)).all()
    by_id = {x.id: x for x in exposures}
    f["exposures"] = len(exposures)
    f["offers"] = sum(x.decision == "offer" for x in exposures)
    f["holdouts"] = sum(x.decision == "holdout" for x in exposures)
    f["coupons"] = len(coupons)
    month_ago = snap.started_at - timedelta(days=30)
    recent = session.scalars(select(ExposureRow).where(ExposureRow.customer_id.in_(snap.customers),
                                                       ExposureRow.decision.in_(("offer", "holdout")),
                                                       ExposureRow.created_at >= month_ago)).all()
    for customer, n in Counter(x.customer_id for x in recent).items():
        if n > 1:  # the global cap: one offer or hold-out per shopper per 30 days
            f["cap_violations"] += 1
            problems.append(f"customer {customer} got {n} offers/hold-outs within 30 days (cap 1)")
    f.setdefault("cap_violations", 0)
    per_exposure = Counter(c.exposure_id for c in coupons)
    for c in coupons:
        x = by_id.get(c.exposure_id)
        if x is None or x.decision != "offer" or x.customer_id != c.customer_id:
            f["budget_violations"] += 1
            problems.append(f"coupon {c.code} has no matching offer exposure")
        if c.code not in presented:
            problems.append(f"coupon {c.code} issued but never shown in a conversation (half a turn)")
        elif conv_customer.get(presented[c.code]) != c.customer_id:
            problems.append(f"coupon {c.code} shown to another shopper's conversation")
    for code in presented.keys() - {c.code for c in coupons}:
        problems.append(f"conversation shows coupon {code} that was not issued by this run")
    for exposure_id, n in per_exposure.items():
        if n > 1:
            problems.append(f"exposure {exposure_id} has {n} coupons")
    if len(coupons) > f["offers"]:
        problems.append(f"{len(coupons)} coupons for {f['offers']} offer exposures")
    for rule in session.scalars(select(OfferRuleRow)):
        count0, money0 = snap.rule_spent.get(rule.id, (0, Decimal(0)))
        mine = [c for c in coupons if c.rule_id == rule.id]
        money = sum((Decimal(c.reserved) for c in mine), Decimal(0))
        spent_money = Decimal(rule.spent_money) - money0
        if rule.spent_count - count0 != len(mine) or abs(spent_money - money) > Decimal("0.005"):
            f["budget_violations"] += 1
            problems.append(f"rule {rule.id} spent {rule.spent_count - count0} coupons / {spent_money:.2f} "
                            f"but {len(mine)} coupons worth {money:.2f} were issued")
        if rule.budget_count is not None and rule.spent_count > rule.budget_count:
            f["budget_violations"] += 1
            problems.append(f"rule {rule.id} over its budget: {rule.spent_count} > {rule.budget_count}")
    f.setdefault("budget_violations", 0)

"""Coupons: hard-to-guess codes, issued at most once per exposure within the rule's budget.

The budget is reserved with one conditional UPDATE on the rule row (`spent < budget`), checked by
its row count, in the same transaction that inserts the coupon. PostgreSQL re-checks the WHERE
clause after waiting for a concurrent writer's row lock, SQLite serialises writers, so concurrent
conversations can never overspend. The unique key on `coupons.exposure_id` makes retries idempotent.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from common.errors import Conflict, Forbidden, InvalidInput, NotFound
from retention_model.offers.rules import offer_cost, variant_terms
from retention_model.offers.store import rule_from_row
from retention_model.offers.tables import CouponRow, ExposureRow, OfferRuleRow

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read out and type
PREFIX = "KC"
GROUPS, GROUP_LEN = 3, 4  # 12 random symbols, 60 bits
HALF_CENT = Decimal("0.005")
CODE_RE = re.compile(rf"^{PREFIX}(-[{ALPHABET}]{{{GROUP_LEN}}}){{{GROUPS}}}$")


class BudgetExhausted(Conflict):
    """The rule has no budget left for another coupon."""


@dataclass(frozen=True)
class CouponInfo:
    code: str
    exposure_id: int
    rule_id: int
    customer_id: str
    kind: str
    value: Decimal
    min_basket: Decimal
    reserved: Decimal
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None = None
    order_id: str | None = None
    discount: Decimal | None = None


def _info(row: CouponRow) -> CouponInfo:
    return CouponInfo(row.code, row.exposure_id, row.rule_id, row.customer_id, row.kind, Decimal(row.value),
                      Decimal(row.min_basket), Decimal(row.reserved), row.issued_at, row.expires_at, row.redeemed_at,
                      row.order_id, Decimal(row.discount) if row.discount is not None else None)


def new_code() -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS))
    return "-".join([PREFIX, *groups])


def normalise_code(text: str) -> str:
    """Accepts what a shopper types (lower case, spaces, missing dashes) and gives the canonical form."""
    raw = re.sub(r"[\s-]", "", text).upper()
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX):]
    if len(raw) != GROUPS * GROUP_LEN:
        return text.strip().upper()
    return "-".join([PREFIX, *(raw[i:i + GROUP_LEN] for i in range(0, len(raw), GROUP_LEN))])


def reserve_budget(session: Session, rule_id: int, cost: Decimal) -> bool:
    """Take one coupon and `cost` money from the rule's budget, atomically; False when it does not fit."""
    r = OfferRuleRow
    result = cast(CursorResult[Any], session.execute(
        update(r).where(r.id == rule_id, r.deleted.is_(False),
                        or_(r.budget_count.is_(None), r.spent_count < r.budget_count),
                        # half a cent of slack: SQLite keeps NUMERIC as binary floats (1465.1 + 4.9 > 1470)
                        or_(r.budget_money.is_(None), r.spent_money + cost <= r.budget_money + HALF_CENT))
        .values(spent_count=r.spent_count + 1, spent_money=r.spent_money + cost)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def find_for_exposure(session: Session, exposure_id: int) -> CouponInfo | None:
    row = session.scalar(select(CouponRow).where(CouponRow.exposure_id == exposure_id))
    return _info(row) if row is not None else None


def _issue_once(session: Session, exposure_id: int, now: datetime) -> CouponInfo:
    existing = find_for_exposure(session, exposure_id)
    if existing is not None:
        return existing
    exposure = session.get(ExposureRow, exposure_id)
    if exposure is None:
        raise NotFound(f"exposure {exposure_id} not found")
    if exposure.decision != "offer":
        raise Conflict(f"exposure {exposure_id} is a {exposure.decision}, not an offer: no coupon")
    rule_row = session.get(OfferRuleRow, exposure.rule_id)
    assert rule_row is not None
    rule = rule_from_row(rule_row)
    kind, value = variant_terms(rule, exposure.variant)
    if kind == "recommendations":
        raise Conflict("a recommendations offer has no coupon")
    cost = Decimal(exposure.cost_estimate).quantize(Decimal("0.01"))
    if not reserve_budget(session, rule.id, cost):
        raise BudgetExhausted(f"offer rule {rule.id} has no budget left")
    row = CouponRow(code=new_code(), exposure_id=exposure_id, rule_id=rule.id, customer_id=exposure.customer_id,
                    kind=kind, value=value, min_basket=rule.min_basket, max_discount=rule.max_discount, reserved=cost,
                    issued_at=now, expires_at=now + timedelta(days=rule.validity_days))
    session.add(row)
    session.flush()
    return _info(row)


def issue_for_exposure(sessions: sessionmaker[Session], exposure_id: int, now: datetime, attempts: int = 3) -> CouponInfo:
    """The coupon of an offer exposure, issued now if it has none (in its own transaction).

    Raises BudgetExhausted when the budget is spent. Safe to call again and concurrently: a second
    call returns the first coupon, and a losing concurrent insert rolls back its reservation too.
    """
    for _ in range(attempts):
        session = sessions()
        try:
            info = _issue_once(session, exposure_id, now)
            session.commit()
            return info
        except IntegrityError:
            session.rollback()  # a concurrent call won (same exposure) or, rarely, the code collided
            existing = find_for_exposure(session, exposure_id)
            if existing is not None:
                return existing
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    raise Conflict(f"could not issue a coupon for exposure {exposure_id}; try again")


@dataclass(frozen=True)
class Redemption:
    code: str
    order_id: str
    customer_id: str
    order_amount: Decimal
    discount: Decimal
    redeemed_at: datetime
    replayed: bool  # the same order had already redeemed this code (a webhook retry)


def redeem(session: Session, code: str, order_id: str, customer_id: str, amount: Decimal, now: datetime) -> Redemption:
    """Record that an order used a coupon; refuses unknown, foreign, expired and used codes."""
    canonical = normalise_code(code)
    row = session.scalar(select(CouponRow).where(CouponRow.code == canonical).with_for_update())
    if row is None:
        raise NotFound("unknown coupon code")
    if row.customer_id != customer_id:
        raise Forbidden("this coupon was issued to another customer")
    if row.redeemed_at is not None:
        if row.order_id == order_id:
            return Redemption(row.code, order_id, customer_id, Decimal(row.order_amount or 0), Decimal(row.discount or 0),
                              row.redeemed_at, True)
        raise Conflict(f"coupon already redeemed by order {row.order_id}")
    if now >= row.expires_at:
        raise Conflict(f"coupon expired on {row.expires_at:%Y-%m-%d %H:%M} UTC")
    if amount < row.min_basket:
        raise InvalidInput(f"amount: the coupon needs a basket of at least {row.min_basket}")
    discount = offer_cost(row.kind, Decimal(row.value), amount,
                          Decimal(row.max_discount) if row.max_discount is not None else None)
    done = session.execute(update(CouponRow).where(and_(CouponRow.id == row.id, CouponRow.redeemed_at.is_(None)))
                           .values(redeemed_at=now, order_id=order_id, order_amount=amount, discount=discount)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("coupon already redeemed")
    return Redemption(row.code, order_id, customer_id, amount, discount, now, False)


def get_coupon(session: Session, code: str) -> CouponInfo:
    row = session.scalar(select(CouponRow).where(CouponRow.code == normalise_code(code)))
    if row is None:
        raise NotFound("unknown coupon code")
    return _info(row)

"""Rules, versions and exposures in SQL; the shopper context the decision needs.

Every change to a rule writes a new version row (who, when, the whole definition), so a marketer
can see what was live when an exposure was recorded (`offer_exposures.rule_version`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from common.db import utcnow
from common.errors import NotFound
from retention_model.offers.decision import ExposureHistory, PastExposure, RuleUsage, ShopperContext
from retention_model.offers.rules import TRIGGERS, OfferRule, OfferRuleSpec
from retention_model.offers.tables import ExposureRow, OfferRuleRow, OfferRuleVersionRow
from retention_model.scores import get_risk
from shop.tables import Customer, Order, OrderLine, OrderStatus, Product

EXPOSED = ("offer", "holdout")
NOT_PURCHASES = (OrderStatus.CANCELLED.value,)
# The conversations table, read (never written) without importing the bot package.
CONVERSATIONS = table("conversations", column("customer_id"), column("status"), column("last_event_at"))


@dataclass(frozen=True)
class RuleVersion:
    rule_id: int
    version: int
    change: str
    changed_by: str
    changed_at: datetime
    definition: dict[str, Any]


@dataclass(frozen=True)
class StoredRule:
    rule: OfferRule
    spent_count: int
    spent_money: Decimal
    created_at: datetime
    updated_at: datetime


# Trigger names of earlier versions and what the dialogue emits for them now.
LEGACY_TRIGGERS = {"complaint_resolved": "complaint", "goodbye": "goodbye_at_risk", "track_refund": "get_refund"}


def _rule(row: OfferRuleRow) -> OfferRule:
    """The stored rule; triggers the dialogue no longer emits are dropped (rules saved before a rename)."""
    definition = dict(row.definition)
    renamed = [LEGACY_TRIGGERS.get(t, t) for t in definition.get("triggers", [])]
    known = list(dict.fromkeys(t for t in renamed if t in TRIGGERS))
    if renamed and not known:  # nothing left that can fire: keep the rule, switched off
        known, definition["active"] = ["complaint"], False
    definition["triggers"] = known or definition.get("triggers")
    return OfferRule.model_validate({**definition, "id": row.id, "version": row.version})


def rule_from_row(row: OfferRuleRow) -> OfferRule:
    """The stored rule as deciding sees it; issuing coupons and building cards must read it the same way."""
    return _rule(row)


def _stored(row: OfferRuleRow) -> StoredRule:
    return StoredRule(_rule(row), row.spent_count, Decimal(row.spent_money), row.created_at, row.updated_at)


def _live_row(session: Session, rule_id: int) -> OfferRuleRow:
    row = session.get(OfferRuleRow, rule_id)
    if row is None or row.deleted:
        raise NotFound(f"offer rule {rule_id} not found")
    return row


def _write_version(session: Session, row: OfferRuleRow, change: str, by: str, now: datetime) -> None:
    session.add(OfferRuleVersionRow(rule_id=row.id, version=row.version, definition=row.definition, change=change,
                                    changed_by=by, changed_at=now))


def _apply(row: OfferRuleRow, spec: OfferRuleSpec) -> None:
    row.definition = spec.model_dump(mode="json")
    row.name, row.active = spec.name, spec.active
    row.budget_count, row.budget_money = spec.budget_count, spec.budget_money


def create_rule(session: Session, spec: OfferRuleSpec, by: str, now: datetime | None = None) -> StoredRule:
    now = now or utcnow()
    row = OfferRuleRow(version=1, spent_count=0, spent_money=Decimal("0"), deleted=False, created_at=now, updated_at=now)
    _apply(row, spec)
    session.add(row)
    session.flush()
    _write_version(session, row, "created", by, now)
    session.flush()
    return _stored(row)


def update_rule(session: Session, rule_id: int, spec: OfferRuleSpec, by: str, now: datetime | None = None) -> StoredRule:
    """Replace the definition; spending so far is kept (a budget lowered below it simply stops issuing)."""
    now = now or utcnow()
    row = _live_row(session, rule_id)
    _apply(row, spec)
    row.version += 1
    row.updated_at = now
    _write_version(session, row, "updated", by, now)
    session.flush()
    return _stored(row)


def delete_rule(session: Session, rule_id: int, by: str, now: datetime | None = None) -> None:
    """Switch the rule off for good; its exposures, coupons and versions stay for the reports."""
    now = now or utcnow()
    row = _live_row(session, rule_id)
    row.deleted, row.active = True, False
    row.definition = {**row.definition, "active": False}
    row.version += 1
    row.updated_at = now
    _write_version(session, row, "deleted", by, now)
    session.flush()


def get_rule(session: Session, rule_id: int) -> StoredRule:
    return _stored(_live_row(session, rule_id))


def list_rules(session: Session, active_only: bool = False) -> list[StoredRule]:
    q = select(OfferRuleRow).where(OfferRuleRow.deleted.is_(False)).order_by(OfferRuleRow.id)
    if active_only:
        q = q.where(OfferRuleRow.active.is_(True))
    return [_stored(r) for r in session.scalars(q)]


def load_active_rules(session: Session) -> list[OfferRule]:
    return [s.rule for s in list_rules(session, active_only=True)]


def list_versions(session: Session, rule_id: int) -> list[RuleVersion]:
    if session.get(OfferRuleRow, rule_id) is None:
        raise NotFound(f"offer rule {rule_id} not found")
    rows = session.scalars(select(OfferRuleVersionRow).where(OfferRuleVersionRow.rule_id == rule_id)
                           .order_by(OfferRuleVersionRow.version))
    return [RuleVersion(r.rule_id, r.version, r.change, r.changed_by, r.changed_at, r.definition) for r in rows]


def _aware(value: Any) -> datetime | None:
    """Aggregates bypass the column type, so SQLite hands back naive strings or datetimes."""
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shopper_context(session: Session, customer_id: str, now: datetime, score_max_age_hours: float) -> ShopperContext | None:
    """Everything eligibility needs about one customer (None when the customer is unknown).

    A score older than `score_max_age_hours` is flagged, so no offer rests on a risk the nightly batch
    failed to refresh (the shopper may have ordered since).
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    score = get_risk(session, customer_id, now, score_max_age_hours)
    n, first, total = session.execute(
        select(func.count(Order.id), func.min(Order.placed_at), func.coalesce(func.sum(Order.total), 0))
        .where(Order.customer_id == customer_id, Order.status.notin_(NOT_PURCHASES))).one()
    cats = session.scalars(select(Product.category).distinct().join(OrderLine, OrderLine.product_id == Product.id)
                           .join(Order, Order.id == OrderLine.order_id).where(Order.customer_id == customer_id))
    handoff = _aware(session.scalar(select(func.max(CONVERSATIONS.c.last_event_at)).where(
        CONVERSATIONS.c.customer_id == customer_id, CONVERSATIONS.c.status == "handed_off")))
    since = _aware(first) or customer.created_at
    return ShopperContext(
        customer_id=customer_id,
        churn_probability=score.probability if score else None,
        risk_band=score.band if score else None,
        score_stale=score.stale if score else False,
        expected_value=float(score.expected_value) if score else 0.0,
        tenure_days=max(0, (now - since).days),
        orders=int(n),
        avg_order_value=float(Decimal(total) / n) if n else 0.0,
        country=customer.country or "",
        categories=frozenset(cats),
        last_handoff_at=handoff,
    )


def exposure_history(session: Session, customer_id: str, now: datetime, lookback_days: int = 365) -> ExposureHistory:
    rows = session.execute(select(ExposureRow.rule_id, ExposureRow.decision, ExposureRow.created_at).where(
        ExposureRow.customer_id == customer_id, ExposureRow.decision.in_(EXPOSED),
        ExposureRow.created_at >= now - timedelta(days=lookback_days)))
    usage = {r.id: RuleUsage(r.spent_count, Decimal(r.spent_money))
             for r in session.scalars(select(OfferRuleRow).where(OfferRuleRow.deleted.is_(False)))}
    return ExposureHistory([PastExposure(rid, d, at) for rid, d, at in rows], usage)

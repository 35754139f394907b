"""SQL tables of the offers: rules and their versions, exposures, coupons.

`offer_rules` keeps the current budget and what has been spent, so issuing a coupon can reserve
budget with one conditional UPDATE (atomic on every backend); `offer_rule_versions` keeps every
definition ever saved, with who saved it and when.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, JSONType, UTCDateTime, utcnow


class OfferRuleRow(Base):
    __tablename__ = "offer_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    budget_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    budget_money: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    spent_count: Mapped[int] = mapped_column(Integer, default=0)
    spent_money: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfferRuleVersionRow(Base):
    __tablename__ = "offer_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version", name="uq_offer_rule_versions_rule_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("offer_rules.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    change: Mapped[str] = mapped_column(String(16))  # created / updated / deleted
    changed_by: Mapped[str] = mapped_column(String(254))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExposureRow(Base):
    """One decision that reached a rule: offer (treatment), holdout, or blocked (cap or budget)."""

    __tablename__ = "offer_exposures"
    __table_args__ = (Index("ix_offer_exposures_customer_created", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("offer_rules.id"), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    conversation_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(10))
    variant: Mapped[str | None] = mapped_column(String(40), nullable=True)
    churn_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    risk_band: Mapped[str | None] = mapped_column(String(8), nullable=True)
    expected_value: Mapped[float] = mapped_column(Float, default=0.0)
    cost_estimate: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CouponRow(Base):
    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    exposure_id: Mapped[int] = mapped_column(ForeignKey("offer_exposures.id"), unique=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("offer_rules.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    min_basket: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    max_discount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    reserved: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    discount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)

"""SQL tables the retention side writes: the latest score of each customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, JSONType, UTCDateTime


class CustomerScore(Base):
    """One row per customer, overwritten by each `keepcart churn score`: O(1) lookup in a turn."""

    __tablename__ = "customer_scores"

    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    churn_probability: Mapped[float] = mapped_column(Float)
    risk_band: Mapped[str] = mapped_column(String(8))  # low / medium / high
    expected_purchases: Mapped[float] = mapped_column(Float, default=0.0)
    expected_value: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    model_id: Mapped[str] = mapped_column(String(80))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)

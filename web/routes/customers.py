"""Support staff's view of a shopper's churn risk: probability, value and the reasons in plain words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from common.db import utcnow
from common.errors import NotFound
from retention_model.scores import get_risk
from web.deps import ComponentsDep
from web.permissions import StaffUser

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])


class RiskOut(BaseModel):
    customer_id: str
    probability: float = Field(description="Probability of no purchase within the horizon")
    band: str = Field(description="low, medium or high")
    expected_purchases: float
    expected_value: float = Field(description="Expected spend over the horizon (BG/NBD + Gamma-Gamma)")
    reasons: list[dict[str, Any]] = Field(description="Top factors: text, effect (raises/lowers), impact in log-odds")
    model_id: str
    scored_at: datetime | None
    stale: bool = Field(description="Older than KEEPCART_RETENTION__SCORE_MAX_AGE_HOURS: no offer rests on it")


@router.get("/{customer_id}/risk", response_model=RiskOut)
def customer_risk(customer_id: str, user: StaffUser, components: ComponentsDep) -> RiskOut:
    """The shopper's latest stored score (written by `keepcart churn score`); 404 when never scored."""
    with components.sessions() as session:
        risk = get_risk(session, customer_id, utcnow(), components.settings.retention.score_max_age_hours)
    if risk is None:
        raise NotFound(f"no churn score for customer {customer_id!r} (run `keepcart churn score`)")
    return RiskOut(customer_id=risk.customer_id, probability=risk.probability, band=risk.band,
                   expected_purchases=risk.expected_purchases, expected_value=risk.expected_value,
                   reasons=risk.reasons, model_id=risk.model_id, scored_at=risk.scored_at, stale=risk.stale)
